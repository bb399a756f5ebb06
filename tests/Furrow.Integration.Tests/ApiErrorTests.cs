using System.Text;
using System.Text.Json;
using Furrow.Client;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Every error the engine answers is an RFC 7807 problem document (application/problem+json) that names what was wrong,
/// and carries Tractor's rc and msg too: a malformed body, a wrong content type, an unknown endpoint, a bad query, sort
/// or limit. None is a 500 or an empty body.
/// </summary>
public sealed class ApiErrorTests
{
    [Fact]
    public async Task EveryError_IsAProblemDocument_NamingWhatWasWrong()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        await AssertProblemAsync(await http.PostAsync("api/v1/blades/register", new StringContent("{\"name\": ", Encoding.UTF8, "application/json")),
            400, "not the JSON /api/v1/blades/register takes");
        await AssertProblemAsync(await http.PostAsync("api/v1/blades/register", new StringContent("name=x", Encoding.UTF8, "text/plain")),
            415, "takes a JSON body");
        await AssertProblemAsync(await http.GetAsync("api/v1/nothing/here"), 404, "no such endpoint: GET /api/v1/nothing/here");
        await AssertProblemAsync(await http.DeleteAsync("api/v1/jobs"), 405, "DELETE is not allowed on /api/v1/jobs");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?q=prority%3D3"), 400, "unknown attribute 'prority'");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?sortby=-nope"), 400, "unknown attribute 'nope'");
        // Words a column never holds and numbers it cannot hold would match nothing: refused naming them, as tq shows.
        await AssertProblemAsync(await http.GetAsync("api/v1/tasks?q=state%3Dbogus"), 400,
            "expected one of blocked, ready, active, done, error for 'state', got 'bogus' at column 7");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?q=state%3DDone"), 400, "got 'Done' at column 7 (did you mean 'done'?)");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?q=paused%3Dmaybe"), 400, "expected true or false (or t, yes, y, on, 1 / f, no, n, off, 0) for 'paused', got 'maybe'");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?q=jid%3E99999999999999999999999"), 400,
            "expected a number from -9223372036854775808 to 9223372036854775807 for 'jid', got '99999999999999999999999'");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?limit=lots"), 400, "bad limit 'lots'");
        await AssertProblemAsync(await http.GetAsync("api/v1/query/jobs?cols=jid,etalevel"), 400, "not recorded by Furrow: etalevel");
        await AssertProblemAsync(await http.GetAsync("api/v1/query/nothing?cols=jid"), 400, "unknown table 'nothing'");
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/chpri?q=jid%3D1&user=x", null), 400, "chpri needs ?priority=");
        // A clause sent in a body is not read: said so, not taken for no clause at all.
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/pause?user=x", new StringContent("{\"q\": \"jid=1\"}", Encoding.UTF8, "application/json")),
            400, "pause needs a search clause naming what to pause, as ?q=CLAUSE (e.g. ?q=jid%3D12); an operation reads no request body");
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/chpri?q=jid%3D1&user=x&priority=NaN", null), 400, "a number from -1000000 to 1000000, got 'NaN'");
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/chpri?q=jid%3D1&user=x&priority=Infinity", null), 400, "a number from -1000000 to 1000000");
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/chpri?q=jid%3D1&user=x&priority=1e308", null), 400, "a number from -1000000 to 1000000");
        // Alfred text sent as JSON is refused saying what it is and how to send it.
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x", new StringContent("Job -title {x} -subtasks {}", Encoding.UTF8, "application/json")),
            400, "this is an alfred script sent as JSON: send it as application/tractor-spool, text/plain or application/x-alfred");
        // And a JSON job sent as alfred text says so too, in either JSON form.
        foreach (var json in new[] { """{"TractorJob": "2.0", "data": {"title": "x"}, "children": []}""", """{"title": "x", "subtasks": []}""" })
        {
            await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x", new StringContent(json, Encoding.UTF8, "text/plain")),
                400, "this is a JSON job sent as an alfred script: send it as application/json or application/tractor-spool-json");
        }
        // .NET's number parsing passes over a trailing NUL ("17\0" reads as 17): a parameter holding one is refused by name.
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/chpri?q=jid%3D1&user=x&priority=9%00", null), 400,
            "priority= holds a NUL character (%00)");
        await AssertProblemAsync(await http.GetAsync("api/v1/query/jobs?cols=jid&q=jid%3D1%00"), 400, "q= holds a NUL character (%00)");
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?limit=5%00"), 400, "limit= holds a NUL character (%00)");
        // A spooled body must be a job script: alfred text or the JSON job form, by the types clients send them as.
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x", new ByteArrayContent([0x89, 0x50, 0x4e, 0x47])
        {
            Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png") },
        }), 415, "takes a job script as text/plain, application/x-alfred, application/tractor-spool, application/x-www-form-urlencoded, " +
            "application/json, application/tractor-spool-json, not 'image/png'");
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=", new StringContent("Job -title {x}")), 400, "user: the name is empty");
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x&priority=2000000", new StringContent("Job -title {x} -subtasks { Task {t} -cmds { RemoteCmd {true} } }")),
            400, "priority 2000000 is out of range: expected a number from -1000000 to 1000000");
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x&priority=1e308", new StringContent("Job -title {x} -subtasks { Task {t} -cmds { RemoteCmd {true} } }")),
            400, "priority '1e308': expected a number from -1000000 to 1000000 such as 100 or -2.5");
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs?user=x", new StringContent("Job -title {x} -priority 1e308 -subtasks { Task {t} -cmds { RemoteCmd {true} } }")),
            400, "out of range");
    }

    [Theory]
    [InlineData("text/plain", false)]
    [InlineData("application/tractor-spool", false)]
    [InlineData("application/x-alfred; charset=utf-8", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData(null, false)]
    [InlineData("application/json", true)]
    [InlineData("application/tractor-spool-json", true)]
    public async Task AScript_IsSpooled_AsEveryContentTypeClientsSendIt(string? contentType, bool json)
    {
        var script = "Job -title {typed} -subtasks { Task {t} -cmds { RemoteCmd {true} } }";
        if (json)
            script = Furrow.Core.Scripts.JobJson.Serialize(Furrow.Core.Scripts.AlfredParser.Parse(script, "typed.alf").Job!);
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes(script));
        if (contentType is not null)
            body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var reply = await http.PostAsync("api/v1/jobs?user=ana", body);

        Assert.True(reply.IsSuccessStatusCode, $"{contentType}: {(int)reply.StatusCode} {await reply.Content.ReadAsStringAsync()}");
        Assert.Single(await site.Client.JobsAsync(""));
    }

    [Fact]
    public async Task AQueryParameterAnEndpointDoesNotTake_IsRefusedNamingIt_WhileWhatOurClientsSendIsTaken()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?bogus=1"), 400, "/api/v1/jobs does not take the query parameter 'bogus' (it takes q, sortby");
        // A misspelled filter is not dropped to list everything.
        await AssertProblemAsync(await http.GetAsync("api/v1/jobs?ownr=ana"), 400, "does not take the query parameter 'ownr'");
        await AssertProblemAsync(await http.GetAsync("api/v1/tasks?comment=1"), 400, "/api/v1/tasks does not take the query parameter 'comment'");
        await AssertProblemAsync(await http.GetAsync("api/v1/status?verbose=1"), 400, "/api/v1/status does not take the query parameter 'verbose' (it takes user)");
        await AssertProblemAsync(await http.PostAsync("api/v1/operations/pause?q=jid%3D1&forse=1", null), 400, "does not take the query parameter 'forse'");

        // What the Dashboard, the client library and tq send is taken.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("api/v1/jobs?q=jid%3D1&archived=1&limit=0&allowed=1&comment=1&sortby=jid&offset=0&user=x")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("api/v1/tasks?jid=1&limit=0&archived=1")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("api/v1/query/jobs?cols=jid&distinct=1&limit=0&q=jid%3D1")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("api/v1/blades?limit=0")).StatusCode);
        var spooled = await site.Client.SpoolAsync("Job -title {t} -subtasks { Task {a} -cmds { RemoteCmd {true} } }",
            new Furrow.Client.SpoolOptions("ana", Host: "h", Cwd: "/tmp", Priority: 3) { Tier = "batch", Projects = "p1", MaxActive = 1, Title = "x" });
        Assert.True(spooled.Jid > 0);
    }

    // "(a+)+$" backtracks past the like timeout (250 ms) on "aaa...a!" before "|!" is tried: the clause has no answer on
    // that job, so it is refused, where before the timeout counted as no match and `not` selected (and chpri changed) it.
    [Fact]
    public async Task ALikeThatRunsPastItsTimeout_IsTheQuerys400_NotRowsAndNotAnOperationDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();
        var title = new string('a', 40) + "!";
        var jid = (await site.Client.SpoolAsync($"Job -title {{{title}}} -priority 7 -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{true}} }} }}",
            new Furrow.Client.SpoolOptions("ana", Host: "h", Cwd: "/tmp"))).Jid;
        var clause = Uri.EscapeDataString("not title like \"(a+)+$|!\"");
        const string said = "like '(a+)+$|!' took too long on a value (more than 250 ms) and was stopped: use a simpler pattern";

        // The listing is the store's (SQLite's like function); the operation's and the query endpoint's as they find rows.
        await AssertProblemAsync(await http.GetAsync($"api/v1/jobs?q={clause}"), 400, said);
        await AssertProblemAsync(await http.GetAsync($"api/v1/query/jobs?cols=jid,title&q={clause}"), 400, said);
        await AssertProblemAsync(await http.PostAsync($"api/v1/operations/chpri?q={clause}&user=ana&priority=99", null), 400, said);

        var job = Assert.Single(await site.Client.JobsAsync($"jid={jid}"));
        Assert.Equal(7.0, job.Priority);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var root = problem.RootElement;
        Assert.Equal("about:blank", root.GetProperty("type").GetString());
        Assert.Equal(status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.Contains(detail, root.GetProperty("detail").GetString());
        // Tractor's clients read rc and msg.
        Assert.Equal(status, root.GetProperty("rc").GetInt32());
        Assert.Equal(root.GetProperty("detail").GetString(), root.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task APageNoRouteServes_GivesABrowserAPlainHtml404_WhileApiPathsKeepJson()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // A browser without a session: no login token, Accept as browsers send it.
        using var browser = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        foreach (var page in new[] { "nosuch", "jobs/notanumber", "blades/a/b" })
        {
            using var reply = await browser.GetAsync(page);
            var body = await reply.Content.ReadAsStringAsync();
            Assert.True(reply.StatusCode == System.Net.HttpStatusCode.NotFound, $"{page}: {(int)reply.StatusCode} {body}");
            Assert.Equal("text/html", reply.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"no page at /{page}", body);
            Assert.Contains("<a href=\"/\">", body);
        }

        // The API's paths, and callers that do not ask for a page, keep their JSON.
        foreach (var path in new[] { "api/v1/nosuch", "Tractor/nosuch/x" })
        {
            using var reply = await browser.GetAsync(path);
            Assert.NotEqual("text/html", reply.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"msg\"", await reply.Content.ReadAsStringAsync());
        }
        using var plain = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        using var json = await plain.GetAsync("nosuch");
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ABodyTheEngineCannotRead_IsToldWhatIsWrong_InTheCallersTerms_BeforeAnyLoginIsAsked()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };

        async Task<string> PostLoginAsync(string? contentType, string? body, int status)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/login");
            if (body is not null)
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
                (request.Content ??= new ByteArrayContent([])).Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            using var reply = await anonymous.SendAsync(request);
            var text = await reply.Content.ReadAsStringAsync();
            Assert.True(status == (int)reply.StatusCode, $"{contentType} {body}: {(int)reply.StatusCode} {text}");
            var message = JsonDocument.Parse(text).RootElement.GetProperty("msg").GetString()!;
            // The framework's wording names this code's parameters and types; a caller is told about its request instead.
            foreach (var internals in new[] { "Furrow.", "parameter", "Did you mean", "LineNumber", "BytePositionInLine", "needs a login" })
                Assert.DoesNotContain(internals, message);
            return message;
        }

        // Routing refuses a Content-Type the login does not take: said as 415 to a caller with no login yet, not 401.
        Assert.Contains("/api/v1/auth/login takes a JSON body (Content-Type: application/json), not 'text/plain'",
            await PostLoginAsync("text/plain", "{\"user\":\"a\",\"password\":\"b\"}", 415));
        Assert.Contains("names no Content-Type", await PostLoginAsync(null, "{\"user\":\"a\"}", 415));
        Assert.Contains("takes a JSON body (Content-Type: application/json) and none was sent", await PostLoginAsync("application/json", null, 400));
        Assert.Contains("and none was sent", await PostLoginAsync("application/json", "null", 400));
        Assert.Equal("the request body is not the JSON /api/v1/auth/login takes at line 1, column 10: at $.user: expected text",
            await PostLoginAsync("application/json", "{\"user\":5}", 400));
        Assert.Contains("at line 2, column 1", await PostLoginAsync("application/json", "{\"user\":\n", 400));
        // A key the body does not have is refused by name, with the keys it has: "passwd" is no password, and no login without one.
        Assert.Equal("the request body is not the JSON /api/v1/auth/login takes at line 1, column 23: unknown key \"passwd\" (known keys: code, cookie, password, user)",
            await PostLoginAsync("application/json", "{\"user\":\"a\", \"passwd\":\"b\"}", 400));
        using (var wrongMethod = await anonymous.GetAsync("api/v1/auth/login"))
            Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        // What does need a login still asks for one.
        using (var jobs = await anonymous.GetAsync("api/v1/jobs"))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, jobs.StatusCode);
    }

    [Theory]
    [InlineData("priority=%205", "priority ' 5': expected a number")]
    [InlineData("priority=1e2", "priority '1e2': expected a number")]
    [InlineData("priority=", "priority= is empty")]
    [InlineData("maxactive=%203", "maxactive ' 3': expected a whole number from 0 up")]
    [InlineData("maxactive=%2B3", "maxactive '+3': expected a whole number from 0 up")]
    [InlineData("maxactive=", "maxactive= is empty")]
    [InlineData("tier=", "tier= is empty")]
    [InlineData("title=%20", "title= is blank")]
    [InlineData("paused=", "paused= is empty")]
    [InlineData("afterjids=1,,2", "afterjids '1,,2': it has two commas with nothing between them")]
    [InlineData("afterjids=1,", "afterjids '1,': it ends with a comma")]
    [InlineData("cwd=relative/dir", "cwd 'relative/dir' is a relative directory")]
    [InlineData("cwd=", "cwd '' is empty")]
    [InlineData("host=bad%20host", "host 'bad host' is no host name: it holds U+0020")]
    [InlineData("format=xml", "format 'xml': expected json")]
    [InlineData("format=", "format '': expected json")]
    [InlineData("priority=5&priority=6", "priority= is given 2 times, with different values: give it once")]
    [InlineData("projects=a,,b", "projects 'a,,b': it has two commas with nothing between them")]
    public async Task ASpoolValue_IsReadByTheOneRuleForItsKind_AndAnEmptyOneIsRefusedNotDropped(string parameter, string expected)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        using var reply = await http.PostAsync($"api/v1/jobs?user=tester&{parameter}", new StringContent("Job -title {x} -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));

        await AssertProblemAsync(reply, 400, expected);
        Assert.Empty(await site.Client.JobsAsync(""));
    }

    [Theory]
    [InlineData("operations/pause?q=jid%3D1&user=tester&force=", "bad force '': expected 1 or 0")]
    [InlineData("operations/pause?q=jid%3D1&user=tester&force=YES", "bad force 'YES': expected 1 or 0")]
    [InlineData("operations/pause?q=jid%3D1&q=jid%3D2&user=tester", "q= is given 2 times, with different values: give it once")]
    public async Task ANativeFlagOrParameterGivenTwice_IsRefusedNotReadAsSomethingElse(string path, string expected)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        using var http = await site.HttpAsync();

        using var reply = await http.PostAsync($"api/v1/{path}", null);

        await AssertProblemAsync(reply, 400, expected);
        Assert.False(Assert.Single(await site.Client.JobsAsync($"jid={jid}")).Paused);
        // Tractor's own spelling of a JSON job, format=JSON, is a JSON job too.
        using var json = await http.PostAsync("api/v1/jobs?user=tester&format=JSON",
            new StringContent("""{"title": "as json", "subtasks": [{"kind": "task", "title": "t", "commands": [{"argv": ["true"]}]}]}"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, json.StatusCode);
    }

    [Fact]
    public async Task ASwitchAndAnEmptyList_AreReadAsEveryVerbReadsThem()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var waited = await site.SpoolAsync("Job -title {first} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        using var http = await site.HttpAsync();

        // paused=TRUE is a switch as jattr's set_pause=TRUE is; an empty afterjids= empties the script's list.
        using var reply = await http.PostAsync($"api/v1/jobs?user=tester&paused=TRUE&afterjids=",
            new StringContent($"Job -title {{x}} -afterjids {{{waited}}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{true}} }} }}"));
        Assert.Equal(System.Net.HttpStatusCode.OK, reply.StatusCode);
        var job = await site.Client.QueryColumnsAsync("jobs", ["paused", "afterjids"], "title=x", null, new ListOptions());
        Assert.Equal("""[[true,[]]]""", JsonSerializer.Serialize(job.Rows));
    }

    [Fact]
    public async Task ValuesNoTimeOrOrderCanHold_AreRefused_AndTheEngineStaysUp()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {held} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        using var http = await site.HttpAsync();

        foreach (var path in new[]
        {
            $"api/v1/operations/delay?q=jid%3D{jid}&user=tester&aftertime=99999999999999999",
            $"api/v1/operations/delay?q=jid%3D{jid}&user=tester&aftertime=-5",
            "api/v1/jobs?user=tester&priority=Infinity", "api/v1/jobs?user=tester&priority=NaN", "api/v1/jobs?user=tester&paused=maybe",
        })
        {
            using var reply = await http.PostAsync(path, new StringContent("Job -title {x} -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));
            Assert.True(reply.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{path}: {(int)reply.StatusCode}");
        }
        // The spool's paused= names every word it takes, the words tractor-spool's --paused and Tractor's spool take.
        using (var paused = await http.PostAsync("api/v1/jobs?user=tester&paused=maybe", new StringContent("Job -title {x} -subtasks {}")))
            await AssertProblemAsync(paused, 400, "paused 'maybe': expected one of 1, 0, true, false, yes, no, on or off");
        foreach (var path in new[] { "api/v1/jobs?q=spooltime%20%3E%20-99999999h", "api/v1/jobs?jid=abc", "api/v1/tasks?archived=yes",
            $"api/v1/jobs/{jid}/why?limit=abc" })
        {
            using var query = await http.GetAsync(path);
            Assert.True(query.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{path}: {(int)query.StatusCode}");
        }
        using (var forced = await http.PostAsync($"api/v1/operations/pause?q=jid%3D{jid}&user=ana&force=yes", null))
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, forced.StatusCode);
        Assert.Single(await site.Client.JobsAsync(""));
        Assert.NotNull(await site.Client.StatusAsync());
    }
}
