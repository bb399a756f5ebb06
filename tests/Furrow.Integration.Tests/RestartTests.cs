using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>Upgrade by restart: the engine killed again and again while blades run commands loses and repeats nothing.</summary>
public sealed class RestartTests
{
    [Fact]
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
}
