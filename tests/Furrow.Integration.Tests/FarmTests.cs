using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>A real engine and real blade processes run job trees to done, with logs on disk.</summary>
public sealed class FarmTests
{
    private const string TreeScript = """
        ##AlfredToDo 3.0
        Job -title {tree} -subtasks {
            Task {parent} -serialsubtasks 1 -subtasks {
                Task {first} -id {first} -cmds {
                    RemoteCmd {sh -c "echo first; sleep 0.3"}
                }
                Task {second} -cmds {
                    RemoteCmd {{echo} {second}}
                    RemoteCmd {{echo} {second again}}
                }
            } -cmds {
                RemoteCmd {{echo} {parent runs last}}
            }
            Iterate i -from 1 -to 3 -by 1 -template {
                Task "frame $i" -cmds {
                    RemoteCmd "echo frame $i"
                }
            }
            Task {after first} -subtasks {
                Instance {first}
            } -cmds {
                RemoteCmd {{echo} {after first}}
            }
        } -cleanup {
            RemoteCmd {{echo} {cleanup}}
        }
        """;

    [Fact]
    public async Task ALargeJobLeavingMemory_IsFollowedByACollectionThatReturnsItsMemory()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var script = new System.Text.StringBuilder("Job -title {large} -subtasks {\n");
        for (var i = 1; i <= 12_000; i++)
            script.Append("  Task {t").Append(i).Append("} -cmds { RemoteCmd {true} }\n");
        var reply = await site.Client.SpoolAsync(script.Append("}\n").ToString(), new SpoolOptions("tester", "large.alf", Paused: true));
        Assert.DoesNotContain("Returned", site.EngineProcess!.Output);

        await site.Client.OperateAsync("delete", $"jid={reply.Jid}", "tester", force: false);

        // The engine looks every 10 s: its next look after the delete collects and says what it gave back.
        await Eventually.WaitUntilAsync(() => Task.FromResult(site.EngineProcess.Output.Contains("Returned", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), () => $"the engine to return memory; its output:\n{site.EngineProcess.Output}");
        Assert.Matches(@"Returned \d+ MB to the system after jobs left memory \(\d+ MB held now", site.EngineProcess.Output);
    }

    /// <summary>
    /// A spooled job's startable tasks are written ready with the job itself (one write, not a second one of every row),
    /// so the states a listing shows straight after the spool, and after an engine killed at once, are the scheduler's:
    /// leaves with nothing to wait for are ready, a task with nothing to run is done, the rest wait; and the killed
    /// engine's successor runs them all.
    /// </summary>
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ASpooledJobsTasks_AreStoredReadyBlockedOrDone_AsTheSchedulerSeesThem_AndRunAfterAnEngineKill()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync(TreeScript.Replace("Job -title {tree} -subtasks {", "Job -title {tree} -subtasks {\n    Task {empty}", StringComparison.Ordinal));
        Dictionary<string, string> States(IEnumerable<TaskRow> rows) => rows.ToDictionary(t => t.Title, t => t.State);
        var expected = new Dictionary<string, string>
        {
            ["empty"] = "done", ["parent"] = "blocked", ["first"] = "ready", ["second"] = "blocked", ["frame 1"] = "ready", ["frame 2"] = "ready",
            ["frame 3"] = "ready", ["after first"] = "blocked", ["job cleanup"] = "blocked",
        };
        Assert.Equal(expected, States(await site.Client.TasksAsync($"jid={jid}")));

        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();
        Assert.Equal(expected, States(await site.Client.TasksAsync($"jid={jid}")));
        await site.StartBladeAsync("blade-a");
        var job = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, TimeSpan.FromSeconds(60), "done");
        Assert.Equal(expected.Count, job.NumTasks);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task JobTree_RunsToDone_InDependencyOrder_WithLogsOnDisk()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("blade-a");
        await site.StartBladeAsync("blade-b");

        var jid = await site.SpoolAsync(TreeScript);
        var job = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, TimeSpan.FromSeconds(60), "done");

        var tasks = (await site.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title);
        Assert.Equal(job.NumTasks, tasks.Count);
        Assert.All(tasks.Values, t => Assert.Equal("done", t.State));
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(job.NumTasks + 1, runs.Count); // "second" has two commands
        Assert.Equal(2, runs.Select(r => r.Blade).Distinct().Count());

        long Start(string title) => runs.Where(r => r.Tid == tasks[title].Tid).Min(r => r.StartTime!.Value);
        long Stop(string title) => runs.Where(r => r.Tid == tasks[title].Tid).Max(r => r.StopTime!.Value);
        Assert.True(Stop("first") <= Start("second"), "serial subtasks run in order");
        Assert.True(Stop("second") <= Start("parent"), "subtasks run before their parent");
        Assert.True(Stop("first") <= Start("after first"), "an Instance waits for the task it refers to");
        Assert.True(runs.Where(r => r.Tid != tasks["job cleanup"].Tid).Max(r => r.StopTime!.Value) <= Start("job cleanup"),
            "the job's -cleanup runs after every other task");

        var secondLog = await File.ReadAllTextAsync(site.LogPath("tester", jid, tasks["second"].Tid));
        Assert.True(secondLog.IndexOf("second\n", StringComparison.Ordinal) < secondLog.IndexOf("second again", StringComparison.Ordinal),
            "a task's commands run in order and both outputs are logged: " + secondLog);
        Assert.Contains("frame 2", await File.ReadAllTextAsync(site.LogPath("tester", jid, tasks["frame 2"].Tid)));
        Assert.Contains("frame 2", await site.Client.TaskLogAsync(jid, tasks["frame 2"].Tid));
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task KilledBlade_ItsTaskGoesBackToReady_WithinTheTimeout_AndCompletesElsewhere()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 3);
        await site.StartEngineAsync();
        var doomed = await site.StartBladeAsync("doomed", slots: 1);
        var jid = await site.SpoolAsync("""
            Job -title {survivor} -subtasks {
                Task {long} -cmds { RemoteCmd {sh -c "sleep 3; echo finished"} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.StartTime is not null),
            TimeSpan.FromSeconds(30), () => "the command to start on the doomed blade");

        doomed.KillHard();
        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.StartBladeAsync("rescuer", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(40), "done on the rescuer");

        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(2, runs.Count);
        var lost = runs.Single(r => r.Blade == "doomed");
        Assert.Equal("blade silent", lost.Status);
        Assert.True(lost.StopTime!.Value - killedAt < 3_000 + 2_500, $"requeued {lost.StopTime - killedAt} ms after the kill");
        var rescued = runs.Single(r => r.Blade == "rescuer");
        Assert.Equal(0, rescued.ExitCode);
        Assert.Contains("finished", await site.Client.TaskLogAsync(jid, 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task EngineRestart_WhileABladeRunsACommand_DoesNotRestartIt_AndItsLogAndExitCodeArrive(bool killHard)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("steady", slots: 1);
        var jid = await site.SpoolAsync("""
            Job -title {long} -subtasks {
                Task {through the restart} -cmds { RemoteCmd {sh -c "echo before; sleep 4; echo after; exit 7"} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => File.Exists(site.LogPath("tester", jid, 1))
                && (await File.ReadAllTextAsync(site.LogPath("tester", jid, 1))).Contains("before"),
            TimeSpan.FromSeconds(30), () => "the command's first line in its log");

        if (killHard)
            site.EngineProcess!.KillHard();
        else
            await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();

        await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(40), "finished with the command's exit code");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        var run = Assert.Single(runs);
        Assert.Equal(7, run.ExitCode);
        var log = await File.ReadAllTextAsync(site.LogPath("tester", jid, 1));
        Assert.Equal(1, Count(log, "before\n"));
        Assert.Equal(1, Count(log, "after\n"));
        Assert.Contains("exit code 7", log);
    }

    private static int Count(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    // Skipping a task skips what has not run to its end (the running command, the failed one, those after); a command
    // that ran to its end stays done, as its invocation says.
    [Fact]
    public async Task Skip_SkipsTheRunningOrFailedCommandAndTheRest_AndLeavesADoneCommandDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker", slots: 2);
        var jid = await site.SpoolAsync("""
            Job -title {skips} -subtasks {
                Task {runs} -cmds { RemoteCmd {true}; RemoteCmd {sleep 120}; RemoteCmd {true} }
                Task {fails} -cmds { RemoteCmd {true}; RemoteCmd {sh -c "exit 3"}; RemoteCmd {true} }
            }
            """);
        await Eventually.WaitUntilAsync(async () =>
            (await site.Client.CommandsAsync($"jid={jid}")).OrderBy(c => c.Cid).Select(c => c.State).SequenceEqual(["done", "active", "blocked", "done", "error", "blocked"]),
            TimeSpan.FromSeconds(30), () => $"J{jid}: a command running in T1 and one failed in T2");

        await site.Client.OperateAsync("skip", $"jid={jid}", "tester", force: false);

        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done after the skip");
        Assert.Equal(["done", "skipped", "skipped", "done", "skipped", "skipped"],
            (await site.Client.CommandsAsync($"jid={jid}")).OrderBy(c => c.Cid).Select(c => c.State));
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task TqOperations_RetrySkipPauseDelete_ChangeTheQueue()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("""
            Job -title {ops} -subtasks {
                Task {fails} -cmds { RemoteCmd {sh -c "exit 3"} }
                Task {waits} -subtasks { Instance {fails} } -cmds { RemoteCmd {{echo} {ran after skip}} }
            }
            """);
        await site.StartBladeAsync("worker");
        await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error");

        var tq = (params string[] args) => FurrowProcess.RunAsync(["tq", "--engine", site.Engine,
            .. args.Contains("--user") ? args : ["--user", "tester", .. args]]);
        var (code, _, stderr) = await tq("retry", $"jid={jid}");
        Assert.Equal(1, code); // two tasks, no --yes, and no one to answer the question
        Assert.Contains("retry 2 tasks", stderr);
        Assert.Contains("--yes", stderr);
        // Nothing to act on is said, and is no failure (Tractor's tq exits 0 too).
        (code, _, stderr) = await tq("--yes", "pause", "jid=99999");
        Assert.Equal(0, code);
        Assert.Contains("no jobs match 'jid=99999'; nothing done", stderr);

        (code, var stdout, stderr) = await tq("--yes", "retry", "error", "and", $"jid={jid}");
        Assert.True(code == 0, stderr);
        Assert.Contains($"retry J{jid} T1", stdout);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Count == 2,
            TimeSpan.FromSeconds(30), () => "the retried task to run again");
        await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error again");

        (code, _, stderr) = await tq("--yes", "--user", "someone-else", "skip", "error");
        Assert.NotEqual(0, code);
        Assert.Contains("--force", stderr);
        (code, _, stderr) = await tq("--yes", "--force", "--user", "someone-else", "skip", "error");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done after the skip");

        var paused = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }");
        (code, _, stderr) = await tq("--yes", "pause", $"jid={paused}");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await tq("--yes", "delete", $"jid={paused}");
        Assert.True(code == 0, stderr);
        Assert.Empty(await site.Client.JobsAsync($"jid={paused}"));
        Assert.True((await site.Client.JobsAsync($"jid={paused}", archived: true)).Single().Deleted);

        (code, stdout, _) = await tq("--json", "jobs", $"jid={jid}");
        Assert.Equal(0, code);
        Assert.Contains("\"numdone\":2", stdout);
        (code, _, stderr) = await tq("jobs", "prority=3");
        Assert.NotEqual(0, code);
        Assert.Contains("prority", stderr);
    }
}
