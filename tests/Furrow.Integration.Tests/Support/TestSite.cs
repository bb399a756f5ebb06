using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Integration.Tests.Support;

/// <summary>A throw-away Furrow site: config dir, data dir, a free port, and the engine and blades started on it.</summary>
public sealed class TestSite : IAsyncDisposable
{
    private readonly List<FurrowProcess> _processes = [];

    public TestSite(double bladeSilenceTimeoutSecs = 15, string? dataDirectory = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "furrow-test-" + Guid.NewGuid().ToString("N")[..12]);
        ConfigDir = Path.Combine(Root, "config");
        DataDir = dataDirectory ?? Path.Combine(Root, "data");
        Directory.CreateDirectory(ConfigDir);
        Port = LoopbackPorts.Next();
        File.WriteAllText(Path.Combine(ConfigDir, "tractor.config"), $$"""
            {
                // written by the integration tests
                "TractorDataDirectory": "{{DataDir}}",
                "ListenPort": {{Port}},
                "BladeSilenceTimeoutSecs": {{bladeSilenceTimeoutSecs.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
            }
            """);
        Client = new EngineClient(Engine);
        if (Store == "postgresql")
        {
            UsePostgres(LoopbackPorts.Next());
            SeedClusterFromTemplate();
        }
    }

    // initdb takes seconds of fsyncs (most of a PostgreSQL-rerun test's set-up, far more on a busy machine), so a test
    // run makes one managed cluster, with dbctl as any site does, stops it, and gives each site a copy in its DBDataDir:
    // the engine then finds a stopped cluster holding an empty job database (what `dbctl --start` leaves), starts it and
    // makes the tables as on any first start. A cluster keeps no port or path of its own (pg_ctl is given them at each
    // start). Making a cluster from nothing (initdb, "no cluster yet") is PostgresSiteTests', whose sites set up their
    // clusters themselves.
    private void SeedClusterFromTemplate()
    {
        var cluster = Path.Combine(DataDir, "psql");
        if (Directory.Exists(cluster))
            return;
        Directory.CreateDirectory(DataDir);
        // Task.Run: no continuation may need the test's own synchronization context while the constructor blocks.
        var (code, stdout, stderr) = Task.Run(async () =>
            await ProgramRun.RunAsync("cp", ["-a", await ClusterTemplate.Value, cluster])).GetAwaiter().GetResult();
        if (code != 0) // -a keeps the postgres user's ownership (a root-run engine) and the 0700 mode pg_ctl insists on
            throw new InvalidOperationException($"copying the template PostgreSQL cluster to {cluster} failed: {stdout}{stderr}");
    }

    private static readonly Lazy<Task<string>> ClusterTemplate = new(MakeClusterTemplateAsync);

    private static async Task<string> MakeClusterTemplateAsync()
    {
        // The test host is ended without running exit handlers, so each run removes the templates of runs that have ended
        // (their test host's pid is in the name) and leaves at most its own behind.
        const string prefix = "furrow-test-pg-template-";
        foreach (var old in Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(old)[prefix.Length..].Split('-')[0], out var pid) && !IsRunning(pid))
                await ProgramRun.RunAsync("rm", "-rf", old);
        }
        var root = Path.Combine(Path.GetTempPath(), $"{prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        var configDir = Path.Combine(root, "config");
        Directory.CreateDirectory(configDir);
        await File.WriteAllTextAsync(Path.Combine(configDir, "tractor.config"),
            $$"""{ "TractorDataDirectory": "{{Path.Combine(root, "data")}}", "ListenPort": {{LoopbackPorts.Next()}} }""");
        await File.WriteAllTextAsync(Path.Combine(configDir, "db.config"), $$"""{ "DBProvider": "postgresql", "DBPort": {{LoopbackPorts.Next()}} }""");
        foreach (var verb in (string[])["--start", "--stop"])
        {
            var (code, stdout, stderr) = await FurrowProcess.RunAsync("dbctl", "--configdir", configDir, verb);
            if (code != 0)
                throw new InvalidOperationException($"making the template PostgreSQL cluster: dbctl {verb} exited {code}: {stdout}{stderr}");
        }
        var cluster = Path.Combine(root, "data", "psql");
        File.Delete(Path.Combine(cluster, "furrow-postgresql.log"));
        return cluster;
    }

    /// <summary>Tests that hold for any job store carry this trait; CI runs them again on PostgreSQL.</summary>
    public const string StoreTrait = "Store";
    public const string AnyStore = "any";

    /// <summary>The job store the engine-level tests run on: `$FURROW_TEST_STORE` (sqlite, the default, or postgresql).</summary>
    public static string Store { get; } = Environment.GetEnvironmentVariable("FURROW_TEST_STORE") is { Length: > 0 } store ? store : "sqlite";

    public bool UsesPostgres { get; private set; }

    /// <summary>Makes this site keep its job database in a managed PostgreSQL cluster on <paramref name="port"/>.</summary>
    public void UsePostgres(int port, bool shutdownWithEngine = true)
    {
        UsesPostgres = true;
        File.WriteAllText(Path.Combine(ConfigDir, "db.config"), $$"""
            { "DBProvider": "postgresql", "DBPort": {{port}}, "DBShutdown": {{(shutdownWithEngine ? "true" : "false")}} }
            """);
    }

    public string Root { get; }
    public string ConfigDir { get; }
    public string DataDir { get; }
    public int Port { get; }
    public string Engine => $"127.0.0.1:{Port}";
    public EngineClient Client { get; }
    public FurrowProcess? EngineProcess { get; private set; }

    /// <summary>Adds settings to this site's tractor.config, given as JSON members (<c>"Key": value, ...</c>), before the engine starts.</summary>
    public async Task AddEngineSettingsAsync(string members)
    {
        var config = Path.Combine(ConfigDir, "tractor.config");
        var text = await File.ReadAllTextAsync(config);
        await File.WriteAllTextAsync(config, text.Insert(text.IndexOf('{') + 1, $"\n    {members},"));
    }

    private readonly List<string> _administrators = [];
    private string? _adminToken;

    /// <summary>
    /// Gives <paramref name="user"/> an account in users.config with a new random password (returned), and puts it in
    /// crews.config's Administrators when <paramref name="administrator"/>. A running engine's next login sees it.
    /// </summary>
    public string AddAccount(string user, bool administrator = false)
    {
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var users = Furrow.Engine.Access.AccessFiles.ReadUsers(ConfigDir);
        users.Users[user] = new Furrow.Core.Config.UserAccount
        {
            PasswordHash = Furrow.Engine.Access.UserAccounts.HashPassword(user, password),
            Stamp = Guid.NewGuid().ToString("N"),
        };
        Furrow.Engine.Access.AccessFiles.WriteUsers(ConfigDir, users);
        if (administrator)
        {
            _administrators.Add(user);
            var members = string.Join(", ", _administrators.Select(a => "\"" + a + "\""));
            File.WriteAllText(Path.Combine(ConfigDir, "crews.config"), "{ \"Crews\": { \"Administrators\": [" + members + "] } }");
        }
        return password;
    }

    /// <summary>Logs <paramref name="user"/> in over HTTP and returns the token.</summary>
    public async Task<string> LoginAsync(string user, string password)
    {
        using var client = new EngineClient(Engine, new HttpClient());
        return (await client.LoginAsync(user, password)).Token;
    }

    /// <summary>
    /// A raw HTTP client of the engine over TCP that sends an administrator's login token (an account made for it), as a
    /// pipeline tool with a token would.
    /// </summary>
    public async Task<HttpClient> HttpAsync()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{Engine}/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await AdminTokenAsync());
        return http;
    }

    /// <summary>A login token of an administrator account made for the test (test-admin).</summary>
    public async Task<string> AdminTokenAsync()
    {
        if (_adminToken is null)
        {
            var password = AddAccount("test-admin", administrator: true);
            // A login sees the new account at once; the loop only rides out a refusal such as the login rate limit's.
            _adminToken = await Eventually.WaitForAsync(async () =>
            {
                try
                {
                    return await LoginAsync("test-admin", password);
                }
                catch (EngineException)
                {
                    return null;
                }
            }, TimeSpan.FromSeconds(10), () => "the engine to take the test-admin account");
        }
        return _adminToken;
    }

    public string BladeStateDir(string bladeName) => Path.Combine(Root, "blades", bladeName);

    /// <summary>The blade enrolment secret the engine makes on its first start; <see cref="Client"/> enrols the blades it registers with it.</summary>
    public string EnrolmentSecretFile => Path.Combine(DataDir, "blade-enrolment.secret");

    public string LogPath(string owner, long jid, int tid) => Path.Combine(DataDir, "logs", owner, $"J{jid}", $"T{tid}.log");

    public async Task<FurrowProcess> StartEngineAsync()
    {
        EngineProcess = Track(FurrowProcess.Start("engine", "--configdir", ConfigDir, "--listen", "127.0.0.1"));
        var engine = EngineProcess;
        await Eventually.WaitForAsync(async () => (object)await Client.StatusAsync(), TimeSpan.FromSeconds(30),
            () => $"engine to answer on {Engine}; its output:\n{engine.Output}");
        Client.EnrolmentSecret = File.Exists(EnrolmentSecretFile) ? (await File.ReadAllTextAsync(EnrolmentSecretFile)).Trim() : null;
        return EngineProcess;
    }

    /// <summary>Starts a blade whose state directory (its journal) is <see cref="BladeStateDir"/>, so a blade started again under the same name finds it.</summary>
    public Task<FurrowProcess> StartBladeAsync(string name, int slots = 2, params string[] extraArgs) =>
        StartBladeAsync(name, slots, null, extraArgs);

    /// <param name="environment">Variables set for the blade process on top of the test's own.</param>
    /// <param name="extraArgs">More blade options; without <c>--run-as</c> (here or in <paramref name="environment"/>) the
    /// blade gets <c>--run-as blade</c>: the tests spool as users this host has no account for, and run as root in CI.</param>
    public async Task<FurrowProcess> StartBladeAsync(string name, int slots, IDictionary<string, string>? environment, params string[] extraArgs)
    {
        var blade = StartBladeProcess(name, slots, environment, extraArgs);
        await Eventually.WaitUntilAsync(async () => (await Client.BladesAsync($"name={name}")).Any(b => b.Status == "up"),
            TimeSpan.FromSeconds(30), () => $"blade {name} to register; its output:\n{blade.Output}");
        return blade;
    }

    /// <summary>Starts a blade as <see cref="StartBladeAsync(string, int, IDictionary{string, string}?, string[])"/> does, without waiting for it to register (the engine may be down).</summary>
    public FurrowProcess StartBladeProcess(string name, int slots, IDictionary<string, string>? environment, params string[] extraArgs)
    {
        string[] runAs = extraArgs.Contains("--run-as") || environment?.ContainsKey("FURROW_BLADE_RUN_AS") == true ? [] : ["--run-as", "blade"];
        return Track(FurrowProcess.Start(environment, ["blade", "--engine", Engine, "--name", name, "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--state-dir", BladeStateDir(name), "--configdir", ConfigDir, .. runAs, .. extraArgs]));
    }

    public async Task<long> SpoolAsync(string script, string user = "tester") =>
        (await Client.SpoolAsync(script, new SpoolOptions(user, "test.alf"))).Jid;

    public Task<JobRow> WaitForJobAsync(long jid, Func<JobRow, bool> condition, TimeSpan timeout, string what) =>
        Eventually.WaitForAsync(async () => (await Client.JobsAsync($"jid={jid}", archived: true)).SingleOrDefault(j => condition(j)),
            timeout, () => $"J{jid} to be {what}; engine output:\n{EngineProcess?.Output}{BladeOutputs()}");

    // Each blade's output (a blade started again shows the adoption it did or did not do), the last 20,000 characters.
    private string BladeOutputs() => string.Concat(_processes.Where(p => p != EngineProcess).Select((p, i) =>
        $"\nblade process {i + 1} (pid {p.Pid}){(p.HasExited ? ", exited" : "")} output:\n{(p.Output.Length > 20_000 ? "..." + p.Output[^20_000..] : p.Output)}"));

    private FurrowProcess Track(FurrowProcess process)
    {
        _processes.Add(process);
        return process;
    }

    // Whatever the test did to db.config, no cluster made under this site may outlive it.
    private void StopStrayPostmasters()
    {
        if (!Directory.Exists(Root))
            return;
        foreach (var pidFile in Directory.EnumerateFiles(Root, "postmaster.pid", SearchOption.AllDirectories))
        {
            if (!int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
                continue;
            try
            {
                using var postmaster = System.Diagnostics.Process.GetProcessById(pid);
                postmaster.Kill(entireProcessTree: true);
                postmaster.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        if (UsesPostgres)
            await FurrowProcess.RunAsync("dbctl", "--configdir", ConfigDir, "--stop"); // a killed engine leaves its cluster up
        StopStrayPostmasters();
        Client.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a tmpfs mount point or a file still held open: leave it to the OS's temp cleanup
        }
    }
}
