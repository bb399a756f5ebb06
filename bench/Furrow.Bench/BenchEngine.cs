using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>A real engine process on a fresh site in a temp dir, with a way to read its peak memory.</summary>
internal sealed class BenchEngine : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly Dictionary<int, Queue<string>> _lastLines = [];

    /// <summary>
    /// The furrow.dll the engine and blades run: <c>FURROW_DLL</c> (e.g. artifacts/furrow/furrow.dll, which bin/furrow
    /// publishes with the native blade), or the one built beside the bench.
    /// </summary>
    /// <exception cref="FileNotFoundException">That file does not exist.</exception>
    public static string FurrowDll
    {
        get
        {
            var dll = Environment.GetEnvironmentVariable("FURROW_DLL") is { Length: > 0 } set ? Path.GetFullPath(set)
                : Path.Combine(AppContext.BaseDirectory, "furrow.dll");
            return File.Exists(dll) ? dll
                : throw new FileNotFoundException(Environment.GetEnvironmentVariable("FURROW_DLL") is { Length: > 0 }
                    ? $"FURROW_DLL names {dll}, which does not exist (bin/furrow --version publishes artifacts/furrow/furrow.dll)"
                    : $"{dll} does not exist: build the bench first", dll);
        }
    }

    private BenchEngine(string root, int port, bool tls)
    {
        Root = root;
        Port = port;
        Tls = tls;
        Client = new EngineClient(Engine);
    }

    public string Root { get; }
    public int Port { get; }
    public string Engine => Tls ? $"https://127.0.0.1:{Port}" : $"127.0.0.1:{Port}";

    /// <summary>Whether the engine serves https with a site CA it makes (<c>"Tls": "site-ca"</c>).</summary>
    public bool Tls { get; }
    public EngineClient Client { get; }
    public Process EngineProcess => _processes[0];

    /// <summary>The blade enrolment secret the engine makes on its first start; blades and simulated blades enrol with it.</summary>
    public string EnrolmentSecretFile => Path.Combine(Root, "data", "blade-enrolment.secret");

    /// <summary>A client for simulated blades: it enrols them with the site's secret and keeps the keys they are issued.</summary>
    public EngineClient BladeClient(HttpClient? http = null) =>
        new(Engine, http) { EnrolmentSecret = File.Exists(EnrolmentSecretFile) ? File.ReadAllText(EnrolmentSecretFile).Trim() : null };

    /// <param name="siteFiles">Extra config files (name, text) written into the site before the engine starts, e.g. blade.config.</param>
    /// <param name="silenceSecs">BladeSilenceTimeoutSecs: 60 so a loaded bench machine never loses a blade; null leaves the site's
    /// default (15), which also sets how often idle blades check in.</param>
    /// <param name="engineSettings">More tractor.config members (JSON text, no braces). The per-user request limit is off
    /// (<c>"UserRequestsPerSecond": 0</c>) unless these set it.</param>
    public static async Task<BenchEngine> StartAsync(string store = "sqlite", IReadOnlyDictionary<string, string>? siteFiles = null,
        int? silenceSecs = 60, string? engineSettings = null, bool tls = false)
    {
        var root = Path.Combine(Path.GetTempPath(), "furrow-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var port = LoopbackPorts.Next();
        var silence = silenceSecs is { } secs ? $", \"BladeSilenceTimeoutSecs\": {secs}" : "";
        // A bench measures the engine, not the per-user request limit, which holds one client to 100 requests a second
        // (bursts of 500): it is lifted unless the scenario sets it.
        var limit = engineSettings?.Contains("\"UserRequestsPerSecond\"", StringComparison.Ordinal) == true ? "" : ", \"UserRequestsPerSecond\": 0";
        var more = (engineSettings is null ? "" : ", " + engineSettings) + limit + (tls ? ", \"Tls\": \"site-ca\"" : "");
        // Every client of this run trusts the site CA the engine makes: the simulated blades and the bench's own clients in
        // this process, and the blade processes it starts, which inherit the variable. One engine per bench run, so the
        // process-wide setting is this engine's.
        if (tls)
            Environment.SetEnvironmentVariable(EngineTls.CaFileVariable, Path.Combine(root, "tls", "site-ca.crt"));
        await File.WriteAllTextAsync(Path.Combine(root, "tractor.config"), $$"""{ "ListenPort": {{port}}{{silence}}{{more}} }""");
        if (store == "postgresql")
        {
            var dbPort = LoopbackPorts.Next();
            // A managed cluster with PostgreSQL's default durability, as a site would run it.
            await File.WriteAllTextAsync(Path.Combine(root, "db.config"), $$"""{ "DBProvider": "postgresql", "DBPort": {{dbPort}} }""");
        }
        foreach (var (name, text) in siteFiles ?? new Dictionary<string, string>())
            await File.WriteAllTextAsync(Path.Combine(root, name), text);
        var engine = new BenchEngine(root, port, tls) { Store = store };
        try
        {
            await engine.StartEngineProcessAsync();
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
        return engine;
    }

    public string Store { get; private init; } = "sqlite";

    public string DatabaseFile => Path.Combine(Root, "data", "db", "furrow.db");

    /// <summary>Starts (or restarts) the engine process and waits until it answers.</summary>
    public async Task StartEngineProcessAsync()
    {
        var process = Start("engine", "--configdir", Root, "--listen", "127.0.0.1");
        _processes.Remove(process);
        _processes.Insert(0, process);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                await Client.StatusAsync();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (HttpRequestException) when (process.HasExited)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"the engine exited with code {process.ExitCode} before it answered; its last output:\n{LastOutput(process)}");
            }
        }
    }

    /// <summary>SIGTERM to the engine, as a service manager stops it.</summary>
    public async Task StopEngineProcessAsync()
    {
        var engine = EngineProcess;
        Process.Start("kill", ["-TERM", engine.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await engine.WaitForExitAsync();
        _processes.Remove(engine);
    }

    /// <summary>Runs a furrow command to completion (dbctl, spool) and returns its exit code and output.</summary>
    public async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var process = Start(args);
        _processes.Remove(process);
        await process.WaitForExitAsync();
        return (process.ExitCode, "");
    }

    public Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // Blades enrol with the secret their engine made, as a service unit would give it them.
        info.Environment["FURROW_ENROLMENT_SECRET_FILE"] = EnrolmentSecretFile;
        info.ArgumentList.Add(FurrowDll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // Blades run the bench's commands as their own user, root on the bench machine: the bench measures the farm, and
        // its jobs' owner has no account there (a blade run as root needs the choice made).
        info.Environment["FURROW_BLADE_RUN_AS"] = "blade";
        var process = Process.Start(info)!;
        // FURROW_BENCH_VERBOSE=1 passes the engine's and blades' output on to stderr (the JSON line stays alone on stdout);
        // the last lines are kept anyway, to say why a process that should have served ended.
        var verbose = Environment.GetEnvironmentVariable("FURROW_BENCH_VERBOSE") == "1";
        var last = new Queue<string>();
        lock (_lastLines)
            _lastLines[process.Id] = last;
        void Line(string? line)
        {
            if (line is null)
                return;
            if (verbose)
                Console.Error.WriteLine(line);
            lock (last)
            {
                last.Enqueue(line);
                if (last.Count > 20)
                    last.Dequeue();
            }
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private string LastOutput(Process process)
    {
        Queue<string>? last;
        lock (_lastLines)
            last = _lastLines.GetValueOrDefault(process.Id);
        if (last is null)
            return "";
        lock (last)
            return string.Join('\n', last);
    }

    /// <summary>Collections per generation between two statuses, as "gen0/gen1/gen2"; "-" for an engine too old to say.</summary>
    public static string CollectionsBetween(EngineStatus before, EngineStatus after) =>
        before.Collections is null || after.Collections is null ? "-" : string.Join('/', after.Collections.Zip(before.Collections, (a, b) => a - b));

    /// <summary>The CPU time the engine process has used so far, all its threads together.</summary>
    public TimeSpan CpuTime()
    {
        EngineProcess.Refresh();
        return EngineProcess.TotalProcessorTime;
    }

    /// <summary>
    /// The CPU time the managed PostgreSQL cluster's processes (the postmaster and its children, the engine's backends among
    /// them) have used so far; zero on SQLite, whose work is the engine's own. Counted in the kernel's clock ticks (10 ms).
    /// </summary>
    public TimeSpan DatabaseCpuTime()
    {
        var pidFile = Path.Combine(Root, "data", "psql", "postmaster.pid");
        if (Store != "postgresql" || !File.Exists(pidFile))
            return TimeSpan.Zero;
        var postmaster = File.ReadLines(pidFile).First().Trim();
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // a process that ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // Fields after the command name (which may hold spaces, in parentheses): state ppid ... utime (14th) stime (15th)
            // cutime cstime (the ended children's, which the postmaster collects, so a backend that ends is still counted).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int number) => long.Parse(fields[number - 3], System.Globalization.CultureInfo.InvariantCulture);
            if (Path.GetFileName(dir) == postmaster)
                ticks += Field(14) + Field(15) + Field(16) + Field(17);
            else if (fields[1] == postmaster)
                ticks += Field(14) + Field(15);
        }
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>The engine's peak resident set (VmHWM), in MiB.</summary>
    public double PeakRssMb()
    {
        var line = File.ReadLines($"/proc/{EngineProcess.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (Store == "postgresql")
            await RunAsync("dbctl", "--configdir", Root, "--stop");
        foreach (var process in _processes.AsEnumerable().Reverse())
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        Client.Dispose();
        // FURROW_BENCH_KEEP=1 leaves the site for the caller to delete later. On an ext4 without a journal, creating a
        // file within a few minutes of deleting many others scans past every recently freed inode (150-270 us per file
        // measured here, against 15-25 us otherwise), so a run started just after another run's site was deleted
        // measures the file system's inode reuse rule, not Furrow.
        if (Environment.GetEnvironmentVariable("FURROW_BENCH_KEEP") == "1")
            Console.Error.WriteLine($"kept {Root}");
        else
            Directory.Delete(Root, recursive: true);
    }
}
