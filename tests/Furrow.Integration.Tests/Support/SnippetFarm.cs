using System.Globalization;
using Furrow.Client;

namespace Furrow.Integration.Tests.Support;

/// <summary>What became of one ```sh block: whether it passed, and what a failure message says.</summary>
public sealed record SnippetOutcome(bool Passed, string Report);

/// <summary>
/// A real farm in a scratch directory, set up as the examples of README.md and docs/ assume, on which their ```sh blocks
/// run as a reader pastes them:
/// <list type="bullet">
/// <item>the working directory holds <c>bin/</c> and <c>examples/</c> (links to the checkout's) and <c>furrow-site/</c>
/// (the site's config directory), as in a checkout where <c>bin/furrow up</c> made its site;</item>
/// <item><c>PATH</c> starts with the checkout's <c>bin/</c>, so <c>tq</c>, <c>tractor-spool</c> and the others are the
/// shims; <c>TRACTOR_ENGINE</c> names the engine; blades started by a block keep their state under the scratch directory;</item>
/// <item>one blade, <c>render07</c>;</item>
/// <item>the jobs the examples name, owned by the user running the test (so they are <c>mine</c>): J1, the sample job
/// <c>furrow up</c> spools, done; J2 to J11, J13 and J14, paused one-task jobs; J12 "shot010 lighting", tasks 1, 3 and 4
/// running and task 2 in error; J15 "shot020 comp", its one task in error.</item>
/// </list>
/// </summary>
public sealed class SnippetFarm : IAsyncDisposable
{
    /// <summary>How long a block may take before it counts as hanging.</summary>
    public static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly string User = Environment.UserName;

    private readonly TestSite _site = new();
    private readonly List<string> _links = [];
    private FurrowProcess? _blade;
    private int _scripts;

    private SnippetFarm()
    {
    }

    private string WorkingDirectory => _site.Root;

    public static async Task<SnippetFarm> StartAsync()
    {
        var farm = new SnippetFarm();
        try
        {
            await farm.SetUpAsync();
            return farm;
        }
        catch
        {
            await farm.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        MakeCheckoutLinks(WorkingDirectory);
        Link(Path.Combine(WorkingDirectory, "furrow-site"), _site.ConfigDir);
        await _site.StartEngineAsync();
        _blade = await _site.StartBladeAsync("render07", slots: 6);

        var sample = await File.ReadAllTextAsync(Path.Combine(MarkdownSnippets.RepositoryRoot, "src", "Furrow.Cli", "SampleJob.alf"));
        Assert.Equal(1, await SpoolAsync(sample));
        for (var jid = 2; jid <= 15; jid++)
        {
            var spooled = jid switch
            {
                12 => await SpoolAsync("""
                    Job -title {shot010 lighting} -subtasks {
                        Task {key} -cmds { RemoteCmd {sleep 100} }
                        Task {fill} -cmds { RemoteCmd {sh -c {echo no licence for the fill light; exit 1}} }
                        Task {rim} -cmds { RemoteCmd {sleep 100} }
                        Task {comp} -cmds { RemoteCmd {sleep 100} }
                    }
                    """),
                15 => await SpoolAsync("Job -title {shot020 comp} -subtasks { Task {comp} -cmds { RemoteCmd {sh -c {echo no plate; exit 1}} } }"),
                _ => await SpoolAsync($"Job -title {{shot{jid:000}0 layout}} -subtasks {{ Task {{layout}} -cmds {{ RemoteCmd {{{{true}}}} }} }}", paused: true),
            };
            Assert.Equal(jid, spooled);
        }

        var wait = TimeSpan.FromSeconds(60);
        await _site.WaitForJobAsync(1, j => j.NumDone == j.NumTasks, wait, "done (the sample job)");
        await _site.WaitForJobAsync(15, j => j.NumError == 1, wait, "in error");
        await Eventually.WaitUntilAsync(
            async () => (await _site.Client.TasksAsync("jid=12")).Select(t => t.State).SequenceEqual(["active", "error", "active", "active"]),
            wait, () => "J12's tasks 1, 3 and 4 to run and task 2 to fail; engine output:\n" + _site.EngineProcess?.Output);
    }

    private async Task<long> SpoolAsync(string script, bool paused = false) =>
        (await _site.Client.SpoolAsync(script, new SpoolOptions(User, "job.alf", Paused: paused ? true : null))).Jid;

    /// <summary>Runs one ```sh block the way its marker says; never throws for what the block does.</summary>
    public async Task<SnippetOutcome> RunAsync(DocSnippet snippet)
    {
        switch (snippet.Run)
        {
            case SnippetRun.Paste:
                return await RunToEndAsync(snippet, WorkingDirectory);
            case SnippetRun.EngineStopped:
                await _site.EngineProcess!.TerminateAsync();
                try
                {
                    return await RunToEndAsync(snippet, WorkingDirectory);
                }
                finally
                {
                    await _site.StartEngineAsync();
                }
            case SnippetRun.UntilStopped:
                return await RunUntilStoppedAsync(snippet);
            default:
                throw new ArgumentException($"{snippet.Name} is not run ({snippet.Reason})", nameof(snippet));
        }
    }

    private async Task<SnippetOutcome> RunToEndAsync(DocSnippet snippet, string directory)
    {
        await using var shell = SnippetShell.Start(snippet, NextScript(), directory, ShellEnvironment(), stoppable: false);
        if (!await shell.WaitForExitAsync(BlockTimeout))
            return Failed(snippet, $"did not end within {BlockTimeout.TotalSeconds:0} s", shell);
        return shell.ExitCode == 0 ? new SnippetOutcome(true, "") : Failed(snippet, $"exited {shell.ExitCode}", shell);
    }

    /// <summary>
    /// A server in the foreground: it must say it is ready, then stop cleanly (exit 0) on SIGTERM. It runs in a directory
    /// of its own whose <c>furrow-site/</c> is an empty site on a free port, so that an engine started by the block does
    /// not meet the farm's engine on its data directory; a blade started by it joins the farm's engine.
    /// </summary>
    private async Task<SnippetOutcome> RunUntilStoppedAsync(DocSnippet snippet)
    {
        var directory = Path.Combine(_site.Root, $"foreground-{Path.GetFileNameWithoutExtension(snippet.File)}-{snippet.Line}");
        MakeCheckoutLinks(directory);
        Directory.CreateDirectory(Path.Combine(directory, "furrow-site"));
        await File.WriteAllTextAsync(Path.Combine(directory, "furrow-site", "tractor.config"),
            $$"""{ "TractorDataDirectory": "data", "ListenPort": {{LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture)}} }""");

        await using var shell = SnippetShell.Start(snippet, NextScript(), directory, ShellEnvironment(), stoppable: true);
        bool Ready() => shell.Output.Contains(snippet.ReadyText!, StringComparison.Ordinal);
        try
        {
            await Eventually.WaitUntilAsync(() => Task.FromResult(Ready() || shell.HasExited), BlockTimeout, () => snippet.Name);
        }
        catch (TimeoutException)
        {
            // reported below, with what the block printed
        }
        if (!Ready())
        {
            var why = shell.HasExited ? $"exited {shell.ExitCode}" : $"ran {BlockTimeout.TotalSeconds:0} s";
            return Failed(snippet, $"{why} without printing \"{snippet.ReadyText}\"", shell);
        }
        if (shell.HasExited)
            return Failed(snippet, $"printed \"{snippet.ReadyText}\", then ended by itself (exit {shell.ExitCode}) before it was stopped", shell);
        shell.SignalGroup(15);
        if (!await shell.WaitForExitAsync(StopTimeout))
            return Failed(snippet, $"was ready, but did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM", shell);
        return shell.ExitCode == 0 ? new SnippetOutcome(true, "") : Failed(snippet, $"was ready, then exited {shell.ExitCode} on SIGTERM", shell);
    }

    private SnippetOutcome Failed(DocSnippet snippet, string what, SnippetShell shell)
    {
        var block = string.Join('\n', snippet.Text.TrimEnd('\n').Split('\n').Select(l => "    " + l));
        var engine = _site.EngineProcess?.Output.Split('\n').TakeLast(15) ?? [];
        return new SnippetOutcome(false,
            $"{snippet.Name}: the ```sh block {what} (run with bash -e -o pipefail: the first failing command ends it):\n{block}\n" +
            $"--- what it printed ---\n{shell.Tail()}\n--- the engine's last lines ---\n{string.Join('\n', engine)}");
    }

    private Dictionary<string, string?> ShellEnvironment() => new()
    {
        ["PATH"] = Shims.BinDirectory + ":" + Environment.GetEnvironmentVariable("PATH"),
        ["FURROW_DLL"] = FurrowProcess.FurrowDll,
        ["TRACTOR_ENGINE"] = _site.Engine,
        ["USER"] = User,
        // A blade a block starts keeps its journal under ~/.local/share unless told otherwise: here, under the scratch directory.
        ["XDG_DATA_HOME"] = Path.Combine(_site.Root, "xdg"),
        // A blade a block starts runs its commands as its own user, as the blade render07 does (the tests run as root in
        // CI, where a blade needs the choice made; a block that shows the setting gives --run-as, which wins).
        ["FURROW_BLADE_RUN_AS"] = "blade",
        // Blocks name their site with --configdir (or rely on ./furrow-site); a setting of the test's caller must not steer them.
        ["FURROW_CONFIGDIR"] = null,
        // A blade a block starts enrols with the farm's secret, as a blade host's service unit gives it one: a block that runs
        // until stopped has a furrow-site of its own, another site, where the blade would find no secret of this farm.
        ["FURROW_ENROLMENT_SECRET_FILE"] = _site.EnrolmentSecretFile,
    };

    private string NextScript()
    {
        var scripts = Directory.CreateDirectory(Path.Combine(_site.Root, "snippet-scripts")).FullName;
        return Path.Combine(scripts, $"{++_scripts}.sh");
    }

    private void MakeCheckoutLinks(string directory)
    {
        Directory.CreateDirectory(directory);
        Link(Path.Combine(directory, "bin"), Shims.BinDirectory);
        Link(Path.Combine(directory, "examples"), Path.Combine(MarkdownSnippets.RepositoryRoot, "examples"));
    }

    private void Link(string path, string target)
    {
        Directory.CreateSymbolicLink(path, target);
        _links.Add(path);
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM, not the site's kill -9: the blade ends its commands (the sleeps of J12) with their process trees.
        if (_blade is not null)
            await _blade.TerminateAsync();
        // The links go first, so that nothing removing the scratch directory can reach through them into the checkout.
        foreach (var link in _links)
            File.Delete(link);
        await _site.DisposeAsync();
    }
}
