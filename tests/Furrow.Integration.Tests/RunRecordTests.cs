using System.Text;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>What a command did, recorded as its blade reported it, whatever the batching of the writes behind it.</summary>
public sealed class RunRecordTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ThousandsOfInstantCommands_OnRealBlades_EndWithEveryRecordAsTheBladesReportedIt_BeforeAndAfterARestart()
    {
        await using var site = new TestSite();
        // Half the commands fail on purpose: no blade may be blocklisted for it.
        await site.AddEngineSettingsAsync("\"BladeBlocklistFailures\": 1000000");
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        await site.StartBladeAsync("b2", slots: 4);

        // Commands that start and exit within one report, so a start and an exit often share a write batch.
        const int Tasks = 2000;
        var script = new StringBuilder("Job -title {instant} -subtasks {\n");
        for (var i = 1; i <= Tasks; i++)
            script.Append("  Task {t").Append(i).Append("} -cmds { RemoteCmd {").Append(i % 2 == 0 ? "false" : "true").Append("} }\n");
        var jid = await site.SpoolAsync(script.Append("}\n").ToString());
        await site.WaitForJobAsync(jid, j => j.NumDone + j.NumError == Tasks, TimeSpan.FromMinutes(5), "finished");

        await AssertRecordedAsReportedAsync(site, jid, Tasks);
        await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();
        await AssertRecordedAsReportedAsync(site, jid, Tasks);
    }

    private static async Task AssertRecordedAsReportedAsync(TestSite site, long jid, int tasks)
    {
        var job = (await site.Client.JobsAsync($"jid={jid}", archived: true)).Single();
        Assert.Equal((tasks / 2, tasks / 2), (job.NumDone, job.NumError));
        var states = (await site.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title, t => t.State);
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).ToLookup(i => i.Tid);
        var tids = (await site.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title, t => t.Tid);
        var wrong = new List<string>();
        for (var i = 1; i <= tasks; i++)
        {
            var title = $"t{i}";
            var fails = i % 2 == 0;
            var expectedState = fails ? "error" : "done";
            if (states[title] != expectedState)
                wrong.Add($"{title}: task {states[title]}, expected {expectedState}");
            var run = runs[tids[title]].ToList();
            if (run.Count != 1)
            {
                wrong.Add($"{title}: {run.Count} invocations, expected 1");
                continue;
            }
            var r = run[0];
            var expectedStatus = fails ? "error" : "done";
            if (r.Status != expectedStatus || r.ExitCode != (fails ? 1 : 0) || r.Current)
                wrong.Add($"{title}: invocation {r.Iid} {r.Status} exit {r.ExitCode?.ToString() ?? "none"} current {r.Current}, expected {expectedStatus} exit {(fails ? 1 : 0)}, not current");
            if (r.StartTime is not { } start || r.StopTime is not { } stop || r.Pid is null || start > stop || r.DispatchTime > stop)
                wrong.Add($"{title}: invocation {r.Iid} dispatched {r.DispatchTime} started {r.StartTime?.ToString() ?? "never"} (pid {r.Pid?.ToString() ?? "none"}) stopped {r.StopTime?.ToString() ?? "never"}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} records differ from what the blades reported, e.g.:\n{string.Join("\n", wrong.Take(20))}");
    }

    [Fact]
    public async Task AJobOfAUserWithAVeryLongName_RunsAndKeepsItsLog_AndTheBladesOtherWorkIsNotHeldUp()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        // As long as an account name may be (256, Linux's LOGIN_NAME_MAX): one more than a file name may be.
        var longName = new string('u', 249) + "-render";

        var theirs = await site.SpoolAsync("Job -title {long owner} -subtasks { Task {t} -cmds { RemoteCmd {sh -c \"echo from-a-long-name\"} } }", longName);
        var others = await site.SpoolAsync("Job -title {neighbour} -subtasks { Task {t} -cmds { RemoteCmd {sh -c \"echo from-a-neighbour\"} } }");
        await site.WaitForJobAsync(theirs, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");
        await site.WaitForJobAsync(others, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");

        Assert.Equal(longName, (await site.Client.JobsAsync($"jid={theirs}", archived: true)).Single().Owner);
        Assert.Contains("from-a-long-name", await site.Client.TaskLogAsync(theirs, 1));
        Assert.Contains("from-a-neighbour", await site.Client.TaskLogAsync(others, 1));
    }

    [Fact]
    public async Task AUserWhoseLogDirectoryCannotBeMade_StillHasTheirJobRunAndLogged_AndNothingElseOnTheBladeWaits()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("shared", slots: 2);
        var logs = Directory.CreateDirectory(Path.Combine(site.DataDir, "logs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(logs, "blocked"), "a file where the user's log directory goes");

        var theirs = await site.SpoolAsync("Job -title {blocked logs} -subtasks { Task {t} -cmds { RemoteCmd {sh -c \"echo to-the-side\"} } }", "blocked");
        var others = await site.SpoolAsync("Job -title {neighbour} -subtasks { Task {t} -cmds { RemoteCmd {sh -c \"echo in-its-place\"} } }");
        await site.WaitForJobAsync(theirs, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");
        await site.WaitForJobAsync(others, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");

        Assert.Contains("to-the-side", await File.ReadAllTextAsync(Path.Combine(logs, "+unwritable", $"J{theirs}-T1.log")));
        Assert.Contains("to-the-side", await site.Client.TaskLogAsync(theirs, 1));
        Assert.Contains("in-its-place", await File.ReadAllTextAsync(site.LogPath("tester", others, 1)));
        Assert.Contains("Cannot write the task log", site.EngineProcess!.Output);
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("José Pérez", "José_Pérez")]
    [InlineData("../..", ".._..")]
    [InlineData("..", "_")]
    public void ALogDirectoryName_IsTheUserNameMadeSafe(string owner, string expected) =>
        Assert.Equal(expected, Furrow.Engine.Logs.TaskLogStore.SafeSegment(owner));

    [Fact]
    public void ALongUserName_GetsABoundedLogDirectoryName_ThatStaysApartFromOneThatStartsTheSame()
    {
        var a = Furrow.Engine.Logs.TaskLogStore.SafeSegment(new string('x', 300) + "a");
        var b = Furrow.Engine.Logs.TaskLogStore.SafeSegment(new string('x', 300) + "b");
        Assert.NotEqual(a, b);
        Assert.All([a, b], name => Assert.True(System.Text.Encoding.UTF8.GetByteCount(name) <= 255 && name.Length <= 80, name));
        Assert.StartsWith(new string('x', 60), a);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task AfterARestoreOfAnOlderBackup_InvocationIdsStartAboveEveryIdHandedOutBefore()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        var first = await site.SpoolAsync("Job -title {before the backup} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(first, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        var backup = Path.Combine(site.Root, "older.tar.gz");
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--backup", backup);
        Assert.True(code == 0, stderr);

        var after = await site.SpoolAsync("""
            Job -title {after the backup} -subtasks {
                Task {a} -cmds { RemoteCmd {true} }
                Task {b} -cmds { RemoteCmd {true} }
                Task {c} -cmds { RemoteCmd {true} }
            }
            """);
        await site.WaitForJobAsync(after, j => j.NumDone == 3, TimeSpan.FromSeconds(30), "done");
        var highest = (await site.Client.InvocationsAsync("")).Max(i => i.Iid);

        await site.EngineProcess!.TerminateAsync();
        (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", backup);
        Assert.True(code == 0, stderr);
        await site.StartEngineAsync();
        var again = await site.SpoolAsync("Job -title {after the restore} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(again, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");

        var iid = (await site.Client.InvocationsAsync($"jid={again}")).Single().Iid;
        Assert.True(iid > highest, $"invocation {iid} after the restore reuses an id at or below {highest}, handed out before it");
    }

    [Fact]
    public async Task AnUnreadableSiteStateFile_StopsTheEngine_NamingTheFileAndWhatRemovingItForgets()
    {
        await using var site = new TestSite();
        Directory.CreateDirectory(site.DataDir);
        var file = Path.Combine(site.DataDir, "site-state.json");
        await File.WriteAllTextAsync(file, "{ \"dispatchPaused\": tru");

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.NotEqual(0, code);
        Assert.Contains(file, stdout + stderr);
        Assert.Contains("forgets a dispatch pause", stdout + stderr);
        Assert.DoesNotContain("Unhandled exception", stdout + stderr);
    }

    [Fact]
    public async Task TheStatusACommandPrints_IsTheOneRecorded_AndACommandThatLingersAfterSayingIt_IsEnded()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 3);

        var jid = await site.SpoolAsync("""
            Job -title {directives} -subtasks {
                Task {said3} -cmds { RemoteCmd {sh -c "echo TR_EXIT_STATUS 3; exit 0"} }
                Task {lingers} -cmds { RemoteCmd {sh -c "echo ALF_EXIT_STATUS 0; sleep 600"} }
                Task {split} -cmds { RemoteCmd {sh -c "printf 'TR_EXIT_'; sleep 0.3; printf 'STATUS 5\r'; exit 0"} }
            }
            """);
        // The lingering command would hold its task for ten minutes if it were not ended after saying its status.
        await site.WaitForJobAsync(jid, j => j.NumDone + j.NumError == 3, TimeSpan.FromSeconds(60), "finished");

        var tids = (await site.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title);
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).ToDictionary(i => i.Tid);
        Assert.Equal((3, "error"), (runs[tids["said3"].Tid].ExitCode, tids["said3"].State));
        Assert.Equal((0, "done"), (runs[tids["lingers"].Tid].ExitCode, tids["lingers"].State));
        Assert.Equal((5, "error"), (runs[tids["split"].Tid].ExitCode, tids["split"].State));
    }

    [Fact]
    public async Task ArgvWordsStartingWithATilde_ReachTheProgramAsHomeDirectories_AsAShellWouldGiveThem()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        var rootHome = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "root")[5];
        var ownHome = (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)).TrimEnd('/');

        var jid = await site.SpoolAsync("Job -title {tilde} -subtasks { Task {t} -cmds { RemoteCmd {/bin/echo ~root ~root/x ~ ~/y ~nosuchuser123 a~b} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");

        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains($"{rootHome} {rootHome.TrimEnd('/')}/x {ownHome} {ownHome}/y ~nosuchuser123 a~b\n", log);
    }
}
