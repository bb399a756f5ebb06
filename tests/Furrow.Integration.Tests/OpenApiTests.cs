using System.Text.Json;
using System.Text.RegularExpressions;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// The engine serves its OpenAPI document, the document lists every endpoint of the API, and every request
/// <see cref="EngineClient"/> makes is one the document describes (method and path).
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
        ("post", "/api/v1/jobs/{jid}/unblock"), ("post", "/api/v1/blades/{name}/nimby"), ("post", "/api/v1/blades/{name}/unnimby"),
        ("post", "/api/v1/blades/register"), ("post", "/api/v1/blades/{name}/work"), ("post", "/api/v1/blades/{name}/report"),
        ("post", "/api/v1/blades/{name}/heartbeat"), ("post", "/api/v1/blades/{name}/leave"),
    ];

    [Fact]
    public async Task TheDocumentListsEveryEndpoint_AndEveryClientRequestIsOneOfThem()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        var response = await http.GetAsync("api/v1/openapi.json");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString());
        Assert.Equal("Furrow engine API", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Method: m.Name, Path: p.Name))).ToList();
        Assert.Equal(Endpoints.Order(), documented.Order());

        // Every call the client can make, through a handler that writes down what was asked.
        var recorder = new Recorder(new SocketsHttpHandler());
        using var client = new EngineClient(site.Engine, new HttpClient(recorder) { BaseAddress = new Uri($"http://{site.Engine}/") });
        var jid = (await client.SpoolAsync("Job -title {api} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", new SpoolOptions("ana"))).Jid;
        await client.JobsAsync($"jid={jid}");
        await client.JobsAsync(null, "ana", new ListOptions(SortBy: "-jid", Limit: 5));
        await client.TasksAsync($"jid={jid}", "ana", new ListOptions());
        await client.CommandsAsync($"jid={jid}", "ana", new ListOptions());
        await client.InvocationsAsync($"jid={jid}", "ana", new ListOptions());
        await client.BladesAsync(null, new ListOptions());
        await client.QueryColumnsAsync("jobs", ["jid", "title"], $"jid={jid}", "ana", new ListOptions());
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
        await client.LeaveAsync("api-blade", new BladeLeaving("boot-api"));
        await Assert.ThrowsAsync<EngineException>(() => client.TaskLogTextAsync(jid, 1));
        await Assert.ThrowsAsync<EngineException>(() => client.TaskLogBytesAsync(jid, 1));
        Assert.NotNull(welcome);

        var templates = documented.Select(d => (d.Method, Pattern: new Regex("^" + Regex.Replace(d.Path, @"\{[^}]+\}", "[^/]+") + "$"))).ToList();
        Assert.All(recorder.Requests, r => Assert.True(templates.Any(t => t.Method == r.Method && t.Pattern.IsMatch(r.Path)),
            $"the client asked {r.Method.ToUpperInvariant()} {r.Path}, which the OpenAPI document does not describe"));
        Assert.Equal(Endpoints.Length, templates.Count(t => recorder.Requests.Any(r => t.Method == r.Method && t.Pattern.IsMatch(r.Path))));
    }

    private sealed class Recorder(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public List<(string Method, string Path)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
                Requests.Add((request.Method.Method.ToLowerInvariant(), request.RequestUri!.AbsolutePath));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
