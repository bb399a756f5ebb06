using System.Text.Json;
using System.Text.RegularExpressions;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// The engine serves its OpenAPI document, the document lists every endpoint of the API with its tag, name and query
/// parameters, and every request <see cref="EngineClient"/> makes is one the document describes (method, path and the
/// query parameters it sends).
/// </summary>
public sealed class OpenApiTests
{
    private static readonly (string Method, string Path)[] Endpoints =
    [
        ("post", "/api/v1/jobs"), ("get", "/api/v1/jobs"), ("get", "/api/v1/tasks"), ("get", "/api/v1/commands"), ("get", "/api/v1/invocations"),
        ("get", "/api/v1/blades"), ("get", "/api/v1/query/{table}"), ("post", "/api/v1/operations/{operation}"),
        ("get", "/api/v1/jobs/{jid}/script"), ("get", "/api/v1/jobs/{jid}/tasks/{tid}/log"), ("get", "/api/v1/jobs/{jid}/tasks/{tid}/log/text"),
        ("get", "/api/v1/status"), ("post", "/api/v1/dispatch/pause"), ("post", "/api/v1/dispatch/resume"),
        ("get", "/api/v1/jobs/{jid}/tasks/{tid}/why"), ("get", "/api/v1/jobs/{jid}/why"), ("get", "/api/v1/blocklist"),
        ("post", "/api/v1/jobs/{jid}/unblock"), ("post", "/api/v1/blades/{name}/nimby"), ("post", "/api/v1/blades/{name}/unnimby"), ("get", "/api/v1/blades/{name}/trace"),
        ("post", "/api/v1/blades/register"), ("post", "/api/v1/blades/{name}/work"), ("post", "/api/v1/blades/{name}/report"),
        ("post", "/api/v1/blades/{name}/heartbeat"), ("post", "/api/v1/blades/{name}/leave"),
        ("get", "/api/v1/auth"), ("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/logout"), ("delete", "/api/v1/blades/{name}/key"),
        ("post", "/api/v1/auth/signin-link"),
        ("get", "/api/v1/events"), ("get", "/api/v1/summary"), ("post", "/api/v1/config/reload"),
    ];

    private static readonly string[] Listing = ["q", "user", "sortby", "limit", "offset", "archived", "jid"];

    // The query parameters each endpoint reads; endpoints not named read none.
    private static readonly Dictionary<(string Method, string Path), string[]> QueryParameters = new()
    {
        [("post", "/api/v1/jobs")] = ["user", "file", "host", "cwd", "priority", "paused", "format", "title", "tier", "projects", "svckey", "envkey",
            "maxactive", "after", "afterjids"],
        [("get", "/api/v1/jobs")] = [.. Listing, "comment", "allowed"],
        [("get", "/api/v1/tasks")] = Listing,
        [("get", "/api/v1/commands")] = Listing,
        [("get", "/api/v1/invocations")] = Listing,
        [("get", "/api/v1/blades")] = ["q", "sortby", "limit", "offset"],
        [("get", "/api/v1/query/{table}")] = ["cols", .. Listing, "distinct"],
        [("post", "/api/v1/operations/{operation}")] = ["q", "user", "force", "priority", "aftertime", "key", "value"],
        [("get", "/api/v1/jobs/{jid}/tasks/{tid}/log")] = ["owner"],
        [("get", "/api/v1/jobs/{jid}/tasks/{tid}/log/text")] = ["owner", "encoding"],
        [("get", "/api/v1/jobs/{jid}/why")] = ["limit"],
        [("get", "/api/v1/blocklist")] = ["jid"],
        [("post", "/api/v1/jobs/{jid}/unblock")] = ["blade"],
        [("get", "/api/v1/blades/{name}/trace")] = ["jobs"],
    };

    [Fact]
    public async Task EveryEndpoint_HasATagAName_AndItsQueryParametersWithWhatTheyMean()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var document = await DocumentAsync(site);

        foreach (var (method, path, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            Assert.True(operation.TryGetProperty("tags", out var tags) && tags.GetArrayLength() == 1, $"{where} has no tag");
            Assert.False(string.IsNullOrEmpty(operation.GetProperty("operationId").GetString()), $"{where} has no name");
            Assert.False(string.IsNullOrEmpty(operation.GetProperty("summary").GetString()), $"{where} has no summary");
            var query = QueryParametersOf(operation);
            Assert.True(QueryParameters.GetValueOrDefault((method, path), []).Order().SequenceEqual(query.Keys.Order()),
                $"{where} documents query parameters [{string.Join(", ", query.Keys)}]");
            Assert.All(query, p => Assert.False(string.IsNullOrWhiteSpace(p.Value), $"{where}: ?{p.Key} says nothing of what it means"));
        }
        var listing = Operations(document).Single(o => o.Method == "get" && o.Path == "/api/v1/jobs").Operation;
        Assert.Equal("integer", listing.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "limit")
            .GetProperty("schema").GetProperty("type").GetString());
        Assert.True(listing.GetProperty("responses").TryGetProperty("304", out _), "a listing documents 304 Not Modified");
    }

    // The error statuses each endpoint answers with, besides 404 for a path that is no endpoint; endpoints not named have none.
    private static readonly Dictionary<(string Method, string Path), int[]> ErrorStatuses = new()
    {
        [("post", "/api/v1/jobs")] = [400, 413, 415],
        [("get", "/api/v1/jobs")] = [400],
        [("get", "/api/v1/auth")] = [401],
        [("get", "/api/v1/tasks")] = [400],
        [("get", "/api/v1/commands")] = [400],
        [("get", "/api/v1/invocations")] = [400],
        [("get", "/api/v1/blades")] = [400],
        [("get", "/api/v1/query/{table}")] = [400],
        [("post", "/api/v1/operations/{operation}")] = [400],
        [("get", "/api/v1/jobs/{jid}/script")] = [404],
        [("get", "/api/v1/jobs/{jid}/tasks/{tid}/log")] = [404],
        [("get", "/api/v1/jobs/{jid}/tasks/{tid}/log/text")] = [400, 404],
        [("get", "/api/v1/jobs/{jid}/tasks/{tid}/why")] = [404],
        [("get", "/api/v1/jobs/{jid}/why")] = [400, 404],
        [("post", "/api/v1/jobs/{jid}/unblock")] = [404],
        [("post", "/api/v1/blades/{name}/nimby")] = [404],
        [("post", "/api/v1/blades/{name}/unnimby")] = [404],
        [("get", "/api/v1/blades/{name}/trace")] = [400, 404],
        [("post", "/api/v1/blades/register")] = [400, 401, 403, 415],
        [("post", "/api/v1/blades/{name}/work")] = [400, 401, 403, 409, 415],
        [("post", "/api/v1/blades/{name}/report")] = [400, 401, 403, 409, 415],
        [("post", "/api/v1/blades/{name}/heartbeat")] = [400, 401, 403, 415],
        [("post", "/api/v1/blades/{name}/leave")] = [400, 401, 403, 415],
        [("delete", "/api/v1/blades/{name}/key")] = [404],
        [("post", "/api/v1/auth/login")] = [400, 401, 403, 415, 429, 503],
        [("post", "/api/v1/auth/logout")] = [401, 403],
        [("post", "/api/v1/auth/signin-link")] = [401, 403],
        [("post", "/api/v1/config/reload")] = [400],
        [("get", "/api/v1/events")] = [503],
    };

    // The content types of each endpoint's request body; endpoints not named take none.
    private static readonly Dictionary<(string Method, string Path), string[]> Bodies = new()
    {
        [("post", "/api/v1/jobs")] = ["text/plain", "application/x-alfred", "application/tractor-spool", "application/x-www-form-urlencoded",
            "application/json", "application/tractor-spool-json"],
        [("post", "/api/v1/blades/register")] = ["application/json"],
        [("post", "/api/v1/blades/{name}/work")] = ["application/json"],
        [("post", "/api/v1/blades/{name}/report")] = ["application/json"],
        [("post", "/api/v1/blades/{name}/heartbeat")] = ["application/json"],
        [("post", "/api/v1/blades/{name}/leave")] = ["application/json"],
        [("post", "/api/v1/auth/login")] = ["application/json"],
    };

    [Fact]
    public async Task EveryEndpoint_DocumentsItsBody_ItsReply_AndEachErrorItAnswers_AsAProblemDocument()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var document = await DocumentAsync(site);

        foreach (var (method, path, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var responses = operation.GetProperty("responses");
            var okContent = responses.TryGetProperty("200", out var ok) && ok.TryGetProperty("content", out var c) ? c : default;
            Assert.True(okContent.ValueKind == JsonValueKind.Object && okContent.EnumerateObject().Any(), $"{where} does not document what it replies");
            foreach (var json in okContent.EnumerateObject().Where(c => c.Name == "application/json" && path != "/api/v1/query/{table}"))
                Assert.True(json.Value.TryGetProperty("schema", out _), $"{where}: its JSON reply has no schema");

            var errors = responses.EnumerateObject().Select(r => r.Name).Where(r => r[0] is '4' or '5').Select(int.Parse).Order().ToList();
            // Every call but blades' own and logging in needs a caller: 401 without a login, 403 when refused.
            var anonymous = path.StartsWith("/api/v1/auth", StringComparison.Ordinal)
                || (method == "post" && (path == "/api/v1/blades/register" || path.EndsWith("/work", StringComparison.Ordinal)
                    || path.EndsWith("/report", StringComparison.Ordinal) || path.EndsWith("/heartbeat", StringComparison.Ordinal)
                    || path.EndsWith("/leave", StringComparison.Ordinal)));
            // Any call may be over its caller's requests a second: 429.
            var expected = ErrorStatuses.GetValueOrDefault((method, path), []).Union(anonymous ? [429] : [401, 403, 429]);
            Assert.True(expected.Order().SequenceEqual(errors),
                $"{where} documents errors [{string.Join(", ", errors)}]");
            foreach (var error in errors)
            {
                var content = responses.GetProperty(error.ToString()).GetProperty("content");
                Assert.True(content.TryGetProperty("application/problem+json", out var problem) && problem.TryGetProperty("schema", out _),
                    $"{where}: its {error} is not documented as a problem document");
            }

            var bodies = operation.TryGetProperty("requestBody", out var body)
                ? body.GetProperty("content").EnumerateObject().Select(c => c.Name).ToList()
                : [];
            Assert.True(Bodies.GetValueOrDefault((method, path), []).Order().SequenceEqual(bodies.Order()),
                $"{where} documents request bodies [{string.Join(", ", bodies)}]");
        }
        // Path parameters that take a fixed set of values name them.
        Assert.Contains("chpri", PathEnum(document, "post", "/api/v1/operations/{operation}", "operation"));
        Assert.Contains("retry", PathEnum(document, "post", "/api/v1/operations/{operation}", "operation"));
        Assert.Equal(["jobs", "tasks", "commands", "invocations", "blades", "params"], PathEnum(document, "get", "/api/v1/query/{table}", "table"));
    }

    [Fact]
    public async Task TheDocumentNamesTheSessionCookie_AndEveryChangeTheCsrfHeaderItsCookieCallersSend()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var document = await DocumentAsync(site);
        var schemes = document.RootElement.GetProperty("components").GetProperty("securitySchemes");
        var cookie = schemes.GetProperty("sessionCookie");
        Assert.Equal(("apiKey", "cookie", "furrow-session"),
            (cookie.GetProperty("type").GetString(), cookie.GetProperty("in").GetString(), cookie.GetProperty("name").GetString()));
        Assert.Equal("bearer", schemes.GetProperty("loginToken").GetProperty("scheme").GetString());

        foreach (var (method, path, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var csrf = operation.TryGetProperty("parameters", out var parameters)
                && parameters.EnumerateArray().Any(p => p.GetProperty("in").GetString() == "header" && p.GetProperty("name").GetString() == "X-CSRF-Token");
            Assert.True(csrf == (method != "get"), $"{where} {(csrf ? "documents" : "does not document")} the X-CSRF-Token header");
            if (method != "get" && operation.GetProperty("responses").TryGetProperty("403", out var forbidden))
                Assert.Contains("X-CSRF-Token", forbidden.GetProperty("description").GetString());
            // Blades' own calls carry their blade key, not a login.
            var bladesOwn = path == "/api/v1/blades/register" || new[] { "/work", "/report", "/heartbeat", "/leave" }.Any(e => path.EndsWith(e, StringComparison.Ordinal));
            if (!path.StartsWith("/api/v1/auth", StringComparison.Ordinal) && !bladesOwn)
                Assert.True(operation.TryGetProperty("security", out var security) && security.GetArrayLength() == 2, $"{where} names no way to call it");
        }
    }

    private static List<string> PathEnum(JsonDocument document, string method, string path, string name) =>
        Operations(document).Single(o => o.Method == method && o.Path == path).Operation.GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == "path")
            .GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()!).ToList();

    [Fact]
    public async Task TheDocumentListsEveryEndpoint_AndEveryClientRequestIsOneOfThem()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var document = await DocumentAsync(site);
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString());
        Assert.Equal("Furrow engine API", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        var documented = Operations(document).Select(o => (o.Method, o.Path)).ToList();
        Assert.Equal(Endpoints.Order(), documented.Order());

        // Every call the client can make, through a handler that writes down what was asked.
        var recorder = new Recorder(new SocketsHttpHandler());
        using var client = new EngineClient(site.Engine, new HttpClient(recorder) { BaseAddress = new Uri($"http://{site.Engine}/") },
            token: await site.AdminTokenAsync())
        {
            EnrolmentSecret = site.Client.EnrolmentSecret,
        };
        var jid = (await client.SpoolAsync("Job -title {api} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", new SpoolOptions("ana"))).Jid;
        await client.JobsAsync($"jid={jid}");
        await client.JobsAsync(null, "ana", new ListOptions(SortBy: "-jid", Limit: 5, Offset: 1, Archived: true) { WithComment = true });
        await client.TasksAsync($"jid={jid}", "ana", new ListOptions());
        await client.CommandsAsync($"jid={jid}", "ana", new ListOptions());
        await client.InvocationsAsync($"jid={jid}", "ana", new ListOptions());
        await client.BladesAsync(null, new ListOptions());
        await client.QueryColumnsAsync("jobs", ["jid", "title"], $"jid={jid}", "ana", new ListOptions(), distinct: true);
        await client.OperateAsync("chpri", $"jid={jid}", "ana", false, 5, null);
        await client.OperateAsync("pause", $"jid={jid}", "ana", false);
        await client.JobScriptAsync(jid);
        await client.StatusAsync();
        await client.SetDispatchPausedAsync(true);
        await client.SetDispatchPausedAsync(false);
        await client.WhyJobAsync(jid);
        await client.WhyAsync(jid, 1);
        await client.BlocklistAsync(jid);
        await client.UnblockAsync(jid, null);
        var welcome = await client.RegisterBladeAsync(new BladeRegistration("api-blade", "localhost", 1, "0.1.0", "boot-api", 1));
        await client.HeartbeatAsync("api-blade", new BladeHeartbeat("boot-api"));
        await client.PollWorkAsync("api-blade", new WorkRequest("boot-api", 0, 0));
        await client.ReportAsync("api-blade", new BladeReport("boot-api", [], [], 1));
        await client.SetNimbyAsync("api-blade", true);
        await client.SetNimbyAsync("api-blade", false);
        await client.TraceAsync("api-blade");
        await client.SetAttributeAsync("jattr", $"jid={jid}", "ana", false, "comment", "");
        await client.LeaveAsync("api-blade", new BladeLeaving("boot-api"));
        await client.ReleaseBladeNameAsync("api-blade");
        await Assert.ThrowsAsync<EngineException>(() => client.TaskLogTextAsync(jid, 1));
        await Assert.ThrowsAsync<EngineException>(() => client.TaskLogBytesAsync(jid, 1));
        Assert.NotNull(welcome);
        await client.WhoAmIAsync();
        await client.SummaryAsync();
        await client.ReloadConfigAsync();
        using (var stream = await client.OpenEventStreamAsync())
            Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var password = site.AddAccount("ana-api");
        await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await client.LoginAsync("ana-api", password);
            }
            catch (EngineException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(10), () => "the engine to take ana-api's account");
        await client.SignInLinkAsync();
        await client.LogoutAsync();

        var templates = Operations(document).Select(d => (d.Method, Pattern: new Regex("^" + Regex.Replace(d.Path, @"\{[^}]+\}", "[^/]+") + "$"),
            Query: QueryParametersOf(d.Operation).Keys.ToHashSet())).ToList();
        Assert.All(recorder.Requests, r => Assert.True(templates.Any(t => t.Method == r.Method && t.Pattern.IsMatch(r.Path)),
            $"the client asked {r.Method.ToUpperInvariant()} {r.Path}, which the OpenAPI document does not describe"));
        Assert.All(recorder.Requests, r => Assert.All(r.Query, key => Assert.True(
            templates.Where(t => t.Method == r.Method && t.Pattern.IsMatch(r.Path)).Any(t => t.Query.Contains(key)),
            $"the client sent ?{key} to {r.Method.ToUpperInvariant()} {r.Path}, which the OpenAPI document does not list")));
        Assert.Equal(Endpoints.Length, templates.Count(t => recorder.Requests.Any(r => t.Method == r.Method && t.Pattern.IsMatch(r.Path))));
    }

    private static async Task<JsonDocument> DocumentAsync(TestSite site)
    {
        using var http = await site.HttpAsync();
        var response = await http.GetAsync("api/v1/openapi.json");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static List<(string Method, string Path, JsonElement Operation)> Operations(JsonDocument document) =>
        document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(m => m.Name != "parameters").Select(m => (Method: m.Name, Path: p.Name, Operation: m.Value)))
            .ToList();

    // Name and description of each query parameter an operation lists.
    private static Dictionary<string, string> QueryParametersOf(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query")
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "")
            : [];

    private sealed class Recorder(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public List<(string Method, string Path, string[] Query)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]).ToArray();
            lock (Requests)
                Requests.Add((request.Method.Method.ToLowerInvariant(), request.RequestUri.AbsolutePath, query));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
