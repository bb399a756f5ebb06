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
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task EngineKilled_MidWayThroughATasksCommands_InATree_AmongOtherJobs_ResumesEachJobWhereItWas()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // Jobs before and after the one that runs, so the reload has to keep each job's rows apart.
        var before = await site.SpoolAsync("Job -title {before} -paused 1 -subtasks {\n Task {x} -cmds { RemoteCmd {{true}} }\n Task {y} -cmds { RemoteCmd {{true}} }\n}");
        var jid = await site.SpoolAsync("""
            Job -title {resume} -serialsubtasks 1 -subtasks {
                Task {parent} -subtasks {
                    Task {a} -cmds {
                        RemoteCmd {sh -c "echo a1"}
                        RemoteCmd {sh -c "echo a2 start; sleep 4; echo a2 end"}
                        RemoteCmd {sh -c "echo a3"}
                    }
                    Task {b} -cmds {
                        RemoteCmd {sh -c "echo b1"}
                        RemoteCmd {sh -c "echo b2"}
                    }
                } -cmds { RemoteCmd {sh -c "echo parent"} }
                Task {last} -cmds { RemoteCmd {sh -c "echo last"} }
            }
            """);
        var after = await site.SpoolAsync("Job -title {after} -paused 1 -subtasks { Task {z} -cmds { RemoteCmd {{true}} } }");
        await site.StartBladeAsync("one", slots: 1);
        var tids = (await site.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title, t => t.Tid);
        await Eventually.WaitUntilAsync(async () => File.Exists(site.LogPath("tester", jid, tids["a"]))
                && (await File.ReadAllTextAsync(site.LogPath("tester", jid, tids["a"]))).Contains("a2 start"),
            TimeSpan.FromSeconds(30), () => "task a's second command to start");

        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();

        await site.WaitForJobAsync(jid, j => j.NumDone == 4, TimeSpan.FromSeconds(60), "all four tasks done");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(Enumerable.Range(1, 7), runs.Select(r => r.Cid).Order()); // each command once, none again
        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        var log = await File.ReadAllTextAsync(site.LogPath("tester", jid, tids["a"]));
        Assert.Equal(["a1", "a2 start", "a2 end", "a3"], log.Split('\n').Where(l => l.StartsWith('a')));
        // The tree's order held across the restart: the parent after both subtasks, the serial sibling after the parent.
        long Start(string title) => runs.Where(r => r.Tid == tids[title]).Min(r => r.StartTime!.Value);
        long Stop(string title) => runs.Where(r => r.Tid == tids[title]).Max(r => r.StopTime!.Value);
        Assert.True(Start("parent") >= Math.Max(Stop("a"), Stop("b")), "the parent ran before its subtasks were done");
        Assert.True(Start("last") >= Stop("parent"), "the serial sibling ran before the parent was done");
        foreach (var (other, count) in new[] { (before, 2), (after, 1) })
        {
            var job = Assert.Single(await site.Client.JobsAsync($"jid={other}"));
            Assert.Equal((count, 0, true), (job.NumTasks, job.NumDone, job.Paused));
            Assert.Empty(await site.Client.InvocationsAsync($"jid={other}"));
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
