using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// crews.config's Furrow crews, enforced by the engine over HTTP with real accounts and login tokens: read-only logins
/// (ReadOnlyLogins), who may spool (SpoolLogins), and who sees whose jobs (RestrictedViewLogins), on every path a job
/// is read, listed or acted on by.
/// </summary>
public sealed class CrewScopeTests
{
    private const string Paused = "Job -title {t} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }";

    private const string Spooled = "Job -title {spooled} -subtasks { Task {a} -cmds { RemoteCmd {true} } }";

    private sealed class Farm(TestSite site, Dictionary<string, string> tokens) : IAsyncDisposable
    {
        private readonly List<IDisposable> _made = [];

        public TestSite Site => site;

        public EngineClient Client(string user)
        {
            var client = new EngineClient(site.Engine, new HttpClient(), token: tokens[user]);
            _made.Add(client);
            return client;
        }

        public HttpClient Http(string user)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[user]);
            _made.Add(http);
            return http;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var made in _made)
                made.Dispose();
            await site.DisposeAsync();
        }
    }

    private static async Task<Farm> StartAsync(string crews, params string[] users)
    {
        var site = new TestSite();
        var passwords = users.ToDictionary(u => u, u => site.AddAccount(u));
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), crews);
        await site.StartEngineAsync();
        var tokens = new Dictionary<string, string>();
        foreach (var (user, password) in passwords)
            tokens[user] = await site.LoginAsync(user, password);
        return new Farm(site, tokens);
    }

    // The three bodies a spool may come in: alfred text, the JSON job form, and a form post (curl --data-binary's default).
    private static IEnumerable<Func<HttpContent>> SpoolBodies()
    {
        yield return () => new StringContent(Spooled, Encoding.UTF8, "application/x-alfred");
        yield return () => new StringContent(Furrow.Core.Scripts.JobJson.Serialize(Furrow.Core.Scripts.AlfredParser.Parse(Spooled, "spooled.alf").Job!),
            Encoding.UTF8, "application/json");
        yield return () => new StringContent(Spooled, Encoding.UTF8, "application/x-www-form-urlencoded");
    }

    // An error reply's message ({"rc": ..., "msg": ...}).
    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString() ?? "";

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    // The job, its tasks and commands as the database holds them, for "nothing changed".
    private static async Task<string> SnapshotAsync(TestSite site, long jid)
    {
        var archived = new ListOptions(Archived: true);
        var job = await site.Client.QueryColumnsAsync("jobs", ["title", "priority", "paused", "aftertime", "lockedby", "crews", "deletetime", "numdone"],
            $"jid={jid}", null, archived);
        var tasks = await site.Client.QueryColumnsAsync("tasks", ["tid", "title", "state"], $"jid={jid}", null, archived);
        return string.Join(" | ", new[] { job, tasks }.Select(t => JsonSerializer.Serialize(t.Rows)));
    }

    [Fact]
    public async Task AReadOnlyLogin_ListsAndReads_ButMayNotSpoolActOnAnyJobOrChangeTheFarm()
    {
        await using var farm = await StartAsync("""
            { "Crews": { "ReadOnlyLogins": ["auditors"], "auditors": ["audrey"], "Wranglers": ["wes"] } }
            """, "audrey", "wes");
        var site = farm.Site;
        var anas = await site.SpoolAsync(Paused, "ana");
        var own = await site.SpoolAsync(Paused, "audrey");
        var before = (await SnapshotAsync(site, anas), await SnapshotAsync(site, own));
        var audrey = farm.Client("audrey");
        var http = farm.Http("audrey");

        Assert.Equal([anas, own], (await audrey.JobsAsync()).Select(j => j.Jid).Order());
        Assert.Equal([anas, own], (await audrey.TasksAsync()).Select(t => t.Jid).Order());
        Assert.Equal(Paused, await audrey.JobScriptAsync(anas));
        Assert.Single(await audrey.WhyJobAsync(anas));

        foreach (var body in SpoolBodies())
        {
            var (status, text) = await SendAsync(http, HttpMethod.Post, "api/v1/jobs", body());
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("audrey may not spool: crews.config's ReadOnlyLogins lists them", Message(text));
        }
        foreach (var (operation, jid, force) in new[] { ("pause", own, false), ("delete", own, false), ("chpri", own, false), ("retry", anas, true) })
        {
            var refused = await Assert.ThrowsAsync<EngineException>(() => operation == "chpri"
                ? audrey.OperateAsync(operation, $"jid={jid}", "audrey", force, 5, null)
                : audrey.OperateAsync(operation, $"jid={jid}", "audrey", force));
            Assert.Equal(403, refused.StatusCode);
            Assert.Contains($"audrey may not {operation} jobs: crews.config's ReadOnlyLogins lists them", refused.Message);
        }
        var farmWide = await Assert.ThrowsAsync<EngineException>(() => audrey.SetDispatchPausedAsync(true));
        Assert.Equal(403, farmWide.StatusCode);
        Assert.Contains("ReadOnlyLogins", farmWide.Message);

        Assert.Equal(2, (await site.Client.JobsAsync()).Count);
        Assert.Equal(before, (await SnapshotAsync(site, anas), await SnapshotAsync(site, own)));
        Assert.False((await site.Client.StatusAsync()).DispatchPaused);
        // The same calls by one who may act go through: the refusals were the crew's.
        Assert.Equal(1, (await farm.Client("wes").OperateAsync("pause", $"jid={own}", "wes", true)).Affected);
    }

    [Fact]
    public async Task SpoolLogins_LetsOnlyItsMembersAndAdministratorsSpool_InEveryForm_AndARefusedUsersJobsAreKept()
    {
        await using var farm = await StartAsync("""{ "Crews": { "Administrators": ["boss"] } }""", "ana", "bob", "boss");
        var site = farm.Site;
        // bob spools while every login may; his job expands when it runs (a blade adding to it, not a spool of his).
        var earlier = (await farm.Client("bob").SpoolAsync(Paused, new SpoolOptions("bob"))).Jid;
        var expanding = (await farm.Client("bob").SpoolAsync(
            "Job -title {gen} -paused 1 -subtasks { Task {gen} -cmds { RemoteCmd {echo {Task {child} -cmds {RemoteCmd {true}}}} -expand 1 } }",
            new SpoolOptions("bob"))).Jid;
        var before = await SnapshotAsync(site, earlier);

        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"),
            """{ "Crews": { "Administrators": ["boss"], "SpoolLogins": ["artists"], "artists": ["ana"] } }""");
        var bob = farm.Http("bob");
        // A script the engine would refuse as bad until the edited file is read, and refuse as bob's from then on: no job
        // comes of the wait either way.
        await Eventually.WaitUntilAsync(async () =>
            (await SendAsync(bob, HttpMethod.Post, "api/v1/jobs", new StringContent("Job -title {", Encoding.UTF8, "application/x-alfred"))).Status
                == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(10), () => "the engine to read the edited crews.config");

        foreach (var body in SpoolBodies())
        {
            var (status, text) = await SendAsync(bob, HttpMethod.Post, "api/v1/jobs", body());
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("bob may not spool: crews.config defines SpoolLogins and does not list them", Message(text));
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(farm.Http("ana"), HttpMethod.Post, "api/v1/jobs", body())).Status);
        }
        Assert.True((await farm.Client("boss").SpoolAsync(Spooled, new SpoolOptions("boss"))).Jid > 0);
        Assert.Equal(4, (await site.Client.JobsAsync("not (owner = bob)")).Count);
        Assert.Equal([earlier, expanding], (await site.Client.JobsAsync("owner = bob")).Select(j => j.Jid).Order());

        // bob's jobs are kept, and he may still act on them: acting is not spooling.
        Assert.Equal(before, await SnapshotAsync(site, earlier));
        Assert.Equal(1, (await farm.Client("bob").OperateAsync("unpause", $"jid={expanding}", "bob", false)).Affected);
        await site.StartBladeAsync("b1", slots: 1);
        await site.WaitForJobAsync(expanding, j => j.NumDone == 2, TimeSpan.FromSeconds(60), "done with its expanded task");
        Assert.Equal(["child", "gen"], (await site.Client.TasksAsync($"jid={expanding}")).Select(t => t.Title).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RestrictedViewLogins_SeeOnlyTheirOwnAndTheirCrewsJobs_OnEveryPath_AndAHiddenJobAnswersAsNoJob()
    {
        await using var farm = await StartAsync("""
            {
              "Crews": {
                "RestrictedViewLogins": ["artists", "wes", "audrey"], "artists": ["ana", "bob", "fxer"], "fx": ["fxer"],
                "Wranglers": ["wes"], "Administrators": ["boss"], "ReadOnlyLogins": ["audrey"]
              }
            }
            """, "ana", "bob", "fxer", "wes", "boss", "audrey");
        var site = farm.Site;
        await site.StartBladeAsync("b1", slots: 2);
        var anas = await site.SpoolAsync("Job -title {anas} -subtasks { Task {a} -cmds { RemoteCmd {echo ana} } }", "ana");
        var shared = await site.SpoolAsync("Job -title {shared} -crews {fx} -subtasks { Task {a} -cmds { RemoteCmd {echo fx} } }", "ana");
        var bobs = await site.SpoolAsync("Job -title {bobs} -subtasks { Task {a} -cmds { RemoteCmd {echo bob} } }", "bob");
        foreach (var jid in new[] { anas, shared, bobs })
            await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");
        // Left waiting, so the blade's trace lists it.
        var waiting = await site.SpoolAsync("Job -title {waiting} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }", "ana");
        long[] all = [anas, shared, bobs, waiting];
        var sees = new Dictionary<string, long[]>
        {
            ["ana"] = [anas, shared, waiting], ["bob"] = [bobs], ["fxer"] = [shared],
            ["wes"] = all, ["boss"] = all, ["audrey"] = all,
        };

        foreach (var (user, visible) in sees)
        {
            var client = farm.Client(user);
            var options = new ListOptions(Archived: true);
            Assert.Equal(visible, (await client.JobsAsync(null, null, options)).Select(j => j.Jid).Order());
            Assert.Equal(visible, (await client.TasksAsync(null, null, options)).Select(t => t.Jid).Distinct().Order());
            Assert.Equal(visible, (await client.CommandsAsync(null, null, options)).Select(c => c.Jid).Distinct().Order());
            Assert.Equal(visible.Except([waiting]), (await client.InvocationsAsync(null, null, options)).Select(i => i.Jid).Distinct().Order());
            foreach (var table in new[] { "jobs", "tasks", "commands", "invocations" })
            {
                var rows = (await client.QueryColumnsAsync(table, ["jid"], null, null, options)).Rows;
                Assert.True(rows.All(r => visible.Contains(r[0].GetInt64())), $"{user} queried {table}: {JsonSerializer.Serialize(rows)}");
            }
            var trace = await client.TraceAsync("b1");
            Assert.True(trace.Contains($"J{waiting} ") == visible.Contains(waiting), $"{user}'s trace:\n{trace}");
            foreach (var jid in all.Except(visible))
                Assert.DoesNotContain($"J{jid} ", trace);
            Assert.DoesNotContain(await client.BlocklistAsync(null), b => !visible.Contains(b.Jid));
        }

        // Read by its id, a hidden job answers exactly as a job that does not exist.
        var bob = farm.Http("bob");
        const long None = 999_999;
        foreach (var path in new[] { "api/v1/jobs/{0}/script", "api/v1/jobs/{0}/why", "api/v1/jobs/{0}/tasks/1/why", "api/v1/jobs/{0}/tasks/1/log",
            "api/v1/jobs/{0}/tasks/1/log/text", "api/v1/jobs?jid={0}", "api/v1/tasks?jid={0}", "api/v1/query/jobs?cols=jid,title&jid={0}" })
        {
            var hidden = await SendAsync(bob, HttpMethod.Get, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, anas));
            var missing = await SendAsync(bob, HttpMethod.Get, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, None));
            Assert.Equal(missing.Status, hidden.Status);
            Assert.Equal(missing.Body.Replace(None.ToString(System.Globalization.CultureInfo.InvariantCulture), "JID"),
                hidden.Body.Replace(anas.ToString(System.Globalization.CultureInfo.InvariantCulture), "JID"));
            Assert.DoesNotContain("anas", hidden.Body);
        }
        // What ana's own token reads of the same job, so the answers above were the rule's.
        Assert.Contains("ana", await farm.Client("ana").TaskLogAsync(anas, 1));

        // Nor may a job wait for a hidden one, at spool or by jattr: the answer is the one for a job that does not exist.
        var waitsFor = (long jid) => new StringContent($"Job -title {{w}} -afterjids {{{jid}}} -subtasks {{ Task {{a}} -cmds {{ RemoteCmd {{true}} }} }}",
            Encoding.UTF8, "application/x-alfred");
        var spoolHidden = await SendAsync(bob, HttpMethod.Post, "api/v1/jobs", waitsFor(anas));
        var spoolMissing = await SendAsync(bob, HttpMethod.Post, "api/v1/jobs", waitsFor(None));
        Assert.Equal(HttpStatusCode.BadRequest, spoolHidden.Status);
        // The script's place of -afterjids comes first (the same in both): it is not a job id.
        static string Unplaced(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"^<spooled script>:\d+:\d+: ", "");
        Assert.Equal(Unplaced(Message(spoolMissing.Body)).Replace($"{None}", "JID"), Unplaced(Message(spoolHidden.Body)).Replace($"{anas}", "JID"));
        Assert.Contains("do not exist", Message(spoolHidden.Body));
        // By jattr it is a bad value (400), as at spool, and the same words for a hidden job as for one that does not exist.
        var jattrHidden = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() =>
            farm.Client("bob").SetAttributeAsync("jattr", $"jid={bobs}", "bob", false, "afterjids", $"{anas}"));
        var jattrMissing = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() =>
            farm.Client("bob").SetAttributeAsync("jattr", $"jid={bobs}", "bob", false, "afterjids", $"{None}"));
        Assert.Equal((400, 400), (jattrHidden.StatusCode, jattrMissing.StatusCode));
        Assert.Equal(jattrMissing.Message.Replace($"{None}", "JID"), jattrHidden.Message.Replace($"{anas}", "JID"));
        Assert.Contains("do not exist", jattrHidden.Message);
        Assert.Equal([bobs], (await site.Client.JobsAsync("owner = bob")).Select(j => j.Jid));
        // ana's own jobs are hers to wait for.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(farm.Http("ana"), HttpMethod.Post, "api/v1/jobs", waitsFor(anas))).Status);

        // Acted on by a clause, a hidden job is neither touched nor named.
        var before = await SnapshotAsync(site, anas);
        foreach (var clause in new[] { $"jid={anas}", "owner=ana", "jid > 0" })
        {
            var reply = await farm.Client("bob").OperateAsync("chpri", clause, "bob", true, 7, null);
            Assert.True(reply.Items.All(i => i.Contains($"J{bobs}")), $"{clause}: {string.Join(", ", reply.Items)}");
            Assert.Empty(reply.Refused);
        }
        Assert.Equal(before, await SnapshotAsync(site, anas));
        Assert.Equal(7, (await site.Client.JobsAsync($"jid={bobs}")).Single().Priority);
        // fxer sees the shared job, and the job's policy (JobOwner, Wranglers, Administrators) still decides what he may do.
        Assert.Contains("owned by ana", Assert.Single((await farm.Client("fxer").OperateAsync("chpri", $"jid={shared}", "fxer", true, 3, null)).Refused));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ADataDirectoryAnyUserMayWrite_StopsTheEngineAtStart_NamingIt()
    {
        await using var site = new TestSite();
        Directory.CreateDirectory(site.DataDir);
        File.SetUnixFileMode(site.DataDir, (UnixFileMode)0b111_111_111);

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.NotEqual(0, code);
        Assert.Contains($"data directory {site.DataDir} may be written by any user (mode 0777); run chmod o-w {site.DataDir}", stdout + stderr);
        Assert.False(File.Exists(Path.Combine(site.DataDir, "engine.lock")));
    }
}
