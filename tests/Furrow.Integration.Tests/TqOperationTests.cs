using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>tq's job operations beyond retry/skip/pause/delete, against a real engine and blade: each one's effect is read back.</summary>
public sealed class TqOperationTests
{
    private static Task<(int Code, string Stdout, string Stderr)> Tq(TestSite site, params string[] args) =>
        FurrowProcess.RunAsync(["tq", "--engine", site.Engine, "--user", "tester", .. args]);

    private static string Words(string text) => string.Join(' ', text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public async Task Chpri_Delay_Undelay_AndParams_ChangeWhatTheJobListingSays()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }");

        var (code, stdout, stderr) = await Tq(site, "chpri", $"jid={jid}", "--pri", "750");
        Assert.True(code == 0, stderr);
        Assert.Equal($"chpri J{jid}", stdout.Trim());
        (code, stdout, stderr) = await Tq(site, "delay", jid.ToString(), "-t", "+2h");
        Assert.True(code == 0, stderr);
        (code, stdout, _) = await Tq(site, "jobs", $"jid={jid} and aftertime > +1h and priority = 750", "-c", "jid", "--nh");
        Assert.Equal(jid.ToString(), stdout.Trim());
        Assert.Equal(750, (await site.Client.JobsAsync($"jid={jid}")).Single().Priority);
        // --priority is --pri's long name, as tractor-spool spells it: --priority=7 is not refused as if --pri were missing.
        (code, _, stderr) = await Tq(site, "chpri", $"jid={jid}", "--priority=7.5");
        Assert.True(code == 0, stderr);
        Assert.Equal(7.5, (await site.Client.JobsAsync($"jid={jid}")).Single().Priority);
        (code, _, stderr) = await Tq(site, "chpri", $"jid={jid}", "--pri", "750");
        Assert.True(code == 0, stderr);

        // A delayed job's command does not start; undelay lets it go.
        await site.StartBladeAsync("worker");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone);
        (code, _, stderr) = await Tq(site, "undelay", jid.ToString());
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done once undelayed");
        (code, stdout, _) = await Tq(site, "jobs", $"jid={jid}", "-c", "aftertime", "--nh");
        Assert.Equal("-", stdout.Trim());

        (code, stdout, _) = await Tq(site, "params", "name=jidcounter", "--nh");
        Assert.Equal(0, code);
        Assert.Equal($"jidcounter {jid}", Words(stdout));
        (code, _, stderr) = await Tq(site, "chpri", $"jid={jid}");
        Assert.Equal(2, code);
        Assert.Contains("--pri", stderr);
        (code, _, stderr) = await Tq(site, "delay", $"jid={jid}", "-t", "soonish");
        Assert.Equal(2, code);
        Assert.Contains("'soonish'", stderr);
    }

    [Fact]
    public async Task RetryAllErrs_RunsTheFailedTasksAgain_AndSkipAllErrs_LetsTheJobFinish()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var marker = Path.Combine(site.Root, "second-time");
        // The first task fails once, then works; the second always fails.
        var jid = await site.SpoolAsync($$"""
            Job -title {errs} -subtasks {
                Task {flaky} -cmds { RemoteCmd {sh -c "test -f {{marker}} || { touch {{marker}}; exit 3; }"} }
                Task {broken} -cmds { RemoteCmd {sh -c "exit 4"} }
            }
            """);
        await site.StartBladeAsync("worker");
        await site.WaitForJobAsync(jid, j => j.NumError == 2, TimeSpan.FromSeconds(30), "both in error");

        var (code, stdout, stderr) = await Tq(site, "retryallerrs", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"retryallerrs J{jid}", stdout.Trim());
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 && j.NumError == 1, TimeSpan.FromSeconds(30), "the flaky one done on its retry");
        Assert.Equal(4, (await site.Client.InvocationsAsync($"jid={jid}")).Count);

        (code, _, stderr) = await Tq(site, "skipallerrs", jid.ToString());
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done once skipped");
        (code, _, stderr) = await Tq(site, "retryallerrs", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("no task in error", stderr);
    }

    [Fact]
    public async Task Undelete_BringsADeletedJobBackWithItsLog_AndItsWorkLeftRunsAgain()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var gate = Path.Combine(site.Root, "gate");
        var jid = await site.SpoolAsync($$"""
            Job -title {archived} -subtasks {
                Task {first} -cmds { RemoteCmd {echo first ran} }
                Task {second} -subtasks { Instance {first} } -cmds { RemoteCmd {sh -c "echo second ran; while [ ! -f {{gate}} ]; do sleep 0.1; done"} }
            }
            """);
        await site.StartBladeAsync("worker");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 && j.NumActive == 1, TimeSpan.FromSeconds(30), "second running");

        var (code, _, stderr) = await Tq(site, "delete", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Empty(await site.Client.JobsAsync($"jid={jid}"));
        (code, var stdout, _) = await Tq(site, "jobs", "--archives", $"jid={jid}", "-c", "state", "--nh");
        Assert.Equal("deleted", stdout.Trim());
        Assert.Contains("first ran", await site.Client.TaskLogAsync(jid, 1));

        (code, stdout, stderr) = await Tq(site, "undelete", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"undelete J{jid}", stdout.Trim());
        await File.WriteAllTextAsync(gate, "");
        var job = await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done after the undelete");
        Assert.False(job.Deleted);
        Assert.Contains("first ran", await site.Client.TaskLogAsync(jid, 1));
        // A clause that matches nothing says so and does nothing; as with Tractor's tq, that is no failure.
        (code, stdout, stderr) = await Tq(site, "undelete", jid.ToString());
        Assert.Equal(0, code);
        Assert.Contains("no deleted jobs match", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Kill_StopsOneTasksRunningCommand_PutsTheTaskInError_AndTheJobGoesOn()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var gate = Path.Combine(site.Root, "gate");
        var jid = await site.SpoolAsync($$"""
            Job -title {killable} -subtasks {
                Task {waits} -cmds { RemoteCmd {sh -c "while [ ! -f {{gate}} ]; do sleep 0.1; done"} }
                Task {also waits} -cmds { RemoteCmd {sh -c "while [ ! -f {{gate}} ]; do sleep 0.1; done"} }
            }
            """);
        await site.StartBladeAsync("worker");
        await site.WaitForJobAsync(jid, j => j.NumActive == 2, TimeSpan.FromSeconds(30), "both tasks running");

        var (code, stdout, stderr) = await Tq(site, "kill", jid.ToString(), "1");
        Assert.True(code == 0, stderr);
        Assert.Equal($"kill J{jid} T1", stdout.Trim());
        var job = await site.WaitForJobAsync(jid, j => j.NumError == 1 && j.NumActive == 1, TimeSpan.FromSeconds(30), "T1 in error, T2 running");
        Assert.False(job.Paused);
        (_, stdout, _) = await Tq(site, "invocations", $"jid={jid} and tid=1", "-c", "state", "--nh");
        Assert.Equal("killed", stdout.Trim());
        Assert.Contains("killed by tester", await site.Client.TaskLogAsync(jid, 1));
        (code, _, stderr) = await Tq(site, "kill", jid.ToString(), "1");
        Assert.Equal(1, code);
        Assert.Contains("no running command", stderr);

        await File.WriteAllTextAsync(gate, "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 && j.NumError == 1, TimeSpan.FromSeconds(30), "T2 done, T1 still in error");
    }

    [Fact]
    public async Task Interrupt_PausesTheJobAndPutsRunningTasksInError_Resume_GoesOnFromTheStoppedCommand_Restart_RunsEverythingAgain()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var gate = Path.Combine(site.Root, "gate");
        var firsts = Path.Combine(site.Root, "firsts");
        var jid = await site.SpoolAsync($$"""
            Job -title {stoppable} -subtasks {
                Task {two steps} -cmds {
                    RemoteCmd {sh -c "echo first >> {{firsts}}"}
                    RemoteCmd {sh -c "echo resume=%r; while [ ! -f {{gate}} ]; do sleep 0.1; done"}
                }
                Task {quick} -cmds { RemoteCmd {echo quick} }
            }
            """);
        await site.StartBladeAsync("worker");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 && j.NumActive == 1, TimeSpan.FromSeconds(30), "the second step running");

        var (code, stdout, stderr) = await Tq(site, "interrupt", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"interrupt J{jid}", stdout.Trim());
        await site.WaitForJobAsync(jid, j => j.NumError == 1 && j.NumActive == 0, TimeSpan.FromSeconds(30), "the stopped task in error");
        (_, stdout, _) = await Tq(site, "invocations", $"jid={jid} and tid=1 and cid=2", "-c", "state", "--nh");
        Assert.Equal("killed", stdout.Trim());
        Assert.Contains("interrupted by tester (tq interrupt)", await site.Client.TaskLogAsync(jid, 1));
        Assert.True((await site.Client.JobsAsync($"jid={jid}")).Single().Paused);
        (code, _, stderr) = await Tq(site, "interrupt", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("no running command and is paused already", stderr);

        // Resume goes on from the stopped command, once the job is unpaused: the first step is not run again, and the
        // second sees %r as 1.
        (code, _, stderr) = await Tq(site, "resume", jid.ToString(), "2");
        Assert.Equal(1, code);
        Assert.Contains("not in error", stderr);
        (code, stdout, stderr) = await Tq(site, "resume", jid.ToString(), "1");
        Assert.True(code == 0, stderr);
        Assert.Equal($"resume J{jid} T1", stdout.Trim());
        Assert.Contains($"job {jid} is paused", (await site.Client.TasksAsync($"jid={jid} and tid=1")).Single().WhyWaiting);
        (code, _, stderr) = await Tq(site, "unpause", jid.ToString());
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumActive == 1, TimeSpan.FromSeconds(30), "resumed");
        await File.WriteAllTextAsync(gate, "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done after the resume");
        Assert.Single(await File.ReadAllLinesAsync(firsts));
        Assert.Contains("resume=1", await site.Client.TaskLogAsync(jid, 1));

        // Restart runs a finished job again from the start: every task, every command. The job alone comes back from
        // the database; the rest of the farm is not rebuilt for it.
        var rebuilds = Occurrences(site.EngineProcess!.Output, RebuiltLine);
        Assert.True(rebuilds >= 1, "the engine's start builds the farm and says so in its log");
        (code, stdout, stderr) = await Tq(site, "restart", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"restart J{jid}", stdout.Trim());
        await Eventually.WaitUntilAsync(async () => (await File.ReadAllLinesAsync(firsts)).Length == 2
            && (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone == 2, TimeSpan.FromSeconds(30), () => "the job done again");
        Assert.Equal(2, (await site.Client.InvocationsAsync($"jid={jid} and tid=2")).Count);
        Assert.Contains("resume=0", await site.Client.TaskLogAsync(jid, 1));
        Assert.Equal(rebuilds, Occurrences(site.EngineProcess.Output, RebuiltLine));
    }

    // The engine's log line for a rebuild of the whole farm from the database (EngineLog.FarmRebuilt).
    private const string RebuiltLine = "Rebuilt the farm from the job database";

    private static int Occurrences(string text, string line) => text.Split(line).Length - 1;

    [Fact]
    public async Task Interrupt_StopsTheJobDispatching_UntilUnpaused_AndTheKilledRunKeepsItsStopAndRealTime()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var gate = Path.Combine(site.Root, "gate");
        // Either task may start first on the one slot; the other waits for it.
        var jid = await site.SpoolAsync($$"""
            Job -title {interrupted} -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "while [ ! -f {{gate}} ]; do sleep 0.1; done"} }
                Task {b} -cmds { RemoteCmd {sh -c "while [ ! -f {{gate}} ]; do sleep 0.1; done"} }
            }
            """);
        await site.StartBladeAsync("worker", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumActive == 1 && j.NumReady == 1, TimeSpan.FromSeconds(30), "one task running, one waiting");
        var running = (await site.Client.TasksAsync($"jid={jid} and state=active")).Single().Tid;
        var waiting = 3 - running;
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Single().StartTime is not null,
            TimeSpan.FromSeconds(30), () => "the running task's command to have started");

        var (code, stdout, stderr) = await Tq(site, "interrupt", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"interrupt J{jid}", stdout.Trim());

        // The job is paused in the same step that frees the slot: the waiting task never gets it.
        var job = await site.WaitForJobAsync(jid, j => j.NumError == 1 && j.NumActive == 0, TimeSpan.FromSeconds(30), "the killed task in error");
        Assert.True(job.Paused);
        Assert.Equal(1, job.NumReady);
        Assert.Empty(await site.Client.InvocationsAsync($"jid={jid} and tid={waiting}"));
        Assert.Contains($"job {jid} is paused", (await site.Client.TasksAsync($"jid={jid} and tid={waiting}")).Single().WhyWaiting);
        (_, stdout, _) = await Tq(site, "jobs", $"jid={jid} and paused", "-c", "jid", "--nh");
        Assert.Equal(jid.ToString(), stdout.Trim());

        // The killed run ended when it was killed: it has its stop time and its real time up to then, as any run that ended.
        var killed = (await site.Client.InvocationsAsync($"jid={jid} and tid={running}")).Single();
        Assert.Equal("killed", killed.Status);
        Assert.False(killed.Current);
        Assert.NotNull(killed.StopTime);
        Assert.True(killed.StopTime >= killed.StartTime, $"stop {killed.StopTime} before start {killed.StartTime}");
        Assert.NotNull(killed.ElapsedReal);
        Assert.Equal((killed.StopTime!.Value - killed.StartTime!.Value) / 1000.0, killed.ElapsedReal.Value, 3);
        (_, stdout, _) = await Tq(site, "invocations", $"jid={jid} and tid={running} and elapsedreal >= 0", "-c", "state", "--nh");
        Assert.Equal("killed", stdout.Trim());

        // Unpaused, the job goes on with the task that waited; the killed one stays in error until retried.
        await File.WriteAllTextAsync(gate, "");
        (code, _, stderr) = await Tq(site, "unpause", jid.ToString());
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 && j.NumError == 1, TimeSpan.FromSeconds(30), "the waiting task done");
        (code, _, stderr) = await Tq(site, "retry", jid.ToString(), running.ToString());
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "the killed task done on its retry");
    }

    [Fact]
    public async Task Jattr_ChangesWhatTheListingSaysAndWhatTheSchedulerDoes_AndRefusesWhatItCannotChangeByName()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var gate = Path.Combine(site.Root, "gate");
        var first = await site.SpoolAsync($$"""Job -title {first} -subtasks { Task {wait} -cmds { RemoteCmd {sh -c "while [ ! -f {{gate}} ]; do sleep 0.1; done"} } }""");
        var second = await site.SpoolAsync("""
            Job -title {second} -paused 1 -subtasks {
                Task {a} -cmds { RemoteCmd {echo a} }
                Task {b} -cmds { RemoteCmd {echo b} }
            }
            """);

        // A value starting with @ is a value (service keys test @.mem), never a file of arguments.
        var (atCode, _, atError) = await Tq(site, "jattr", second.ToString(), "-k", "comment", "-v", "@dailies review");
        Assert.True(atCode == 0, atError);
        foreach (var (key, value) in new[] { ("title", "second, renamed"), ("pri", "321"), ("projects", "fx,lighting"), ("tier", "rush"),
            ("maxactive", "1"), ("comment", "look at me"), ("afterjids", first.ToString()) })
        {
            var (code, stdout, stderr) = await Tq(site, "jattr", second.ToString(), "-k", key, "-v", value);
            Assert.True(code == 0, $"{key}: {stderr}");
            Assert.Equal($"jattr J{second}", stdout.Trim());
        }
        var (_, listed, _) = await Tq(site, "--json", "jobs", second.ToString(), "-c", "title,priority,projects,tier,maxactive,comment,afterjids");
        using (var json = System.Text.Json.JsonDocument.Parse(listed))
        {
            var row = json.RootElement[0];
            Assert.Equal("second, renamed", row.GetProperty("title").GetString());
            Assert.Equal(321, row.GetProperty("priority").GetDouble());
            Assert.Equal(["fx", "lighting"], row.GetProperty("projects").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("rush", row.GetProperty("tier").GetString());
            Assert.Equal(1, row.GetProperty("maxactive").GetInt32());
            Assert.Equal("look at me", row.GetProperty("comment").GetString());
            Assert.Equal([first], row.GetProperty("afterjids").EnumerateArray().Select(e => e.GetInt64()));
        }

        // Unpaused, the second job still waits for the first (its new afterjids), then runs one command at a time.
        var (_, pausedBefore, _) = await Tq(site, "jobs", $"jid={second} and paused", "-c", "jid", "--nh");
        Assert.Equal(second.ToString(), pausedBefore.Trim());
        var (c, _, err) = await Tq(site, "jattr", second.ToString(), "-k", "paused", "-v", "0");
        Assert.True(c == 0, err);
        var (_, unpaused, _) = await Tq(site, "jobs", $"jid={second} and not paused", "-c", "jid", "--nh");
        Assert.Equal(second.ToString(), unpaused.Trim());
        await site.StartBladeAsync("worker", slots: 4);
        await site.WaitForJobAsync(first, j => j.NumActive == 1, TimeSpan.FromSeconds(30), "the first job running");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await site.Client.JobsAsync($"jid={second}")).Single().NumDone);
        await File.WriteAllTextAsync(gate, "");
        await site.WaitForJobAsync(second, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "the second job done after the first");
        var runs = (await site.Client.InvocationsAsync($"jid={second}")).OrderBy(i => i.StartTime).ToList();
        Assert.True(runs[0].StopTime <= runs[1].StartTime, "maxactive 1: one command at a time");

        // What cannot be changed is refused by name, before anything is done.
        foreach (var (key, value, expected) in new[]
        {
            ("etalevel", "2", "not recorded by Furrow: etalevel"), ("service", "linux", "copied into each of its commands"),
            ("titel", "x", "did you mean 'title'?"), ("owner", "bob", "cannot be changed"), ("priority", "high", "expected a number from -1000000 to 1000000"),
            ("maxactive", "-1", "expected a whole number"), ("afterjids", "1,x", "'x'"),
        })
        {
            var (code, _, stderr) = await Tq(site, "jattr", second.ToString(), "-k", key, "-v", value);
            Assert.True(code == 2, $"{key}={value}: exit {code}, {stderr}");
            Assert.Contains(expected, stderr);
        }
        // A tier the site does not have is a bad value the engine refuses (400, tq exit 1), as the spool's -tier is, not a refused job.
        var (tierCode, _, tierError) = await Tq(site, "jattr", second.ToString(), "-k", "tier", "-v", "nosuchtier");
        Assert.Equal(1, tierCode);
        Assert.Contains("tier nosuchtier: not one of this site's DispatchTiers", tierError);
        Assert.Equal("second, renamed", (await site.Client.JobsAsync($"jid={second}")).Single().Title);
    }

    [Fact]
    public async Task Afterjids_ThatWouldCloseALoopOfWaitingJobs_AreRefused_NamingTheChain()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jobs = new List<long>();
        foreach (var title in new[] { "a", "b", "c" })
            jobs.Add(await site.SpoolAsync("Job -title {" + title + "} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {echo " + title + "} } }"));
        var (a, b, c) = (jobs[0], jobs[1], jobs[2]);
        foreach (var (waiter, waitedFor) in new[] { (b, a), (c, b) })
        {
            var (code, _, stderr) = await Tq(site, "jattr", waiter.ToString(), "-k", "afterjids", "-v", waitedFor.ToString());
            Assert.True(code == 0, stderr);
        }

        var (loopCode, _, loop) = await Tq(site, "jattr", a.ToString(), "-k", "afterjids", "-v", c.ToString());
        Assert.Equal(1, loopCode);
        Assert.Contains($"J{a} cannot wait for J{c} -> J{b}, which already waits for J{a}", loop);
        var (selfCode, _, self) = await Tq(site, "jattr", a.ToString(), "-k", "afterjids", "-v", a.ToString());
        Assert.Equal(1, selfCode);
        Assert.Contains("cannot wait for itself", self);
        // Nothing was changed by the refusals.
        var (_, listed, _) = await Tq(site, "--json", "jobs", a.ToString(), "-c", "afterjids");
        using var json = System.Text.Json.JsonDocument.Parse(listed);
        Assert.Empty(json.RootElement[0].GetProperty("afterjids").EnumerateArray());
    }

    [Fact]
    public async Task Chkeys_Cattr_AndTattr_ChangeAWaitingCommandsNeeds_SoItRuns()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"),
            """{ "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } }, "BladeProfiles": [ { "ProfileName": "render", "Provides": ["PixarRender"] } ] }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker");
        var jid = await site.SpoolAsync("""
            Job -title {keys} -subtasks {
                Task {wrong key} -cmds { RemoteCmd -service {NoSuchKey} {echo one} }
                Task {too wide} -cmds { RemoteCmd -service {PixarRender} -atleast 8 {echo two} }
            }
            """);
        var why = await Eventually.WaitForAsync(async () =>
        {
            var reply = await site.Client.WhyAsync(jid, 1);
            return reply.Reasons.Count > 0 ? reply : null;
        }, TimeSpan.FromSeconds(30), () => "a reason for the first task");
        Assert.Contains("NoSuchKey", why.Reasons[0].Text);

        var (code, stdout, stderr) = await Tq(site, "chkeys", jid.ToString(), "1", "--svckey", "PixarRender");
        Assert.True(code == 0, stderr);
        Assert.Equal($"chkeys J{jid} T1", stdout.Trim());
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "the first task done under its new key");
        (_, stdout, _) = await Tq(site, "commands", $"jid={jid} and tid=1", "-c", "service", "--nh");
        Assert.Equal("PixarRender", stdout.Trim());

        // Eight slots on a two-slot blade never fit; one does.
        (code, _, stderr) = await Tq(site, "cattr", $"jid={jid} and tid=2", "-k", "minslots", "-v", "1");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "the second task done with fewer slots");

        (code, _, stderr) = await Tq(site, "tattr", jid.ToString(), "2", "-k", "title", "-v", "renamed task");
        Assert.True(code == 0, stderr);
        (_, stdout, _) = await Tq(site, "tasks", $"jid={jid} and tid=2", "-c", "title", "--nh");
        Assert.Equal("renamed task", stdout.Trim());
        (code, _, stderr) = await Tq(site, "cattr", $"jid={jid}", "-k", "retryrc", "-v", "3,4", "--yes");
        Assert.True(code == 0, stderr);
        (_, stdout, _) = await Tq(site, "--json", "commands", $"jid={jid} and cid=1", "-c", "retryrcodes");
        Assert.Contains("[3,4]", stdout.Replace(" ", ""));

        (code, _, stderr) = await Tq(site, "chkeys", jid.ToString(), "1", "--svckey", "Maya &&");
        Assert.Equal(2, code);
        Assert.Contains("service key", stderr);
        (code, _, stderr) = await Tq(site, "cattr", $"jid={jid}", "-k", "argv", "-v", "rm -rf /");
        Assert.Equal(2, code);
        Assert.Contains("cannot be changed", stderr);
    }

    [Fact]
    public async Task Lock_KeepsEveryoneButItsHolderOut_EvenWithForce_UntilUnlocked_AndForceBreaksIt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {locked} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        Task<(int Code, string Stdout, string Stderr)> As(string user, params string[] args) =>
            FurrowProcess.RunAsync(["tq", "--engine", site.Engine, "--user", user, .. args]);

        var (code, stdout, stderr) = await As("tester", "lock", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"lock J{jid}", stdout.Trim());
        (_, stdout, _) = await As("tester", "jobs", "lockedby=tester", "-c", "jid,lockedby", "--nh");
        Assert.Equal($"{jid} tester", Words(stdout));

        // Another user is kept out, --force or not; unlocking it takes --force.
        foreach (var args in new[] { new[] { "--force", "chpri", jid.ToString(), "--pri", "9" }, ["--force", "delete", jid.ToString()], ["unlock", jid.ToString()] })
        {
            (code, _, stderr) = await As("ana", args);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains("locked by tester", stderr);
        }
        Assert.Single(await site.Client.JobsAsync($"jid={jid} and priority != 9"));

        // The holder acts as before; locking twice is no change.
        (code, _, stderr) = await As("tester", "chpri", jid.ToString(), "--pri", "9");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await As("tester", "lock", jid.ToString());
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await As("tester", "unlock", jid.ToString());
        Assert.True(code == 0, stderr);
        (_, stdout, _) = await As("tester", "jobs", jid.ToString(), "-c", "lockedby", "--nh");
        Assert.Equal("-", stdout.Trim());

        // A lock on another user's job takes --force; then its owner is the one kept out until --force breaks it.
        (code, _, stderr) = await As("ana", "lock", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("use --force", stderr);
        (code, _, stderr) = await As("ana", "--force", "lock", jid.ToString());
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await As("tester", "unpause", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("locked by ana", stderr);
        (code, _, stderr) = await As("tester", "--force", "unlock", jid.ToString());
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await As("tester", "unpause", jid.ToString());
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task Trace_SaysWhatABladeWouldGetNext_JobByJob_AndWhyNot()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"),
            """{ "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } }, "BladeProfiles": [ { "ProfileName": "render", "Provides": ["PixarRender"] } ] }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker");
        var (code, _, stderr) = await Tq(site, "nimby", "worker");
        Assert.True(code == 0, stderr);
        var paused = await site.SpoolAsync("Job -title {held} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        var nuke = await site.SpoolAsync("Job -title {comp} -subtasks { Task {t} -cmds { RemoteCmd -service {Nuke} {true} } }");
        var fits = await site.SpoolAsync("Job -title {frames} -priority 500 -subtasks { Task {a} -cmds { RemoteCmd {true} } Task {b} -cmds { RemoteCmd {true} } }".Replace("} Task", "}\n Task"));

        (code, var stdout, stderr) = await Tq(site, "trace", "worker");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("blade worker", lines[0]);
        Assert.Contains("profile render", lines[0]);
        Assert.Contains(lines, l => l.Contains("the blade is nimby (tq unnimby worker)"));
        // Queue order: the higher priority first.
        var order = lines.Where(l => l.StartsWith('J')).ToList();
        Assert.StartsWith($"J{fits} \"frames\"", order[0]);
        Assert.Contains("T1 and 1 more: nothing of its own holds it back; the blade itself does (above)", order[0]);
        Assert.Contains(order, l => l.StartsWith($"J{nuke} ") && l.Contains("Nuke"));
        Assert.Contains(order, l => l.StartsWith($"J{paused} ") && l.Contains($"job {paused} is paused"));

        (code, _, stderr) = await Tq(site, "trace", "nosuchblade");
        Assert.Equal(1, code);
        Assert.Contains("no blade named nosuchblade", stderr);
    }
}
