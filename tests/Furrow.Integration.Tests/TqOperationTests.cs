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
        (code, _, stderr) = await Tq(site, "undelete", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("no jobs match", stderr);
    }

    [Fact]
    public async Task Interrupt_PutsRunningTasksInError_Resume_GoesOnFromTheStoppedCommand_Restart_RunsEverythingAgain()
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
        (code, _, stderr) = await Tq(site, "interrupt", jid.ToString());
        Assert.Equal(1, code);
        Assert.Contains("no running command", stderr);

        // Resume goes on from the stopped command: the first step is not run again, and the second sees %r as 1.
        (code, _, stderr) = await Tq(site, "resume", jid.ToString(), "2");
        Assert.Equal(1, code);
        Assert.Contains("not in error", stderr);
        (code, stdout, stderr) = await Tq(site, "resume", jid.ToString(), "1");
        Assert.True(code == 0, stderr);
        Assert.Equal($"resume J{jid} T1", stdout.Trim());
        await site.WaitForJobAsync(jid, j => j.NumActive == 1, TimeSpan.FromSeconds(30), "resumed");
        await File.WriteAllTextAsync(gate, "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done after the resume");
        Assert.Single(await File.ReadAllLinesAsync(firsts));
        Assert.Contains("resume=1", await site.Client.TaskLogAsync(jid, 1));

        // Restart runs a finished job again from the start: every task, every command.
        (code, stdout, stderr) = await Tq(site, "restart", jid.ToString());
        Assert.True(code == 0, stderr);
        Assert.Equal($"restart J{jid}", stdout.Trim());
        await Eventually.WaitUntilAsync(async () => (await File.ReadAllLinesAsync(firsts)).Length == 2
            && (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone == 2, TimeSpan.FromSeconds(30), () => "the job done again");
        Assert.Equal(2, (await site.Client.InvocationsAsync($"jid={jid} and tid=2")).Count);
        Assert.Contains("resume=0", await site.Client.TaskLogAsync(jid, 1));
    }
}
