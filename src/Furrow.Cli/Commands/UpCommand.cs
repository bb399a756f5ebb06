using System.CommandLine;
using Furrow.Blade;
using Furrow.Client;
using Furrow.Engine;
using Furrow.Engine.Site;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Furrow.Cli.Commands;

/// <summary>`furrow up`: a whole farm in one command: site, engine, one local blade and a sample job.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "site directory (created if absent)", DefaultValueFactory = _ => "furrow-site" };
        var port = CommonOptions.Port("engine port (default: the site's ListenPort; 5600 for a new site)");
        var noSample = new Option<bool>("--no-sample") { Description = "do not spool the sample job" };
        var command = new Command("up", "create a site if needed, start an engine and a local blade, spool a sample job") { dir, port, noSample };
        command.SetAction(async (result, ct) =>
        {
            var (bladeRunAs, refusal) = LocalBladeRunAs();
            if (bladeRunAs is not { } runAs)
                return CommonOptions.Fail("furrow up", Environment.IsPrivilegedProcess
                    ? $"{refusal} (or set {RunAsChoice.EnvironmentVariable}=blade to run commands as root)" : refusal!);
            var site = Path.GetFullPath(result.GetValue(dir)!);
            // An existing site keeps the port its tractor.config names unless --port says otherwise.
            var listenPort = result.GetValue(port);
            var created = !File.Exists(Path.Combine(site, SiteConfigLoader.EngineConfigFile));
            SiteConfigLoader.WriteDefaults(site, listenPort ?? 5600);
            Console.WriteLine(created ? $"Created a new site in {site}" : $"Using the site in {site}");
            try
            {
                var options = EngineCommand.ResolveOptions(site, listenPort);
                await using var engine = await EngineHost.BuildAsync(options, "127.0.0.1", ct);
                await engine.StartAsync(ct);
                var address = $"127.0.0.1:{options.Port}";
                using var logging = ConsoleLogging.Create();
                var (blade, bladeState) = BladeAgent.Open(new BladeOptions { Engine = address, Name = $"{Environment.MachineName}-local", Host = "localhost",
                    Slots = Math.Max(2, Environment.ProcessorCount), StateDirectory = Path.Combine(options.DataDirectory, "blade"), RunAs = runAs,
                    EnrolmentSecretFile = options.EnrolmentSecretPath },
                    logging.CreateLogger("Furrow.Blade"));
                using var bladeStateLock = bladeState;
                // The blade stops with the engine (Ctrl-C or SIGTERM reach the engine's host first).
                using var bladeStop = CancellationTokenSource.CreateLinkedTokenSource(ct, engine.Lifetime.ApplicationStopping);
                var bladeRun = blade.RunAsync(bladeStop.Token);
                Console.WriteLine($"Engine listening on http://{address}/  (data: {options.DataDirectory})");
                await PrintDashboardLinkAsync(options, bladeStop.Token);
                if (runAs == RunAs.Owner)
                    Console.WriteLine($"Commands run as their job's owner, not root ({RunAsChoice.EnvironmentVariable}=blade runs them as root)");
                if (!result.GetValue(noSample))
                {
                    try
                    {
                        await SpoolSampleAsync(address, options.LogDirectory, bladeStop.Token);
                    }
                    catch (Exception error) when (bladeStop.IsCancellationRequested
                        && error is OperationCanceledException or HttpRequestException or EngineException)
                    {
                        // Ctrl-C or SIGTERM before the sample job was done: the farm stops all the same.
                    }
                }
                if (!bladeStop.IsCancellationRequested)
                    // tq and tractor-spool look for an engine at localhost:5600 unless told: on another port, the hint tells them.
                    Console.WriteLine("Serving until Ctrl-C. Try: " + (options.Port == 5600 ? "" : $"export TRACTOR_ENGINE=localhost:{options.Port}; ") +
                        "bin/tq jobs   bin/tq tasks   bin/tractor-spool your-job.alf");
                await engine.WaitForShutdownAsync(ct);
                await bladeRun;
                return 0;
            }
            catch (Exception error) when (error is SiteConfigException or Storage.StoreUnavailableException or EngineLockedException or IOException
                or BladeRefusedException)
            {
                return CommonOptions.Fail("furrow up", error.Message);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        });
        return command;
    }

    // Whose account the local blade's commands run as: FURROW_BLADE_RUN_AS when set, else, for a furrow up run as root,
    // each job's owner. Its jobs are spooled as the user who runs it (CommonOptions.CurrentUser), whose account is on this
    // host, so for them that is the same user as running them as root under sudo would be, and a newcomer's first job
    // runs as before; but a job another local user spools runs as that user, never as root, and a job whose owner has
    // no account here fails with a line saying so instead of running as root. Run as any other user, commands run as
    // that user, as for any blade.
    private static (RunAs? Setting, string? Refusal) LocalBladeRunAs()
    {
        var root = Environment.IsPrivilegedProcess;
        var setting = Environment.GetEnvironmentVariable(RunAsChoice.EnvironmentVariable);
        return RunAsChoice.Decide(null, string.IsNullOrWhiteSpace(setting) && root ? "owner" : setting, root);
    }

    // The user who runs furrow up is the engine's own account, known on its socket without a password: the link signs
    // their browser in as them. The code travels in the URL's fragment, which browsers send to no server.
    private static async Task PrintDashboardLinkAsync(EngineOptions options, CancellationToken ct)
    {
        var engine = $"{(options.Tls.IsOn ? "https" : "http")}://127.0.0.1:{options.Port}";
        try
        {
            if (options.LocalSocketPath is not { } socket)
                throw new HttpRequestException($"the engine has no unix socket (its data directory's path is too long: {options.DataDirectory})");
            using var client = EngineClient.ThroughLocalSocket(socket, engine);
            var link = await client.SignInLinkAsync(ct);
            Console.WriteLine($"Dashboard: {client.SignInUrl(link)}");
            Console.WriteLine("  (signs a browser in once, within 5 minutes; bin/furrow dashboard prints a new link)");
        }
        catch (Exception error) when (error is EngineException or HttpRequestException)
        {
            Console.WriteLine($"Dashboard: {engine}/  (no sign-in link: {error.Message}; try bin/furrow dashboard)");
        }
    }

    /// <summary>Whether a parsed command line runs `furrow up`, whose engine host handles SIGTERM and SIGINT itself.</summary>
    public static bool IsUp(ParseResult parsed) => parsed.CommandResult.Command.Name == "up";

    private static async Task SpoolSampleAsync(string engine, string logDirectory, CancellationToken ct)
    {
        await using var stream = typeof(UpCommand).Assembly.GetManifestResourceStream("SampleJob.alf")!;
        var script = await new StreamReader(stream).ReadToEndAsync(ct);
        using var client = new EngineClient(engine);
        var user = CommonOptions.CurrentUser;
        var reply = await client.SpoolAsync(script, new SpoolOptions(user, "SampleJob.alf", Environment.MachineName), ct);
        Console.WriteLine($"Spooled the sample job as J{reply.Jid}");
        var last = "";
        while (!ct.IsCancellationRequested)
        {
            var job = (await client.JobsAsync($"jid={reply.Jid}", user, cancellationToken: ct)).Single();
            var line = $"J{job.Jid} '{job.Title}': {job.NumDone}/{job.NumTasks} tasks done, {job.NumActive} active, {job.NumError} error";
            if (line != last)
                Console.WriteLine(line);
            last = line;
            if (job.NumDone == job.NumTasks || job.NumError > 0)
                break;
            await Task.Delay(500, ct);
        }
        Console.WriteLine($"Logs: {Path.Combine(logDirectory, user, $"J{reply.Jid}")}  (or: bin/tq log {reply.Jid} TID)");
    }
}
