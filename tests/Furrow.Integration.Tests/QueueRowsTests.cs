using System.Text.Json;
using Furrow.Client;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// What listings carry: a job's comment (it may be megabytes) only when asked for, by `comment=1` on the jobs listing or by
/// naming the column in a column query; tq's jobs listing leaves it out. Furrow keeps no job metadata to list.
/// </summary>
public sealed class QueueRowsTests
{
    [Fact]
    public async Task AJobsComment_IsListedOnlyWhenAskedFor()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {noted} -comment {a long note} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        using var http = await site.HttpAsync();

        Assert.DoesNotContain("a long note", await http.GetStringAsync("api/v1/jobs"));
        Assert.DoesNotContain("a long note", await http.GetStringAsync($"api/v1/tasks?q=jid%3D{jid}"));
        Assert.DoesNotContain("a long note", await http.GetStringAsync("api/v1/query/jobs?cols=jid,title"));
        Assert.Null((await site.Client.JobsAsync($"jid={jid}")).Single().Comment);
        var (code, stdout, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "jobs", "--json");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("a long note", stdout);

        using var listed = JsonDocument.Parse(await http.GetStringAsync("api/v1/jobs?comment=1"));
        Assert.Equal("a long note", listed.RootElement.EnumerateArray().Single().GetProperty("comment").GetString());
        Assert.Equal("a long note", (await site.Client.JobsAsync($"jid={jid}", null, new ListOptions { WithComment = true })).Single().Comment);
        Assert.Contains("a long note", await http.GetStringAsync("api/v1/query/jobs?cols=jid,comment"));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("api/v1/query/jobs?cols=jid,etalevel"));
    }
}
