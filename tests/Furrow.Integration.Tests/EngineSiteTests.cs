using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>Several engines on one host, the data-dir and port locks, and the pause-dispatching switch.</summary>
public sealed class EngineSiteTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task TwoEngines_WithTheirOwnPortsAndDataDirs_RunSideBySide()
    {
        await using var first = new TestSite();
        await using var second = new TestSite();
        await first.StartEngineAsync();
        await second.StartEngineAsync();
        await first.StartBladeAsync("blade-one", slots: 1);
        await second.StartBladeAsync("blade-two", slots: 1);

        var one = await first.SpoolAsync("Job -title {one} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {engine one}} } }");
        var two = await second.SpoolAsync("Job -title {two} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {engine two}} } }");
        await first.WaitForJobAsync(one, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await second.WaitForJobAsync(two, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");

        Assert.Equal("blade-one", (await first.Client.InvocationsAsync()).Single().Blade);
        Assert.Equal("blade-two", (await second.Client.InvocationsAsync()).Single().Blade);
        Assert.Contains("engine one", await File.ReadAllTextAsync(first.LogPath("tester", one, 1)));
        Assert.Contains("engine two", await File.ReadAllTextAsync(second.LogPath("tester", two, 1)));
    }

    [Fact]
    public async Task SecondEngine_OnAHeldDataDirOrPort_IsRefused_NamingTheFirst()
    {
        await using var site = new TestSite();
        var running = await site.StartEngineAsync();

        await using var samePort = new TestSite();
        File.WriteAllText(Path.Combine(samePort.ConfigDir, "tractor.config"), $$"""{ "ListenPort": {{site.Port}} }""");
        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", samePort.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains($"port {site.Port} is in use by the Furrow engine", stderr);
        Assert.Contains($"pid {running.Pid}", stderr);

        (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--port", "1", "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains($"data directory {site.DataDir} is held by the engine on", stderr);
        Assert.Contains($"pid {running.Pid} port {site.Port}", stderr);
        Assert.Equal(running.Pid, (await site.Client.StatusAsync()).Pid); // the first engine is untouched and still serving
    }

    [Fact]
    public async Task AConfigDirectoryThatIsNotThere_IsRefusedNamingIt_AndNothingIsMadeThere()
    {
        await using var site = new TestSite();
        var mistyped = Path.Combine(site.Root, "furow-site");
        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", mistyped, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains($"there is no site config directory at {mistyped}", stderr);
        Assert.False(Directory.Exists(mistyped));
    }

    [Fact]
    public async Task Status_GivesTheEngineProcesssMemory_AndItsCollections()
    {
        await using var site = new TestSite();
        var engine = await site.StartEngineAsync();
        await site.SpoolAsync("Job -title {some work} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");

        var status = await site.Client.StatusAsync();

        // The resident size the engine reports is the one the kernel gives for its pid (read just after, so within a margin).
        var rss = File.ReadLines($"/proc/{engine.Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var rssBytes = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        Assert.InRange(status.WorkingSetBytes, rssBytes / 2, rssBytes * 2);
        Assert.Equal(3, status.Collections.Length);
        Assert.True(status.Collections[0] >= status.Collections[1] && status.Collections[1] >= status.Collections[2] && status.Collections[2] >= 0,
            $"collections per generation: {string.Join(", ", status.Collections)}");
        Assert.True(status.GcPauseMs >= 0);
        Assert.True(status.HeapBytes >= 0 && status.HeapBytes < status.WorkingSetBytes * 4, $"heap {status.HeapBytes}, rss {status.WorkingSetBytes}");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task PauseDispatch_LetsRunningCommandsFinish_AndStartsNothingNew_UntilResumed()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker", slots: 2);
        var running = await site.SpoolAsync("""Job -title {running} -subtasks { Task {t} -cmds { RemoteCmd {sh -c "sleep 2; echo finished"} } }""");
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={running}")).Any(i => i.StartTime is not null),
            TimeSpan.FromSeconds(30), () => "the first command to start");

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "pause-dispatch");
        Assert.True(code == 0, stderr);
        Assert.Contains("paused", stdout);
        var held = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {later}} } }");
        await site.WaitForJobAsync(running, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done while dispatch is paused");
        Assert.Empty(await site.Client.InvocationsAsync($"jid={held}"));
        Assert.True((await site.Client.StatusAsync()).DispatchPaused);

        (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "resume-dispatch");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(held, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done after resume");
    }

    [Fact]
    public async Task SecondEngine_OnAnotherEnginesDBDataDir_IsRefused_AndDbctlFindsTheDatabaseThere()
    {
        await using var first = new TestSite();
        var shared = Path.Combine(first.Root, "shared-db");
        File.WriteAllText(Path.Combine(first.ConfigDir, "db.config"), $$"""{ "DBProvider": "sqlite", "DBDataDir": "{{shared}}" }""");
        var running = await first.StartEngineAsync();
        await first.SpoolAsync("Job -title {in the shared db} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        Assert.True(File.Exists(Path.Combine(shared, "furrow.db")));

        await using var second = new TestSite();
        File.WriteAllText(Path.Combine(second.ConfigDir, "db.config"), $$"""{ "DBDataDir": "{{shared}}" }""");
        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", second.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains($"database directory {shared} is held by the engine on", stderr);
        Assert.Contains($"pid {running.Pid}", stderr);

        (code, var stdout, stderr) = await Shims.DbctlAsync(first, "--show-params");
        Assert.True(code == 0, stderr);
        Assert.Contains($"database directory: {shared}", stdout);
        Assert.Contains("last used job id: 1", stdout);
    }

    [Fact]
    public async Task Sigterm_StopsTheEngineAtOnce_EvenWhileBladesLongPollForWork()
    {
        await using var site = new TestSite();
        var engine = await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("idle"); // now waiting in a 20 s long-poll
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await engine.TerminateAsync();
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(8), $"the engine took {stopping.Elapsed.TotalSeconds:0.0} s to stop");
        Assert.False(blade.HasExited); // the blade waits for the engine to come back
    }
}
