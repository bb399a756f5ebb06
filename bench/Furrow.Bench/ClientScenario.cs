using System.Diagnostics;

namespace Furrow.Bench;

/// <summary>
/// How fast tractor-spool and tq start and answer (<c>clients</c>), as a pipeline and a wrangler's script run them: a real
/// engine on SQLite with no blades; bin/tractor-spool spools a small script (paused) and bin/tq lists one job, each
/// <c>--samples</c> times with its native build (furrow-client) and with it turned off (FURROW_SPOOL_NATIVE=0,
/// FURROW_TQ_NATIVE=0, the .NET runtime), taking turns so both see the same machine. furrow-client spooling directly
/// shows what the two shell shims (bin/tractor-spool, bin/furrow) add. Each is reported as its process's wall time, start
/// to exit, p50 and p99 (the first two runs of each warm the file cache and are not counted). The target is
/// &lt; 150 ms for both. Needs FURROW_DLL=artifacts/furrow/furrow.dll, with furrow-client beside it.
/// </summary>
internal static class ClientScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int samples)
    {
        if (samples < 1)
            throw new ArgumentException("clients needs --samples of 1 or more");
        var nativeClient = Path.Combine(Path.GetDirectoryName(BenchEngine.FurrowDll)!, "furrow-client");
        if (!File.Exists(nativeClient))
            throw new ArgumentException($"clients needs furrow-client beside furrow.dll ({nativeClient}): run with FURROW_DLL=artifacts/furrow/furrow.dll after bin/furrow --version");
        var bin = FindBin();
        await using var engine = await BenchEngine.StartAsync();
        var script = Path.Combine(engine.Root, "small.alf");
        await File.WriteAllTextAsync(script, "Job -title {small} -subtasks { Task {frame 1} -cmds { RemoteCmd {prman /show/rib/0001.rib} } }\n");
        var jid = (await engine.Client.SpoolAsync(await File.ReadAllTextAsync(script), new Furrow.Client.SpoolOptions("bench", "small.alf", Paused: true))).Jid;

        string[] spool = ["--engine", engine.Engine, "--paused", script];
        string[] tq = ["--engine", engine.Engine, "jobs", $"jid={jid}"];
        var runs = new (string Name, string Program, string[] Args, string? SwitchedOff)[]
        {
            ("tractor_spool_native", Path.Combine(bin, "tractor-spool"), spool, null),
            ("tractor_spool_runtime", Path.Combine(bin, "tractor-spool"), spool, "FURROW_SPOOL_NATIVE"),
            ("furrow_client_spool", nativeClient, ["spool", .. spool], null),
            ("tq_native", Path.Combine(bin, "tq"), tq, null),
            ("tq_runtime", Path.Combine(bin, "tq"), tq, "FURROW_TQ_NATIVE"),
        };
        var times = runs.ToDictionary(r => r.Name, _ => new List<double>());
        for (var i = 0; i < samples + 2; i++)
        {
            foreach (var (name, program, args, switchedOff) in runs)
            {
                var ms = await TimeAsync(program, args, switchedOff);
                if (i >= 2)
                    times[name].Add(ms);
            }
        }

        var result = new Dictionary<string, object> { ["scenario"] = "clients", ["samples"] = samples };
        foreach (var (name, list) in times)
        {
            list.Sort();
            result[$"{name}_p50_ms"] = Math.Round(QueryScenario.Percentile(list, 0.50), 1);
            result[$"{name}_p99_ms"] = Math.Round(QueryScenario.Percentile(list, 0.99), 1);
        }
        result["jobs_spooled"] = (await engine.Client.JobsAsync()).Count - 1;
        return result;
    }

    // One whole process, as a script runs it: started, its output read, exited; in milliseconds.
    private static async Task<double> TimeAsync(string program, string[] args, string? switchedOff)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["FURROW_DLL"] = BenchEngine.FurrowDll;
        if (switchedOff is not null)
            info.Environment[switchedOff] = "0";
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}");
        return elapsed;
    }

    // The checkout's bin/ shims, above the bench's own build.
    private static string FindBin()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "bin");
            if (File.Exists(Path.Combine(bin, "tractor-spool")))
                return bin;
        }
        throw new ArgumentException("clients runs the checkout's bin/ shims, and found none above " + AppContext.BaseDirectory);
    }
}
