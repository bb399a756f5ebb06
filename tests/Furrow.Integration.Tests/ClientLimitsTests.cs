using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// What the engine takes from each caller: requests a second per user and per blade (tractor.config
/// `UserRequestsPerSecond`, `BladeRequestsPerSecond` and their bursts; 429 with Retry-After over them), and clients that
/// send their headers or body too slowly cut off (`RequestHeadersTimeoutSecs`, `MinClientBytesPerSec`,
/// `MinClientRateGraceSecs`) on the TCP port and the local socket, while others are served.
/// </summary>
public sealed class ClientLimitsTests
{
    private const string Script = """
        Job -title {t} -subtasks {
            Task {a} -cmds { RemoteCmd {true} }
            Task {b} -cmds { RemoteCmd {true} }
            Task {c} -cmds { RemoteCmd {true} }
            Task {d} -cmds { RemoteCmd {true} }
        }
        """;

    [Fact]
    public async Task AUserOverTheirRate_Gets429NamingTheSetting_WhileOtherUsersAndTheLocalSocketAreServed()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"UserRequestsPerSecond\": 1, \"UserRequestBurst\": 3");
        var anaPassword = site.AddAccount("ana");
        var bobPassword = site.AddAccount("bob");
        await site.StartEngineAsync();
        using var ana = Http(site, await site.LoginAsync("ana", anaPassword));
        using var bob = Http(site, await site.LoginAsync("bob", bobPassword));

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 30 && refused is null; i++)
        {
            var response = await ana.GetAsync("api/v1/jobs");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.NotNull(refused);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        var message = problem.RootElement.GetProperty("msg").GetString()!;
        Assert.Contains("user ana", message);
        Assert.Contains("UserRequestsPerSecond", message);

        // bob has his own allowance, and the engine's own account on its local socket is not limited at all.
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("api/v1/jobs")).StatusCode);
        for (var i = 0; i < 30; i++)
            await site.Client.JobsAsync();
    }

    [Fact]
    public async Task TractorsUrls_AreLimitedPerCallerAsTheNativeApiIs_AndRefusedInTractorsShape()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"UserRequestsPerSecond\": 1, \"UserRequestBurst\": 3");
        var anaPassword = site.AddAccount("ana");
        var bobPassword = site.AddAccount("bob");
        await site.StartEngineAsync();
        var anaTsid = await site.LoginAsync("ana", anaPassword);
        var bobTsid = await site.LoginAsync("bob", bobPassword);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };

        // ana's tsid on ctrl, queue and db alike: one allowance, the first refusal Tractor's {"rc", "msg"} naming the setting.
        string[] calls = [$"Tractor/ctrl?q=status&tsid={anaTsid}", $"Tractor/queue?q=jretire&jid=987654&tsid={anaTsid}",
            $"Tractor/db?q=nosuchquery&tsid={anaTsid}"];
        var refused = await FirstRefusalAsync(http, calls);
        Assert.Equal("application/json", refused.Content.Headers.ContentType?.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        using (var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Equal(["rc", "msg"], body.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(429, body.RootElement.GetProperty("rc").GetInt32());
            Assert.Contains("user ana", body.RootElement.GetProperty("msg").GetString());
            Assert.Contains("UserRequestsPerSecond", body.RootElement.GetProperty("msg").GetString());
        }
        // bob has his own allowance.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"Tractor/ctrl?q=status&tsid={bobTsid}")).StatusCode);

        // Calls without a login (each answered 401) are counted by address.
        refused = await FirstRefusalAsync(http, ["Tractor/ctrl?q=status"]);
        Assert.Contains("without a login", await refused.Content.ReadAsStringAsync());

        // A login refused by the login limit says "tsid": null, as every refused Tractor login does.
        var login = await FirstRefusalAsync(http, ["Tractor/monitor?q=login&user=ana&c=00"]);
        using var loginBody = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, loginBody.RootElement.GetProperty("tsid").ValueKind);
        Assert.Contains("too many logins", loginBody.RootElement.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task AfterAFloodAndAPause_ACallerGetsTheBurstAndWhatTheRateRefills_NotThePauseOverAgain()
    {
        await using var site = new TestSite();
        // Full again 5 s after a flood; the pause then keeps it full 7 s more, within the 10 s an idle caller's bucket is
        // kept. The bucket used to credit that whole pause at its first refill, so a burst got most of the burst again
        // (more than one second's refill, which is what this bound allows beyond the burst).
        const int perSecond = 4, burst = 20;
        await site.AddEngineSettingsAsync($"\"UserRequestsPerSecond\": {perSecond}, \"UserRequestBurst\": {burst}");
        var password = site.AddAccount("ana");
        await site.StartEngineAsync();
        var tsid = await site.LoginAsync("ana", password);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        var call = $"Tractor/ctrl?q=status&tsid={tsid}";

        for (var i = 0; i < 200 && (await http.GetAsync(call)).StatusCode != HttpStatusCode.TooManyRequests; i++)
        {
        }
        await Task.Delay(TimeSpan.FromSeconds(12));
        // A tight burst from 8 callers at once: the count taken is bounded by the burst and one refill for each second
        // begun while it ran (however slow the machine, a slower burst only allows more).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var (taken, refused) = (0, 0);
            for (var i = 0; i < 30; i++)
            {
                using var reply = await http.GetAsync(call);
                if (reply.StatusCode == HttpStatusCode.TooManyRequests)
                    refused++;
                else if (reply.StatusCode == HttpStatusCode.OK)
                    taken++;
                else
                    Assert.Fail($"{call}: {reply.StatusCode}");
            }
            return (taken, refused);
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var taken = counts.Sum(c => c.taken);
        var most = burst + perSecond * ((int)Math.Floor(seconds) + 1);
        Assert.True(taken <= most, $"{taken} of 240 calls taken in {seconds:F2} s after the pause: at most {most} (the burst of {burst} and {perSecond} a second)");
        Assert.True(taken >= burst, $"{taken} of 240 calls taken after the pause: the burst of {burst} at least");
        Assert.Equal(240, taken + counts.Sum(c => c.refused));
    }

    // Sends the calls in turn until one is answered 429, which it returns; fails when 60 go through.
    private static async Task<HttpResponseMessage> FirstRefusalAsync(HttpClient http, string[] calls)
    {
        for (var i = 0; i < 60; i++)
        {
            var response = await http.GetAsync(calls[i % calls.Length]);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                return response;
        }
        Assert.Fail($"60 calls of {string.Join(", ", calls)} were all taken");
        return null!;
    }

    [Fact]
    public async Task Logins_HaveTheirOwnLimitPerAddress_SaidAsSuch()
    {
        await using var site = new TestSite();
        site.AddAccount("ana");
        await site.StartEngineAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 40 && refused is null; i++)
        {
            var response = await http.PostAsync("api/v1/auth/login",
                new StringContent("{\"user\": \"ana\", \"password\": \"wrong\"}", Encoding.UTF8, "application/json"));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.NotNull(refused);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Contains("too many logins from this address", await refused.Content.ReadAsStringAsync());
        // Other calls from the address are not held back by its logins.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/auth")).StatusCode);
    }

    [Fact]
    public async Task Tq_OverTheUsersRate_SaysSoAndFails()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"UserRequestsPerSecond\": 1, \"UserRequestBurst\": 1");
        var password = site.AddAccount("eve");
        await site.StartEngineAsync();
        var environment = new Dictionary<string, string> { ["FURROW_TOKENS_FILE"] = Path.Combine(site.Root, "home", "tokens.json") };
        var passwordFile = Path.Combine(site.Root, "pw");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        var login = await FurrowProcess.RunAsync(environment, "tq", "--login", "--engine", site.Engine, "--user", "eve", "--password-file", passwordFile);
        Assert.True(login.ExitCode == 0, login.Stderr);

        // Another of eve's tools spends her allowance while tq runs: tq is refused and says by what.
        using var other = Http(site, await site.LoginAsync("eve", password));
        using var stop = new CancellationTokenSource();
        var spender = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                (await other.GetAsync("api/v1/auth", CancellationToken.None)).Dispose();
        });
        try
        {
            (int ExitCode, string Stdout, string Stderr) jobs = default;
            for (var attempt = 0; attempt < 5 && jobs.ExitCode == 0; attempt++)
                jobs = await FurrowProcess.RunAsync(environment, "tq", "jobs", "--engine", site.Engine);
            Assert.NotEqual(0, jobs.ExitCode);
            Assert.Contains("too many requests from user eve", jobs.Stderr);
            Assert.Contains("UserRequestsPerSecond", jobs.Stderr);
        }
        finally
        {
            await stop.CancelAsync();
            await spender;
        }
    }

    [Fact]
    public async Task ABladeOverItsRate_WaitsAsToldAndStillRunsItsWork()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"BladeRequestsPerSecond\": 1, \"BladeRequestBurst\": 2");
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("slowpoke", slots: 2);
        var jid = await site.SpoolAsync(Script);

        await site.WaitForJobAsync(jid, j => j.NumDone == 4, TimeSpan.FromSeconds(120), "done by a blade limited to a request a second");
        // The blade was refused along the way (its log quotes the engine) and went on.
        Assert.Contains("BladeRequestsPerSecond", blade.Output);
        Assert.False(blade.HasExited, blade.Output);
    }

    [Theory]
    [InlineData("\"UserRequestsPerSecond\": -1", "UserRequestsPerSecond -1")]
    [InlineData("\"BladeRequestBurst\": 0", "BladeRequestBurst 0")]
    [InlineData("\"RequestHeadersTimeoutSecs\": 0", "RequestHeadersTimeoutSecs 0")]
    [InlineData("\"MinClientRateGraceSecs\": 1", "MinClientRateGraceSecs 1")]
    [InlineData("\"MinClientBytesPerSec\": 0", "MinClientBytesPerSec 0")]
    [InlineData("\"MaxConnections\": 3", "MaxConnections 3")]
    public async Task ALimitThatCannotBeUsed_StopsTheEngineNamingIt(string setting, string named)
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync(setting);
        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains(named, stderr);
        Assert.Contains("tractor.config", stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientTricklingItsHeaders_IsCut_WhileOthersAreServed(bool localSocket)
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"RequestHeadersTimeoutSecs\": 1");
        await site.StartEngineAsync();
        using var slow = await ConnectAsync(site, localSocket);
        var stream = new NetworkStream(slow, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /api/v1/auth HTTP/1.1\r\nHost: 127.0.0.1:{site.Port}\r\nX-Slow: "));

        var (cut, sent) = await TrickleUntilCutAsync(stream, Enumerable.Repeat((byte)'a', 300).ToArray(), served: () => site.Client.StatusAsync());
        Assert.True(cut, $"the engine still waited for headers after {sent} bytes, one every 100 ms");
    }

    [Fact]
    public async Task AClientTricklingItsBody_IsCut_WhileOthersAreServed()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"MinClientRateGraceSecs\": 2");
        await site.StartEngineAsync();
        using var slow = await ConnectAsync(site, localSocket: false);
        var stream = new NetworkStream(slow, ownsSocket: false);
        var body = Encoding.ASCII.GetBytes("{\"user\": \"" + new string('a', 280) + "\", \"password\": \"x\"}");
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{site.Port}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"));

        var (cut, sent) = await TrickleUntilCutAsync(stream, body, served: () => site.Client.StatusAsync());
        Assert.True(cut, $"the engine still read a body sent at 10 bytes a second after {sent} bytes");
        Assert.True(sent < body.Length);
    }

    private static HttpClient Http(TestSite site, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<Socket> ConnectAsync(TestSite site, bool localSocket)
    {
        if (!localSocket)
        {
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await tcp.ConnectAsync(IPAddress.Loopback, site.Port);
            return tcp;
        }
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await unix.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(site.DataDir, "engine.sock")));
        return unix;
    }

    // Sends a byte every 100 ms until the engine answers (408) or closes the connection, or the bytes run out; each
    // round another client is served meanwhile. Whether the engine cut the connection, and how many bytes went before.
    private static async Task<(bool Cut, int Sent)> TrickleUntilCutAsync(NetworkStream stream, byte[] bytes, Func<Task> served)
    {
        var reply = new byte[512];
        var read = stream.ReadAsync(reply).AsTask();
        var sent = 0;
        for (; sent < bytes.Length && !read.IsCompleted; sent++)
        {
            try
            {
                await stream.WriteAsync(bytes.AsMemory(sent, 1));
            }
            catch (IOException)
            {
                return (true, sent);
            }
            await served();
            await Task.WhenAny(read, Task.Delay(100));
        }
        if (!read.IsCompleted)
            return (false, sent);
        try
        {
            var count = await read;
            return (count == 0 || Encoding.ASCII.GetString(reply, 0, count).StartsWith("HTTP/1.1 408", StringComparison.Ordinal), sent);
        }
        catch (IOException)
        {
            return (true, sent);
        }
    }
}
