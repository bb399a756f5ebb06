using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>Upgrade by restart: the engine killed again and again while blades run commands loses and repeats nothing.</summary>
public sealed class RestartTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task EngineKilledTenTimes_With200CommandsRunningOn4Blades_RunsEachExactlyOnce_AndKeepsEveryLog()
    {
        const int tasks = 200;
        await using var site = new TestSite();
        await site.StartEngineAsync();
        for (var b = 0; b < 4; b++)
            await site.StartBladeAsync($"blade-{b}", slots: 50);
        var script = "Job -title {chaos} -subtasks {\n" + string.Concat(Enumerable.Range(1, tasks).Select(i =>
            $"  Task {{t{i}}} -cmds {{ RemoteCmd {{sh -c \"echo start {i}; sleep 6; echo end {i}\"}} }}\n")) + "}\n";
        var jid = await site.SpoolAsync(script);
        // Running on the blades, not just handed out: a kill before a dispatch reply arrives is a different case (below).
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Count(i => i.StartTime is not null) == tasks,
            TimeSpan.FromSeconds(60), () => "all 200 commands to be running");

        // Half the kills land while every command runs, half while their exits and last output pour in.
        for (var restart = 0; restart < 10; restart++)
        {
            if (restart >= 5)
            {
                var atLeast = (restart - 4) * 30;
                await Eventually.WaitUntilAsync(async () => (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone >= atLeast,
                    TimeSpan.FromSeconds(60), () => $"{atLeast} commands to finish");
            }
            site.EngineProcess!.KillHard();
            await site.StartEngineAsync();
        }

        await site.WaitForJobAsync(jid, j => j.NumDone == tasks, TimeSpan.FromSeconds(120), "all done");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        var statuses = string.Join(", ", runs.GroupBy(r => r.Status).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(runs.Count == tasks, $"nothing may be dispatched twice, but there were {runs.Count} runs ({statuses}); engine output:\n"
            + site.EngineProcess!.Output);
        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        for (var tid = 1; tid <= tasks; tid++)
        {
            var log = await File.ReadAllTextAsync(site.LogPath("tester", jid, tid));
            Assert.Equal(1, log.Split($"start {tid}\n").Length - 1);
            Assert.Equal(1, log.Split($"end {tid}\n").Length - 1);
        }
    }

    [Fact]
    public async Task UpgradeWithASchemaChange_WhileABladeRunsACommand_AdoptsIt_AndRunsItOnce()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("steady", slots: 1);
        var jid = await site.SpoolAsync("""
            Job -title {through the upgrade} -subtasks {
                Task {long} -cmds { RemoteCmd {sh -c "echo before; sleep 4; echo after"} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.StartTime is not null),
            TimeSpan.FromSeconds(30), () => "the command to start");

        // The old build's schema: stop the engine and take the database down, as a downgrade would have left it.
        await site.EngineProcess!.TerminateAsync();
        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--schema-version");
        Assert.True(code == 0, stderr);
        var latest = stdout.Trim();
        (code, _, stderr) = await Shims.DbctlAsync(site, "--migrate-to", "1");
        Assert.True(code == 0, stderr);

        // The "newer build" migrates at start while the blade's command keeps running.
        await site.StartEngineAsync();
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(40), "done after the upgrade");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("after", await File.ReadAllTextAsync(site.LogPath("tester", jid, 1)));
        (code, stdout, _) = await Shims.DbctlAsync(site, "--schema-version");
        Assert.Equal(latest, stdout.Trim());
    }

    [Fact]
    public async Task WhileTheEngineMigrates_ApiCallsWait_AndAreAnsweredOnceItIsReady()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {waits} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        await site.EngineProcess!.TerminateAsync();
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--migrate-to", "1");
        Assert.True(code == 0, stderr);

        // Another writer holds the database, so the engine's migration cannot finish until it lets go.
        var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(site.DataDir, "db", "furrow.db")};Pooling=false");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        await using var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
        await Eventually.WaitUntilAsync(() => Task.FromResult(engine.Output.Contains("listening on port")), TimeSpan.FromSeconds(30),
            () => "the engine to listen while its migration waits; output:\n" + engine.Output);

        var query = FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--json", "jobs");
        var first = await Task.WhenAny(query, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.NotSame(query, first); // held, not failed

        await holder.DisposeAsync();
        (code, var stdout, stderr) = await query;
        Assert.True(code == 0, stderr);
        Assert.Contains($"\"jid\":{jid}", stdout);
    }
}
