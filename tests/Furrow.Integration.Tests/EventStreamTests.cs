using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// GET /api/v1/events against a real engine and blade, read over HTTP as the Dashboard's EventSource reads it: what a
/// spool, a run and the dispatch switch publish, replay after a reconnect, reset when it cannot, and a caller held to its
/// own jobs seeing only those.
/// </summary>
public sealed class EventStreamTests
{
    private static async Task<HttpClient> AdminStreamClientAsync(TestSite site)
    {
        var http = await site.HttpAsync();
        http.Timeout = Timeout.InfiniteTimeSpan;
        return http;
    }

    private static bool Names(StreamEvent e, string type, long jid) =>
        e.Type == type && (type == "jobs" ? e.Jids.Contains(jid) : e.Data.GetProperty("jid").GetInt64() == jid);

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ASpooledJob_PublishesJobsThenTasks_ItsRunALogEvent_TheSwitchAnEngineEvent_AndStopEndsTheStream()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await AdminStreamClientAsync(site);
        await using var events = await EventStreamReader.OpenAsync(http);
        Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType?.MediaType);
        Assert.True(events.Response.Headers.CacheControl?.NoCache);
        await site.StartBladeAsync("ev-blade", 1);

        var jid = await site.SpoolAsync("Job -title {events} -subtasks { Task {t1} -cmds { RemoteCmd {echo hello-events} } }");
        var jobs = await events.WaitForAsync(e => Names(e, "jobs", jid), $"jobs naming J{jid}");
        var tasks = await events.WaitForAsync(e => Names(e, "tasks", jid), $"tasks of J{jid}");
        Assert.Contains(1, tasks.Data.GetProperty("tids").EnumerateArray().Select(t => t.GetInt32()));
        var log = await events.WaitForAsync(e => Names(e, "log", jid) && e.Data.GetProperty("tid").GetInt32() == 1, $"log of J{jid} T1");
        // Published once the bytes are on disk.
        Assert.True(new FileInfo(site.LogPath("tester", jid, 1)).Length > 0);
        Assert.Equal(2000, events.Retry);
        Assert.True(jobs.Seq < tasks.Seq && tasks.Seq < log.Seq);
        var boot = jobs.Id![..jobs.Id!.LastIndexOf('-')];
        Assert.All(events.Seen, e => Assert.StartsWith(boot + "-", e.Id));
        Assert.Equal(events.Seen.Select(e => e.Seq).Order(), events.Seen.Select(e => e.Seq));

        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");
        // Spool, dispatch and the finish are three commits, each naming the job (the finish may already have been read
        // while the log event was awaited: a fast command's report brings its output and its exit together).
        while (events.Seen.Count(e => Names(e, "jobs", jid)) < 3)
            await events.WaitForAsync(e => Names(e, "jobs", jid), $"jobs naming J{jid} done");
        // The blade's slot was taken by the run: its name was published.
        Assert.Contains(events.Seen, e => e.Type == "blades" && e.Data.GetProperty("names").EnumerateArray().Any(n => n.GetString() == "ev-blade"));

        using (var paused = await http.PostAsync("api/v1/dispatch/pause", null))
            paused.EnsureSuccessStatusCode();
        var engine = await events.WaitForAsync(e => e.Type == "engine", "engine");
        Assert.True(engine.Data.GetProperty("dispatchPaused").GetBoolean());
        using (var resumed = await http.PostAsync("api/v1/dispatch/resume", null))
            resumed.EnsureSuccessStatusCode();
        engine = await events.WaitForAsync(e => e.Type == "engine", "engine");
        Assert.False(engine.Data.GetProperty("dispatchPaused").GetBoolean());

        // An open stream does not hold up a SIGTERM: the engine ends it and exits.
        site.EngineProcess!.Send(15);
        Assert.Equal(0, await site.EngineProcess.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await events.EndsAsync(TimeSpan.FromSeconds(30)), "the stream did not end with the engine");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task AReconnectWithLastEventId_GetsWhatItMissed_AndAnUnknownOrOtherEnginesIdGetsReset()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await AdminStreamClientAsync(site);
        const string Script = "Job -title {replay} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }";

        string lastSeen;
        long first;
        await using (var events = await EventStreamReader.OpenAsync(http))
        {
            first = await site.SpoolAsync(Script);
            lastSeen = (await events.WaitForAsync(e => Names(e, "jobs", first), $"jobs naming J{first}")).Id!;
        }
        // Missed while no stream was open.
        var missed = await site.SpoolAsync(Script);
        using (var pause = await http.PostAsync("api/v1/dispatch/pause", null))
            pause.EnsureSuccessStatusCode();

        await using (var again = await EventStreamReader.OpenAsync(http, lastSeen))
        {
            var next = await again.WaitForAsync(_ => true, "first replayed");
            Assert.Equal(long.Parse(lastSeen[(lastSeen.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture) + 1, next.Seq);
            await again.WaitForAsync(e => Names(e, "jobs", missed), $"replayed jobs naming J{missed}");
            await again.WaitForAsync(e => e.Type == "engine" && e.Data.GetProperty("dispatchPaused").GetBoolean(), "replayed engine");
            Assert.DoesNotContain(again.Seen, e => e.Type == "reset");
        }

        var boot = lastSeen[..lastSeen.LastIndexOf('-')];
        foreach (var unknown in new[] { "0123456789ab-1", "not-an-id", $"{boot}-999999999" })
        {
            await using var stale = await EventStreamReader.OpenAsync(http, unknown);
            var reset = await stale.WaitForAsync(_ => true, $"first event after Last-Event-ID {unknown}");
            Assert.Equal("reset", reset.Type);
            Assert.StartsWith(boot + "-", reset.Id);
        }

        // Without Last-Event-ID nothing is replayed: the first event is the next change.
        await using var fresh = await EventStreamReader.OpenAsync(http);
        var later = await site.SpoolAsync(Script);
        var firstFresh = await fresh.WaitForAsync(_ => true, "first event of a new stream");
        Assert.True(Names(firstFresh, "jobs", later), $"expected jobs naming J{later} first, read {firstFresh}");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task AnIdleStream_GetsAPingComment_AndStaysOpen_ForTheNextChange()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await AdminStreamClientAsync(site);
        await using var events = await EventStreamReader.OpenAsync(http);

        // Nothing happens on this farm (no blade): past the slow-client grace, the stream is still served its pings.
        await events.WaitForCommentAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2000, events.Retry);
        var jid = await site.SpoolAsync("Job -title {after idle} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }");
        await events.WaitForAsync(e => Names(e, "jobs", jid), $"jobs naming J{jid} after the ping");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ACallerInRestrictedViewLogins_SeesEventsOfItsOwnJobsOnly()
    {
        await using var site = new TestSite();
        var bossPassword = site.AddAccount("boss");
        var ritaPassword = site.AddAccount("rita");
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"),
            """{ "Crews": { "Administrators": ["boss"], "RestrictedViewLogins": ["rita"] } }""");
        await site.StartEngineAsync();
        HttpClient Http(string token)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/"), Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        }
        using var boss = Http(await site.LoginAsync("boss", bossPassword));
        using var rita = Http(await site.LoginAsync("rita", ritaPassword));
        await using var bossEvents = await EventStreamReader.OpenAsync(boss);
        await using var ritaEvents = await EventStreamReader.OpenAsync(rita);

        const string Script = "Job -title {scoped} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }";
        var sams = await site.SpoolAsync(Script, "sam");
        var ritas = await site.SpoolAsync(Script, "rita");

        await bossEvents.WaitForAsync(e => Names(e, "jobs", sams), $"jobs naming sam's J{sams}");
        await bossEvents.WaitForAsync(e => Names(e, "tasks", sams), $"tasks of sam's J{sams}");
        await bossEvents.WaitForAsync(e => Names(e, "jobs", ritas), $"jobs naming rita's J{ritas}");
        // Events go out in commit order, so by rita's own job any event of sam's would have come.
        await ritaEvents.WaitForAsync(e => Names(e, "tasks", ritas), $"tasks of rita's J{ritas}");
        Assert.Contains(ritaEvents.Seen, e => Names(e, "jobs", ritas));
        Assert.DoesNotContain(ritaEvents.Seen, e => e.Type == "jobs" ? e.Jids.Contains(sams) : e.Type is "tasks" or "log" && Names(e, e.Type, sams));
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ConfigReload_AppliesCrewsAndLimits_RefusesAMalformedFileByLine_AndIsForAdministrators()
    {
        await using var site = new TestSite();
        var plainPassword = site.AddAccount("plain");
        await site.StartEngineAsync();
        using var http = await AdminStreamClientAsync(site);
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "limits.config"), """{ "Limits": {} }""");
        await using var events = await EventStreamReader.OpenAsync(http);

        using (var reply = await http.PostAsync("api/v1/config/reload", null))
        {
            var body = await reply.Content.ReadAsStringAsync();
            Assert.True(reply.StatusCode == HttpStatusCode.OK, body);
            using var json = JsonDocument.Parse(body);
            Assert.Contains("crews.config", json.RootElement.GetProperty("applied").EnumerateArray().Select(f => f.GetString()));
            Assert.Contains("users.config", json.RootElement.GetProperty("applied").EnumerateArray().Select(f => f.GetString()));
            Assert.Contains("limits.config", json.RootElement.GetProperty("read").EnumerateArray().Select(f => f.GetString()));
            Assert.Contains("limits.config", json.RootElement.GetProperty("applied").EnumerateArray().Select(f => f.GetString()));
            Assert.Empty(json.RootElement.GetProperty("restartNeeded").EnumerateArray());
        }
        var reloaded = await events.WaitForAsync(e => e.Type == "engine", "engine after reload");
        Assert.True(reloaded.Data.GetProperty("configReloaded").GetBoolean());
        Assert.False(reloaded.Data.GetProperty("dispatchPaused").GetBoolean());

        // A crews.config broken on its third line: 400 naming it, and the crews read before stay (the admin still is one).
        var crews = Path.Combine(site.ConfigDir, "crews.config");
        var good = await File.ReadAllTextAsync(crews);
        await File.WriteAllTextAsync(crews, "{\n  \"Crews\": {\n    \"Administrators\": [\"test-admin\" \"x\"]\n  }\n}\n");
        using (var refused = await http.PostAsync("api/v1/config/reload", null))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.StartsWith("nothing was reloaded: crews.config:3:", message);
        }
        using (var stillAdmin = await http.PostAsync("api/v1/dispatch/pause", null))
            Assert.Equal(HttpStatusCode.OK, stillAdmin.StatusCode);
        await File.WriteAllTextAsync(crews, good);

        // tq reloadconfig asks the same, here as the engine's own account on its socket (an administrator).
        var (code, stdout, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--json", "reloadconfig", "--crews");
        Assert.True(code == 0, stderr);
        using (var tq = JsonDocument.Parse(stdout))
            Assert.Contains("crews.config", tq.RootElement.GetProperty("applied").EnumerateArray().Select(f => f.GetString()));

        using var plain = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        plain.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await site.LoginAsync("plain", plainPassword));
        using var forbidden = await plain.PostAsync("api/v1/config/reload", null);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("Administrators", await forbidden.Content.ReadAsStringAsync());
    }
}
