using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Furrow.Client.Protocol;
using Furrow.Engine.Access;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// One-time sign-in links (the Dashboard's): a caller the engine knows asks for a code, and a browser that logs in with it
/// gets a session cookie as that caller, once; a used, unknown or refused code gets the 401 a wrong password gets.
/// The 5-minute expiry is checked in Furrow.Core.Tests (SignInCodesTests), where the time is given.
/// </summary>
public sealed partial class SignInLinkTests
{
    [Fact]
    public async Task ALinkFromTheSocket_SignsABrowserInAsTheEnginesAccount_Once_AsAnAdministratorWhoseCsrfTokenWorks()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();

        // site.Client has no token: on the engine's host it asks through the socket, as the engine's own account.
        var link = await site.Client.SignInLinkAsync();
        Assert.Equal($"/signin#code={link.Code}", link.Path);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", link.Code);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.InRange(link.ExpiresMs, now + 4 * 60_000, now + 5 * 60_000 + 1000);
        Assert.Equal(new Uri($"http://{site.Engine}/signin#code={link.Code}"), site.Client.SignInUrl(link));

        var (browser, cookies, csrf) = await SignInAsync(site, link.Code);
        using var _ = browser;
        using (var who = await browser.GetAsync("api/v1/auth"))
        {
            var status = await who.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(Environment.UserName, status.GetProperty("user").GetString());
            Assert.True(status.GetProperty("administrator").GetBoolean());
        }
        // An administrator's change, made with the cookie and its session's CSRF token.
        using (var pause = new HttpRequestMessage(HttpMethod.Post, "api/v1/dispatch/pause"))
        {
            pause.Headers.Add(BrowserSessions.HeaderName, csrf);
            using var paused = await browser.SendAsync(pause);
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        }
        Assert.True((await site.Client.StatusAsync()).DispatchPaused);
        using (var noCsrf = await browser.PostAsync("api/v1/dispatch/resume", null))
            Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);

        // The second use of the code, and a code the engine never gave: the 401 of a bad password, not saying which.
        var again = await CodeLoginAsync(site, link.Code, cookie: true);
        var garbage = await CodeLoginAsync(site, "not-a-code", cookie: true);
        var wellFormed = await CodeLoginAsync(site, new string('A', 43), cookie: true);
        foreach (var (status, body) in new[] { again, garbage, wellFormed })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Contains("the code is not one this engine gave, was used already, or expired", body);
        }
        Assert.Equal(again.Body, garbage.Body);

        // Logout ends the session the link started, as it ends a password's.
        using (var logout = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/logout"))
        {
            logout.Headers.Add(BrowserSessions.HeaderName, csrf);
            using var loggedOut = await browser.SendAsync(logout);
            Assert.Equal(HttpStatusCode.OK, loggedOut.StatusCode);
        }
        Assert.Null(cookies.GetCookies(browser.BaseAddress!)[BrowserSessions.CookieName]);
        using (var after = await browser.GetAsync("api/v1/jobs"))
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task ALinkFromATokenUser_SignsInAsThatUser_NotAnAdministrator_AndACodeWithoutCookieGivesAToken()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        await site.AdminTokenAsync(); // waits until the engine has read the accounts file
        var token = await site.LoginAsync("ana", password);
        using var ana = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        ana.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        var link = await MintAsync(ana, "api/v1/auth/signin-link");
        var (browser, _, csrf) = await SignInAsync(site, link.Code);
        using (browser)
        {
            using (var who = await browser.GetAsync("api/v1/auth"))
            {
                var status = await who.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("ana", status.GetProperty("user").GetString());
                Assert.False(status.GetProperty("administrator").GetBoolean());
            }
            using var pause = new HttpRequestMessage(HttpMethod.Post, "api/v1/dispatch/pause");
            pause.Headers.Add(BrowserSessions.HeaderName, csrf);
            using var refused = await browser.SendAsync(pause);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

            // The browser's session may ask for a link of its own (the Dashboard's "open elsewhere"), with its CSRF token.
            using var ask = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/signin-link");
            ask.Headers.Add(BrowserSessions.HeaderName, csrf);
            using var asked = await browser.SendAsync(ask);
            Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
            var (elsewhere, _, _) = await SignInAsync(site, (await asked.Content.ReadFromJsonAsync<SignInLink>())!.Code);
            using (elsewhere)
                Assert.Equal("ana", (await elsewhere.GetFromJsonAsync<JsonElement>("api/v1/auth")).GetProperty("user").GetString());
        }
        Assert.False((await site.Client.StatusAsync()).DispatchPaused);

        // Without "cookie": true a code gives a login token, as a password does.
        var second = await MintAsync(ana, "api/v1/auth/signin-link");
        using var plain = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        using var reply = await plain.PostAsJsonAsync("api/v1/auth/login", new { code = second.Code });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.False(reply.Headers.Contains("Set-Cookie"));
        var login = (await reply.Content.ReadFromJsonAsync<LoginReply>())!;
        Assert.Equal("ana", login.User);
        plain.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", login.Token);
        Assert.Equal("ana", (await plain.GetFromJsonAsync<JsonElement>("api/v1/auth")).GetProperty("user").GetString());

        // A code with a user and password besides is a malformed login.
        using var both = await plain.PostAsJsonAsync("api/v1/auth/login", new { user = "ana", password, code = second.Code });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task AnAnonymousCaller_GetsNoLink_AndCrewsConfigsBannedLogins_RefuseAnOutstandingCode()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using (var anonymous = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") })
        using (var refused = await anonymous.PostAsync("api/v1/auth/signin-link", null))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var password = site.AddAccount("bert");
        var token = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await site.LoginAsync("bert", password);
            }
            catch (Furrow.Client.EngineException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(10), () => "the engine to take the bert account");
        using var bert = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        bert.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var link = await MintAsync(bert, "api/v1/auth/signin-link");

        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), """{ "Crews": { "BannedLogins": ["bert"] } }""");
        await Eventually.WaitUntilAsync(async () => (await bert.GetAsync("api/v1/jobs")).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(10), () => "the engine to read crews.config's BannedLogins");
        var (status, body) = await CodeLoginAsync(site, link.Code, cookie: true);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("bert is in crews.config's BannedLogins", body);
    }

    [Fact]
    public async Task FurrowDashboard_PrintsALinkWhoseCodeSignsIn_FoundByEngineOrBySiteConfigDirectory()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // No saved login: on the engine's host the command asks through the socket, as tq would.
        var environment = new Dictionary<string, string> { ["FURROW_TOKENS_FILE"] = Path.Combine(site.Root, "home", "tokens.json") };

        foreach (var where in new[] { new[] { "--engine", site.Engine }, ["--configdir", site.ConfigDir] })
        {
            var (code, stdout, stderr) = await FurrowProcess.RunAsync(environment, ["dashboard", .. where]);
            Assert.True(code == 0, stderr);
            var match = DashboardUrl().Match(stdout.Trim());
            Assert.True(match.Success, stdout);
            Assert.Equal(site.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["port"].Value);
            var (browser, _, _) = await SignInAsync(site, match.Groups["code"].Value);
            using (browser)
                Assert.Equal(Environment.UserName, (await browser.GetFromJsonAsync<JsonElement>("api/v1/auth")).GetProperty("user").GetString());
        }

        // An engine that is not there: a line saying so, exit code 1.
        var (failed, _, error) = await FurrowProcess.RunAsync(environment, "dashboard", "--engine", $"127.0.0.1:{LoopbackPorts.Next()}");
        Assert.Equal(1, failed);
        Assert.StartsWith("furrow dashboard: ", error);
    }

    [GeneratedRegex(@"^http://127\.0\.0\.1:(?<port>\d+)/signin#code=(?<code>[A-Za-z0-9_-]{43})$")]
    internal static partial Regex DashboardUrl();

    private static async Task<SignInLink> MintAsync(HttpClient client, string path)
    {
        using var reply = await client.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        return (await reply.Content.ReadFromJsonAsync<SignInLink>())!;
    }

    private static async Task<(HttpStatusCode Status, string Body)> CodeLoginAsync(TestSite site, string code, bool cookie)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        using var reply = await client.PostAsJsonAsync("api/v1/auth/login", new { code, cookie });
        return (reply.StatusCode, (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("msg").GetString()!);
    }

    /// <summary>
    /// Signs a browser in with <paramref name="code"/> as the Dashboard's sign-in page does; checks it got the session
    /// cookie and a CSRF token, and no token in the reply's body.
    /// </summary>
    internal static async Task<(HttpClient Browser, CookieContainer Cookies, string Csrf)> SignInAsync(TestSite site, string code)
    {
        var cookies = new CookieContainer();
        var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = new Uri($"http://{site.Engine}/") };
        using var reply = await browser.PostAsJsonAsync("api/v1/auth/login", new { code, cookie = true });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.NotNull(cookies.GetCookies(browser.BaseAddress!)[BrowserSessions.CookieName]);
        Assert.Equal("", (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        return (browser, cookies, reply.Headers.GetValues(BrowserSessions.HeaderName).Single());
    }
}
