using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Listings carry a weak ETag and a change cursor: asked again with If-None-Match they answer 304 Not Modified while
/// nothing they show has changed, and a fresh body with a new tag once a spool, an operation, a blade's report or the
/// dispatch switch changed it, or another engine process answers. No blade runs, so nothing else changes the rows.
/// </summary>
public sealed class ListingETagTests
{
    [Fact]
    public async Task TheSameRequest_GetsTheSameTag_And304WhenItSendsItBack()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.SpoolAsync("Job -title {tagged} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        using var http = await site.HttpAsync();

        using var first = await http.GetAsync("api/v1/jobs");
        using var second = await http.GetAsync("api/v1/jobs");
        var tag = first.Headers.ETag;

        Assert.NotNull(tag);
        Assert.True(tag.IsWeak);
        Assert.Equal(tag, second.Headers.ETag);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.True(first.Headers.Contains("X-Furrow-Change"));
        using var notModified = await GetAsync(http, "api/v1/jobs", tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(tag, notModified.Headers.ETag);
        Assert.Equal(first.Headers.GetValues("X-Furrow-Change"), notModified.Headers.GetValues("X-Furrow-Change"));
        // Another listing, or the same one asked differently, has its own tag.
        using var tasks = await http.GetAsync("api/v1/tasks");
        using var sorted = await http.GetAsync("api/v1/jobs?sortby=-jid");
        Assert.NotEqual(tag, tasks.Headers.ETag);
        Assert.NotEqual(tag, sorted.Headers.ETag);
        // Every listing and the column query carry one; the same tag in a list of others is known too.
        foreach (var listing in new[] { "api/v1/commands", "api/v1/invocations", "api/v1/blades", "api/v1/query/jobs?cols=jid,title" })
        {
            using var reply = await http.GetAsync(listing);
            Assert.NotNull(reply.Headers.ETag);
            using var again = await GetAsync(http, listing, new EntityTagHeaderValue("\"other\""), reply.Headers.ETag!);
            Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        }
    }

    [Fact]
    public async Task TheTagChanges_AfterASpoolAnOperationAndTheDispatchSwitch_AndTheBodyIsFresh()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {first} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        using var http = await site.HttpAsync();
        var jobs = (await http.GetAsync("api/v1/jobs")).Headers.ETag!;
        var tasks = (await http.GetAsync($"api/v1/tasks?q=jid%3D{jid}")).Headers.ETag!;

        var second = await site.SpoolAsync("Job -title {second} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {y}} } }", "ana");
        (jobs, var body) = await FreshAsync(http, "api/v1/jobs", jobs);
        Assert.Contains(body.EnumerateArray(), j => j.GetProperty("jid").GetInt64() == second);

        await site.Client.OperateAsync("pause", $"jid={jid}", "ana", force: false);
        (_, body) = await FreshAsync(http, "api/v1/jobs", jobs);
        Assert.True(body.EnumerateArray().Single(j => j.GetProperty("jid").GetInt64() == jid).GetProperty("paused").GetBoolean());

        await site.Client.OperateAsync("skip", $"jid={jid} and tid=1", "ana", force: false);
        (tasks, body) = await FreshAsync(http, $"api/v1/tasks?q=jid%3D{jid}", tasks);
        Assert.Equal("done", body.EnumerateArray().Single().GetProperty("state").GetString());

        // The switch is the farm's alone: a task's why-waiting names it, so its listing changes with it.
        var other = $"api/v1/tasks?q=jid%3D{second}";
        var waiting = (await http.GetAsync(other)).Headers.ETag!;
        await site.Client.SetDispatchPausedAsync(true);
        (_, body) = await FreshAsync(http, other, waiting);
        Assert.Contains("dispatching is paused", body.EnumerateArray().Single().GetProperty("whyWaiting").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ABladesFigures_ChangeTheBladesListingsTag_ButNotTheJobs()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();
        await site.Client.RegisterBladeAsync(new BladeRegistration("etag-blade", "localhost", 1, "0.1.0", "boot-etag", 1));
        var blades = (await http.GetAsync("api/v1/blades")).Headers.ETag!;
        var jobs = (await http.GetAsync("api/v1/jobs")).Headers.ETag!;

        // A report that changes nothing but the machine's figures: never written, yet shown.
        await site.Client.ReportAsync("etag-blade", new BladeReport("boot-etag", [], [], 1, new BladeFigures(8, 32, 20.5, 100, 3.25, "linux", "test")));

        var (_, body) = await FreshAsync(http, "api/v1/blades", blades);
        Assert.Equal(3.25, body.EnumerateArray().Single().GetProperty("figures").GetProperty("load").GetDouble());
        using var unchanged = await GetAsync(http, "api/v1/jobs", jobs);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
    }

    [Fact]
    public async Task AListingThatMovesWithTheClock_CarriesNoTag()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        using var recent = await http.GetAsync("api/v1/jobs?q=spooltime%20%3E%20-1h");
        using var fixedTime = await http.GetAsync("api/v1/jobs?q=spooltime%20%3E%202020-01-01T00:00Z");

        Assert.True(recent.IsSuccessStatusCode);
        Assert.Null(recent.Headers.ETag);
        Assert.True(recent.Headers.Contains("X-Furrow-Change"));
        Assert.NotNull(fixedTime.Headers.ETag);
    }

    [Fact]
    public async Task ANewEngineProcess_NeverRepeatsATag()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.SpoolAsync("Job -title {kept} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        using var http = await site.HttpAsync();
        using var before = await http.GetAsync("api/v1/jobs");

        await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();

        using var after = await GetAsync(http, "api/v1/jobs", before.Headers.ETag!);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.NotEqual(before.Headers.GetValues("X-Furrow-Change"), after.Headers.GetValues("X-Furrow-Change"));
        Assert.Equal(await before.Content.ReadAsStringAsync(), await after.Content.ReadAsStringAsync());
    }


    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, params EntityTagHeaderValue[] known)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var tag in known)
            request.Headers.IfNoneMatch.Add(tag);
        return await http.SendAsync(request);
    }

    // Asks with the old tag: the listing must have changed, so the reply is a body under a new tag.
    private static async Task<(EntityTagHeaderValue Tag, JsonElement Body)> FreshAsync(HttpClient http, string url, EntityTagHeaderValue old)
    {
        using var response = await GetAsync(http, url, old);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(old, response.Headers.ETag);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.Headers.ETag!, body.RootElement.Clone());
    }
}
