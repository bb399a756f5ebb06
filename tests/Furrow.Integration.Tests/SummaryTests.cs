using System.Net.Http.Headers;
using System.Net.Http.Json;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>GET /api/v1/summary against a real engine and blade: its counts are the listings' counts, over the jobs the caller may see, and its dispatches hold across a restart.</summary>
public sealed class SummaryTests
{
    private static async Task<FarmSummary> SummaryAsync(HttpClient http) =>
        (await http.GetFromJsonAsync("api/v1/summary", FurrowJsonContext.Default.FarmSummary))!;

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task TheSummary_CountsWhatTheListingsShow_AndItsDispatchesHoldAcrossARestart()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();
        await site.StartBladeAsync("sum-blade", 2);
        var ran = await site.SpoolAsync("Job -title {ran} -subtasks { Task {a} -cmds { RemoteCmd {true} }\n Task {b} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(ran, j => j.NumDone == 2, TimeSpan.FromSeconds(60), "done");
        await site.SpoolAsync("Job -title {waits} -paused 1 -subtasks { Task {c} -cmds { RemoteCmd {true} }\n Task {d} -subtasks { Task {e} -cmds { RemoteCmd {true} } } -cmds { RemoteCmd {true} } }");
        var deleted = await site.SpoolAsync("Job -title {gone} -paused 1 -subtasks { Task {f} -cmds { RemoteCmd {true} } }");
        await site.Client.OperateAsync("delete", $"jid={deleted}", "tester", false);

        var summary = await SummaryAsync(http);
        var tasks = await site.Client.TasksAsync();
        var jobs = await site.Client.JobsAsync();
        int Tasks(string state) => tasks.Count(t => t.State == state);
        Assert.Equal((Tasks("blocked"), Tasks("ready"), Tasks("active"), Tasks("done"), Tasks("error"), tasks.Count),
            (summary.Tasks.Blocked, summary.Tasks.Ready, summary.Tasks.Active, summary.Tasks.Done, summary.Tasks.Error, summary.Tasks.Total));
        Assert.Equal(5, summary.Tasks.Total);
        Assert.Equal((jobs.Count, jobs.Count(j => j.Paused), jobs.Count(j => j.NumTasks > 0 && j.NumDone == j.NumTasks), 1L),
            (summary.Jobs.Total, summary.Jobs.Paused, summary.Jobs.Done, summary.Jobs.Deleted));
        Assert.Equal(new SummaryBlades(1, 0, 1, 0, 0), summary.Blades);
        Assert.Equal(60, summary.DispatchesPerMinute.Length);
        var invocations = (await site.Client.InvocationsAsync()).Count;
        Assert.Equal(2, invocations);
        Assert.Equal(invocations, summary.DispatchesPerMinute.Sum());

        await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();
        var after = await SummaryAsync(http);
        Assert.Equal(invocations, after.DispatchesPerMinute.Sum());
        Assert.Equal(summary.Tasks, after.Tasks);
        Assert.True(after.NowMs >= summary.NowMs);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ACallerInRestrictedViewLogins_IsCountedItsOwnJobsOnly()
    {
        await using var site = new TestSite();
        var ritaPassword = site.AddAccount("rita");
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), """{ "Crews": { "RestrictedViewLogins": ["rita"] } }""");
        await site.StartEngineAsync();
        const string Script = "Job -title {counted} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} }\n Task {b} -cmds { RemoteCmd {true} } }";
        await site.SpoolAsync(Script, "sam");
        await site.SpoolAsync(Script, "sam");
        await site.SpoolAsync(Script, "rita");
        using var rita = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        rita.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await site.LoginAsync("rita", ritaPassword));

        var summary = await SummaryAsync(rita);
        Assert.Equal(1, summary.Jobs.Total);
        Assert.Equal(2, summary.Tasks.Total);
        using var admin = await site.HttpAsync();
        Assert.Equal(3, (await SummaryAsync(admin)).Jobs.Total);
    }
}
