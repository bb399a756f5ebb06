using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Tractor's `-samehost 1` with a real engine and real blades: the command runs on the blade that ran its task's previous
/// command, waits for that blade (and says so in `tq why`) while it cannot take work, lets other blades go on with other
/// work meanwhile, and keeps to it across an engine restart; a retried task starts over on any blade.
/// </summary>
public sealed class SameHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EachTasksSameHostCommands_RunOnTheBladeThatRanItsFirst_EvenWhenAnotherBladeIsFreeFirst()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        await site.StartBladeAsync("b2", slots: 2);
        const int Tasks = 8;
        // The third command has no -samehost and goes wherever a slot is free.
        var tasks = string.Join('\n', Enumerable.Range(1, Tasks).Select(i =>
            $$"""Task {t{{i}}} -cmds { RemoteCmd {sh -c "sleep 2"}; RemoteCmd -samehost 1 {sh -c "echo second"}; RemoteCmd -samehost 1 {true}; RemoteCmd {true} }"""));
        var jid = await site.SpoolAsync($"Job -title {{pinned}} -subtasks {{\n{tasks}\n}}");
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Count(i => i.StartTime is not null) == 4,
            Timeout, () => "four first commands running on the two blades");
        // A job that goes first takes each slot as it comes free, so when the pinned job's second commands get their turn
        // the blades come free in no particular order: a blade other than a task's own is often the first to ask.
        var rush = string.Join('\n', Enumerable.Range(1, 12).Select(i => $$"""Task {r{{i}}} -cmds { RemoteCmd {sh -c "sleep 0.5"} }"""));
        var first = await site.SpoolAsync($"Job -title {{rush}} -priority 500 -subtasks {{\n{rush}\n}}");

        await site.WaitForJobAsync(jid, j => j.NumDone == Tasks, Timeout, "every task done");
        await site.WaitForJobAsync(first, j => j.NumDone == 12, Timeout, "the rush job done");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(Tasks * 4, runs.Count);
        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        foreach (var task in runs.GroupBy(r => r.Tid))
        {
            var byCid = task.OrderBy(r => r.Cid).Select(r => r.Blade).ToList();
            Assert.True(byCid[0] == byCid[1] && byCid[1] == byCid[2],
                $"T{task.Key}'s -samehost commands ran on {byCid[1]} and {byCid[2]}, its first on {byCid[0]}");
        }
        // Both blades ran first commands, so each pin had another blade to go wrong to.
        Assert.Equal(["b1", "b2"], runs.Where(r => (r.Cid - 1) % 4 == 0).Select(r => r.Blade).Distinct().Order());
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task SameHostCommand_WaitsForItsNimbyBlade_SaysSoInWhy_WhileTheOtherBladeRunsOtherJobs_AndKeepsToItAcrossAnEngineRestart()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        // The first command runs until the test lets it end, once b1 is nimby and b2 is up.
        var go = Path.Combine(site.Root, "go");
        var jid = await site.SpoolAsync($$"""
            Job -title {pinned} -subtasks {
                Task {t} -cmds {
                    RemoteCmd {sh -c "while [ ! -e {{go}} ]; do sleep 0.1; done"}
                    RemoteCmd -samehost 1 {sh -c "echo second"}
                }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.StartTime is not null),
            Timeout, () => "the first command to start on b1");
        await TqAsync(site, "nimby", "b1");
        await site.StartBladeAsync("b2", slots: 1);
        await File.WriteAllTextAsync(go, "");
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.Cid == 1 && i.ExitCode == 0),
            Timeout, () => "the first command to finish");

        await AssertWaitsForB1Async(site, jid);

        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();

        await AssertWaitsForB1Async(site, jid);

        await TqAsync(site, "unnimby", "b1");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Timeout, "done once b1 takes work again");
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).OrderBy(r => r.Cid).ToList();
        Assert.Equal([(1, "b1"), (2, "b1")], runs.Select(r => (r.Cid, r.Blade)));
        Assert.Contains("second", await File.ReadAllTextAsync(site.LogPath("tester", jid, 1)));

        // A retry starts the task over from its first command, which goes to any blade; the second then stays there.
        await TqAsync(site, "nimby", "b1");
        await site.Client.OperateAsync("retry", $"jid={jid}", "tester", force: false);
        await Eventually.WaitUntilAsync(async () => await site.Client.InvocationsAsync($"jid={jid}") is { Count: 4 } all && all.All(r => r.StopTime is not null),
            Timeout, () => "the retried task's two commands to run");
        runs = (await site.Client.InvocationsAsync($"jid={jid}")).OrderBy(r => r.Iid).Skip(2).ToList();
        Assert.Equal([(1, "b2"), (2, "b2")], runs.Select(r => (r.Cid, r.Blade)));
    }

    // The second command has not run, though b2 has just taken and finished a job spooled after it (so b2 asked for work
    // with it waiting, and passed it over); tq why and the task's why-waiting name b1 and -samehost, and that b1 is nimby.
    private static async Task AssertWaitsForB1Async(TestSite site, long jid)
    {
        var other = await site.SpoolAsync("Job -title {other} -subtasks { Task {o} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(other, j => j.NumDone == 1, Timeout, "the other job done");
        Assert.Equal("b2", (await site.Client.InvocationsAsync($"jid={other}")).Single().Blade);
        Assert.Equal([1], (await site.Client.InvocationsAsync($"jid={jid}")).Select(r => r.Cid));

        var why = await site.Client.WhyAsync(jid, 1);
        var reason = Assert.Single(why.Reasons);
        Assert.Equal("SameHost", reason.Kind);
        Assert.Equal("waits for blade b1, which ran the task's previous command (-samehost), and b1 is nimby (tq unnimby b1)", reason.Text);
        var task = Assert.Single(await site.Client.TasksAsync($"jid={jid}"));
        Assert.Equal("waits for blade b1, which ran the task's previous command (-samehost) (tq why for details)", task.WhyWaiting);
    }

    private static async Task TqAsync(TestSite site, params string[] args)
    {
        var (code, _, stderr) = await Shims.RunAsync("tq", null, ["--engine", site.Engine, .. args]);
        Assert.True(code == 0, stderr);
    }
}
