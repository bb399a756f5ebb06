using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Tractor's <c>%ID(host)</c> and <c>%ID(-host)</c> with a real engine: the host of the blade that ran the command whose
/// <c>-id</c> is ID, across an engine restart, as one word or as <c>-h host</c> pairs; and a command whose named command
/// has no run fails with the reason in its task log instead of running with no host; <c>-refersto ID</c> runs a command
/// on the blade that ran the command of <c>-id</c> ID.
/// </summary>
public sealed class IdHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // A blade that speaks the protocol by hand, so the named command runs on a host no real blade here has.
    private const string Name = "hand-blade";

    // The hand blade takes T2's command (serve-scene, -id srv) and reports it done.
    private static async Task ServeOnHandBladeAsync(TestSite site, long jid)
    {
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "render07.studio", 1, "test", boot, 1));
        var serve = Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 5000))).Assignments);
        Assert.Equal(["serve-scene"], serve.Argv);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.Client.ReportAsync(Name, new BladeReport(boot,
            [
                new InvocationEvent(1, serve.Iid, InvocationEventTypes.Started, now, Pid: 4242),
                new InvocationEvent(2, serve.Iid, InvocationEventTypes.Exited, now + 5, ExitCode: 0),
            ], [], 1, SentMs: now + 5));
        await Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={jid} and tid=2")).Single().State == "done",
            Timeout, () => "the serving task done");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task HostCode_GivesTheHostOfTheBladeThatRanTheNamedCommand_AfterAnEngineRestart_AsOneWordOrTwoArguments()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // The parent's commands run after its subtask, whose command (-id srv) a blade of its own host runs.
        var jid = await site.SpoolAsync("""
            Job -title {idhost} -subtasks {
                Task {render} -subtasks {
                    Task {serve} -cmds { RemoteCmd -id srv {serve-scene} }
                } -cmds {
                    RemoteCmd {sh -c "echo 'from=%srv(host) pairs=%srv(-host) literal=%%srv(host) own=%h'"}
                    RemoteCmd {printf {[%s]\n} %srv(-host)}
                }
            }
            """);
        await ServeOnHandBladeAsync(site, jid);

        // What the codes give is read back from the store by the engine started again.
        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Timeout, "the job done");

        var log = await site.Client.TaskLogAsync(jid, 1);
        var own = (await site.Client.BladesAsync("name=b1")).Single().Host;
        Assert.Contains($"from=render07.studio pairs=-h render07.studio literal=%srv(host) own={own}\n", log);
        // A word that is the -host code alone is two arguments, as %H gives them.
        Assert.Contains("[-h]\n[render07.studio]\n", log);
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).OrderBy(r => r.Cid).ToList();
        Assert.Equal([(1, "b1"), (2, "b1"), (3, Name)], runs.Select(r => (r.Cid, r.Blade)));
    }

    [Fact]
    public async Task HostCode_OfACommandThatNeverRan_FailsTheCommandWithTheReasonInItsLog_AndRunsNothing()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("""
            Job -title {skipped} -subtasks {
                Task {render} -subtasks {
                    Task {serve} -cmds { RemoteCmd -id srv {true} }
                } -cmds { RemoteCmd {sh -c "echo ran with %srv(host)"} }
            }
            """);
        // Skipped before any blade could run it: the command it names never runs.
        await site.Client.OperateAsync("skip", $"jid={jid} and tid=2", "tester", force: false);
        await site.StartBladeAsync("b1", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Timeout, "the render task in error");

        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains("[furrow] not run: %srv(host) names command T2 C2 (-id srv), which has no run in this job", log);
        Assert.DoesNotContain("\nran with", log);
        Assert.DoesNotContain("exit code", log);
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal((1, "error", (int?)null), (run.Cid, run.Status, run.ExitCode));
        Assert.Equal("error", (await site.Client.TasksAsync($"jid={jid} and tid=1")).Single().State);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task RefersTo_RunsTheCommandOnTheBladeThatRanTheNamedCommand_WaitingForIt_AcrossAnEngineRestart()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("""
            Job -title {refersto} -subtasks {
                Task {render} -subtasks {
                    Task {serve} -cmds { RemoteCmd -id srv {serve-scene} }
                } -cmds { RemoteCmd -refersto srv {render-on-server} }
            }
            """);
        await ServeOnHandBladeAsync(site, jid);

        await site.StartBladeAsync("b1", slots: 1);
        await AssertWaitsForHandBladeAsync(site, jid);
        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();
        await AssertWaitsForHandBladeAsync(site, jid);

        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "render07.studio", 1, "test", boot, 1));
        var render = Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 5000))).Assignments);
        Assert.Equal((1, 1), (render.Tid, render.Cid));
        Assert.Equal(["render-on-server"], render.Argv);
    }

    // b1 has just taken and finished a job spooled after the waiting command (so it asked for work with that command
    // waiting, and passed it over); tq why names the blade and the command it ran.
    private static async Task AssertWaitsForHandBladeAsync(TestSite site, long jid)
    {
        var other = await site.SpoolAsync("Job -title {other} -subtasks { Task {o} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(other, j => j.NumDone == 1, Timeout, "the other job done");
        Assert.Equal("b1", (await site.Client.InvocationsAsync($"jid={other}")).Single().Blade);
        Assert.Equal([2], (await site.Client.InvocationsAsync($"jid={jid}")).Select(r => r.Cid));
        var reason = Assert.Single((await site.Client.WhyAsync(jid, 1)).Reasons);
        Assert.Equal("SameHost", reason.Kind);
        Assert.StartsWith("waits for blade hand-blade, which ran command T2 C2 (-refersto srv)", reason.Text, StringComparison.Ordinal);
    }
}
