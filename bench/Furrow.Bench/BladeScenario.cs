using System.Diagnostics;
using System.Globalization;
using Furrow.Client;

namespace Furrow.Bench;

/// <summary>
/// Real blade processes running real commands (<c>real</c>, also called <c>blade</c>): <c>--blades</c> blades of
/// <c>--slots</c> slots each, registered and warmed up, then:
/// <list type="number">
/// <item>idle for <c>--idle-secs</c>, 10 s after the warm-up: the CPU the engine, the blades and their keepers use with
/// no work, as a percentage of one core (<c>*_idle_cpu_pct</c>; blades and keepers: the mean per process);</item>
/// <item>one task of <c>sleep 1</c>: from the spool request to the engine seeing it done
/// (<c>sleep1_submit_to_done_ms</c>), and from the job's spool time to its process's start as the blade reported it
/// (<c>sleep1_first_process_ms</c>);</item>
/// <item>one job of <c>--tasks</c> tasks of <c>/bin/true</c>: how long the spool request took (<c>spool_ms</c>), from the
/// job's spool time to its first dispatch (<c>first_start_ms</c>: the job's start time, which waits for the whole job's
/// rows to be committed), tasks per second from the spool to
/// the last task done, and the CPU each part spent per task (each process's own time, from <c>/proc/PID/stat</c>; the
/// commands' time, reaped by their parent, is not counted);</item>
/// </list>
/// with the blades' peak RSS, the engine's, and the keepers'. The job's completion is polled every 100 ms, a listing the
/// engine's CPU figures include.
/// </summary>
internal static class BladeScenario
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(10);

    public static async Task<Dictionary<string, object>> RunAsync(int tasks, int blades, int slots, int idleSecs)
    {
        if (tasks < 1 || blades < 1 || slots < 1 || idleSecs < 1)
            throw new ArgumentException("real needs --tasks, --blades, --slots and --idle-secs of 1 or more");
        await using var engine = await BenchEngine.StartAsync();
        var bladeProcesses = Enumerable.Range(1, blades).Select(i => engine.Start("blade", "--engine", engine.Engine, "--name", $"real-{i}",
            "--slots", slots.ToString(CultureInfo.InvariantCulture), "--state-dir", Path.Combine(engine.Root, "blades", $"real-{i}"))).ToList();
        await WaitForBladesAsync(engine.Client, blades);
        // A first small job warms up every blade (first process start, first report) before the measured one.
        await RunJobAsync(engine.Client, Jobs.Flat(blades * slots, "/bin/true"));

        // Settle first: right after the warm-up the engine still syncs logs and the runtime still compiles hot code.
        await Task.Delay(TimeSpan.FromSeconds(10));
        var idleBefore = Cpu(engine.EngineProcess.Id, bladeProcesses);
        var idleWatch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(idleSecs));
        var idleAfter = Cpu(engine.EngineProcess.Id, bladeProcesses);
        var idleSeconds = idleWatch.Elapsed.TotalSeconds;
        double IdlePct(double a, double b, int processes) => Math.Round((b - a) * 100 / idleSeconds / Math.Max(1, processes), 2);
        var keepers = KeepersOf(bladeProcesses).Count;

        var sleepWatch = Stopwatch.StartNew();
        var (sleepJid, _) = await SpoolAsync(engine.Client, Jobs.Flat(1, "sleep 1"));
        await Jobs.WaitUntilDoneAsync(engine.Client, sleepJid, JobTimeout, pollMs: 5);
        var sleepMs = sleepWatch.Elapsed.TotalMilliseconds;
        var sleepJob = (await engine.Client.JobsAsync($"jid={sleepJid}")).Single();
        var sleepRun = (await engine.Client.InvocationsAsync($"jid={sleepJid}")).Single();

        var before = Cpu(engine.EngineProcess.Id, bladeProcesses);
        var watch = Stopwatch.StartNew();
        var (jid, spoolMs) = await SpoolAsync(engine.Client, Jobs.Flat(tasks, "/bin/true"));
        await Jobs.WaitUntilDoneAsync(engine.Client, jid, JobTimeout, pollMs: 100);
        var seconds = watch.Elapsed.TotalSeconds;
        var after = Cpu(engine.EngineProcess.Id, bladeProcesses);
        var job = (await engine.Client.JobsAsync($"jid={jid}")).Single();
        double PerTask(double a, double b) => Math.Round((b - a) * 1000 / tasks, 3);
        return new Dictionary<string, object>
        {
            ["scenario"] = "real",
            ["tasks"] = tasks,
            ["blades"] = blades,
            ["slots"] = slots,
            ["tasks_per_s"] = Math.Round(tasks / seconds, 1),
            ["spool_ms"] = Math.Round(spoolMs, 1),
            ["first_start_ms"] = job.StartTime is { } start ? start - job.SpoolTime : -1,
            ["sleep1_submit_to_done_ms"] = Math.Round(sleepMs, 1),
            ["sleep1_first_process_ms"] = sleepRun.StartTime is { } processStart ? processStart - sleepJob.SpoolTime : -1,
            ["engine_cpu_ms_per_task"] = PerTask(before.Engine, after.Engine),
            ["blade_cpu_ms_per_task"] = PerTask(before.Blades, after.Blades),
            ["keeper_cpu_ms_per_task"] = PerTask(before.Keepers, after.Keepers),
            ["engine_idle_cpu_pct"] = IdlePct(idleBefore.Engine, idleAfter.Engine, 1),
            ["blade_idle_cpu_pct"] = IdlePct(idleBefore.Blades, idleAfter.Blades, blades),
            ["keeper_idle_cpu_pct"] = IdlePct(idleBefore.Keepers, idleAfter.Keepers, keepers),
            ["engine_peak_rss_mb"] = Math.Round(PeakRssMb(engine.EngineProcess.Id), 1),
            ["blade_peak_rss_mb"] = Math.Round(bladeProcesses.Max(p => PeakRssMb(p.Id)), 1),
            ["keeper_rss_mb"] = Math.Round(KeepersOf(bladeProcesses).Select(RssMb).DefaultIfEmpty(0).Max(), 1),
        };
    }

    internal static async Task WaitForBladesAsync(EngineClient client, int blades)
    {
        var watch = Stopwatch.StartNew();
        while ((await client.BladesAsync()).Count(b => b.Status == "up") < blades)
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(1))
                throw new TimeoutException("the blades did not register");
            await Task.Delay(50);
        }
    }

    private static async Task<(long Jid, double Ms)> SpoolAsync(EngineClient client, string script)
    {
        var watch = Stopwatch.StartNew();
        var reply = await client.SpoolAsync(script, new SpoolOptions("bench", "real.alf"));
        if (reply.Rc != 0)
            throw new InvalidOperationException($"spool refused: {reply.Msg}");
        return (reply.Jid, watch.Elapsed.TotalMilliseconds);
    }

    private static async Task RunJobAsync(EngineClient client, string script, int pollMs = 100)
    {
        var (jid, _) = await SpoolAsync(client, script);
        await Jobs.WaitUntilDoneAsync(client, jid, JobTimeout, pollMs);
    }

    private static (double Engine, double Blades, double Keepers) Cpu(int engine, IReadOnlyList<Process> blades) =>
        (OwnCpuSeconds(engine), blades.Sum(b => OwnCpuSeconds(b.Id)), KeepersOf(blades).Sum(OwnCpuSeconds));

    // A blade's keeper is its child (until the blade process ends); an older blade build has none.
    internal static List<int> KeepersOf(IReadOnlyList<Process> blades)
    {
        var pids = blades.Select(b => b.Id).ToHashSet();
        var keepers = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(entry, "cmdline"));
                if (cmdline.Contains("furrow-keeper", StringComparison.Ordinal) && pids.Contains((int)Stat(pid)[0]))
                    keepers.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return keepers;
    }

    // utime + stime (fields 14 and 15) in seconds; the process's own, not its reaped children's.
    internal static double OwnCpuSeconds(int pid)
    {
        try
        {
            var fields = Stat(pid);
            return (fields[10] + fields[11]) / 100.0; // clock ticks: 100 a second on Linux
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // The numeric fields of /proc/PID/stat from field 4 (the parent pid) on: field n is [n - 4].
    private static long[] Stat(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        return [.. text[(text.LastIndexOf(')') + 4)..].Split(' ').Select(f => long.TryParse(f, CultureInfo.InvariantCulture, out var v) ? v : 0)];
    }

    private static double PeakRssMb(int pid) => StatusKb(pid, "VmHWM:") / 1024;

    internal static double RssMb(int pid) => StatusKb(pid, "VmRSS:") / 1024;

    private static double StatusKb(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            return 0;
        }
    }
}
