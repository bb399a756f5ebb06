using System.Net;
using System.Text;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Requests the engine must never act on: a browser page on another origin posting to it (CSRF), a Host header that
/// names another site (DNS rebinding), and an engine started on an address other hosts reach without the site saying so.
/// </summary>
public sealed class RequestGuardTests
{
    private const string Script = "Job -title {from a web page} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }";

    [Fact]
    public async Task APostFromAnotherOriginsPage_IsRefused_AndSpoolsNothing_WhileTheEnginesOwnOriginAndPlainClientsAreServed()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var before = await site.SpoolAsync("Job -title {kept} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        using var http = await site.HttpAsync();

        foreach (var origin in new[] { "http://evil.example", $"http://evil.example:{site.Port}", "null", $"https://{site.Engine}" })
        {
            // text/plain is what a page may post cross-origin without asking first: the classic CSRF request.
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/jobs?user=victim") { Content = new StringContent(Script, Encoding.UTF8, "text/plain") };
            request.Headers.Add("Origin", origin);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"Origin {origin}: {(int)response.StatusCode} {body}");
            Assert.Contains(origin, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        // Deleting another's job from a page is refused the same way.
        using (var delete = new HttpRequestMessage(HttpMethod.Post, $"api/v1/operations/delete?q=jid={before}&user=victim&force=1"))
        {
            delete.Headers.Add("Origin", "http://evil.example");
            using var response = await http.SendAsync(delete);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Assert.Equal([before], (await site.Client.JobsAsync()).Select(j => j.Jid));

        // The engine's own origin (its future Dashboard) and clients that send no Origin at all are served.
        using (var own = new HttpRequestMessage(HttpMethod.Post, "api/v1/jobs?user=tester") { Content = new StringContent(Script, Encoding.UTF8, "text/plain") })
        {
            own.Headers.Add("Origin", $"http://{site.Engine}");
            using var response = await http.SendAsync(own);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        await site.SpoolAsync(Script);
        Assert.Equal(3, (await site.Client.JobsAsync()).Count);
    }

    [Fact]
    public async Task AHostHeaderNamingAnotherSite_IsRefused_WhileTheHostsOwnNamesAndConfiguredOnesAreServed()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"EngineHostNames\": [\"*.farm.example\"]");
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        async Task<HttpStatusCode> GetAsync(string host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs");
            request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.BadRequest)
                Assert.Contains("is not a name of this engine", await response.Content.ReadAsStringAsync());
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync($"rebound.attacker.example:{site.Port}"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync("farm.example.attacker.example"));
        foreach (var good in new[] { $"localhost:{site.Port}", $"127.0.0.1:{site.Port}", $"tractor-engine:{site.Port}", $"{Environment.MachineName}:{site.Port}",
            $"render.farm.example:{site.Port}" })
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(good));
        }

        // HTTP/1.0 written by hand, as Tractor's older clients do, carries no Host at all: served.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, site.Port);
        await using var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.0\r\nAuthorization: Bearer {await site.AdminTokenAsync()}\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync();
        Assert.StartsWith("HTTP/1.1 200", statusLine);
    }

    [Fact]
    public async Task AnAddressOtherHostsReach_IsRefusedAtStart_NamingTheSetting_UnlessTheSiteAllowsIt()
    {
        await using var site = new TestSite();
        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "0.0.0.0");
        Assert.Equal(1, code);
        Assert.Contains("refusing to listen on 0.0.0.0", stderr);
        Assert.Contains("AllowUnprotectedListen", stderr);
        (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "localhost");
        Assert.Equal(1, code);
        Assert.Contains("'localhost' is not an IP address", stderr);
        Assert.False(Directory.Exists(Path.Combine(site.DataDir, "db")), "a refused engine made a database");

        await site.AddEngineSettingsAsync("\"ListenAddress\": \"0.0.0.0\", \"AllowUnprotectedListen\": true");
        await using var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir);
        await Eventually.WaitForAsync(async () => (object)await site.Client.StatusAsync(), TimeSpan.FromSeconds(30),
            () => $"engine on 0.0.0.0 to answer; its output:\n{engine.Output}");
    }
}
