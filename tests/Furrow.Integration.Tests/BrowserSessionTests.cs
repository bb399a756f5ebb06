using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Furrow.Client;
using Furrow.Engine.Access;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Browsers' sessions: a sign-in for a session cookie, listings read with the cookie alone, and changes made with it only
/// with that session's CSRF token; logout and a password change end it as they end a token, and Bearer callers need no CSRF token.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BrowserSessionTests
{
    private const string Script = "Job -title {browsed} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {hi}} } }";

    [Fact]
    public async Task ACookieSession_ReadsWithTheCookieAlone_AndChangesOnlyWithItsOwnCsrfToken_UntilLogoutEndsIt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        var jid = await site.SpoolAsync(Script, "ana");
        var (browser, cookies, csrf) = await SignInAsync(site, $"http://{site.Engine}/", "ana", password);
        using var _ = browser;

        // GET reads with the cookie alone, and who-am-I gives the session its CSRF token again.
        using (var jobs = await browser.GetAsync("api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
            Assert.Contains($"\"jid\":{jid}", await jobs.Content.ReadAsStringAsync());
        }
        using (var who = await browser.GetAsync("api/v1/auth"))
        {
            Assert.Equal("ana", (await who.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user").GetString());
            Assert.False(string.IsNullOrEmpty(who.Headers.GetValues(BrowserSessions.HeaderName).Single()));
        }

        // A change with the cookie but no CSRF token, another session's token, or from another site's page: refused, nothing changes.
        using (var none = await browser.PostAsync($"api/v1/operations/pause?q=jid={jid}", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
            var body = await none.Content.ReadAsStringAsync();
            Assert.Contains(BrowserSessions.HeaderName, body);
            Assert.Contains("none came", body);
        }
        var (other, _, otherCsrf) = await SignInAsync(site, $"http://{site.Engine}/", "ana", password);
        using (other)
        {
            Assert.NotEqual(csrf, otherCsrf);
            using var wrong = await browser.SendAsync(Pause(jid, otherCsrf));
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            Assert.Contains("not a CSRF token of this session", await wrong.Content.ReadAsStringAsync());
        }
        using (var crossSite = Pause(jid, csrf))
        {
            crossSite.Headers.Add("Origin", "http://evil.example");
            using var refused = await browser.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.False((await site.Client.JobsAsync($"jid={jid}")).Single().Paused);

        // With its own token it works.
        using (var paused = await browser.SendAsync(Pause(jid, csrf)))
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.True((await site.Client.JobsAsync($"jid={jid}")).Single().Paused);

        // A Bearer client of the same account needs no CSRF token.
        using (var bearer = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") })
        {
            bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await site.LoginAsync("ana", password));
            using var unpaused = await bearer.PostAsync($"api/v1/operations/unpause?q=jid={jid}", null);
            Assert.Equal(HttpStatusCode.OK, unpaused.StatusCode);
        }
        Assert.False((await site.Client.JobsAsync($"jid={jid}")).Single().Paused);

        // Logout takes the CSRF token too; with it, the session ends and the cookie is cleared.
        var session = cookies.GetCookies(browser.BaseAddress!)[BrowserSessions.CookieName]!.Value;
        using (var noToken = await browser.PostAsync("api/v1/auth/logout", null))
            Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        using (var logout = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/logout"))
        {
            logout.Headers.Add(BrowserSessions.HeaderName, csrf);
            using var loggedOut = await browser.SendAsync(logout);
            Assert.Equal(HttpStatusCode.OK, loggedOut.StatusCode);
            Assert.Contains(loggedOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith($"{BrowserSessions.CookieName}=;", StringComparison.Ordinal));
        }
        Assert.Null(cookies.GetCookies(browser.BaseAddress!)[BrowserSessions.CookieName]);
        using (var stale = new HttpClient { BaseAddress = browser.BaseAddress })
        {
            stale.DefaultRequestHeaders.Add("Cookie", $"{BrowserSessions.CookieName}={session}");
            using var refused = await stale.GetAsync("api/v1/jobs");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("sign in again", await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task APasswordChange_EndsACookieSession_AsItEndsAToken()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var (browser, _, _) = await SignInAsync(site, $"http://{site.Engine}/", "ana", site.AddAccount("ana"));
        using var _ = browser;
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("api/v1/jobs")).StatusCode);

        site.AddAccount("ana");
        await Eventually.WaitUntilAsync(async () => (await browser.GetAsync("api/v1/jobs")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(10), () => "the engine to refuse the session cookie after the password changed");
    }

    /// <summary>
    /// Signs <paramref name="user"/> in as a browser at <paramref name="baseAddress"/> (retrying while the engine has not read
    /// the new account yet); checks the session cookie's attributes, Secure exactly when served over https.
    /// </summary>
    internal static async Task<(HttpClient Browser, CookieContainer Cookies, string Csrf)> SignInAsync(TestSite site, string baseAddress, string user,
        string password, HttpMessageHandler? handler = null)
    {
        var cookies = new CookieContainer();
        var browser = new HttpClient(handler ?? new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = new Uri(baseAddress) };
        if (handler is SocketsHttpHandler sockets)
            sockets.CookieContainer = cookies;
        var reply = await Eventually.WaitForAsync(async () =>
        {
            var response = await browser.PostAsJsonAsync("api/v1/auth/login", new { user, password, cookie = true });
            if (response.StatusCode == HttpStatusCode.OK)
                return response;
            response.Dispose();
            return null;
        }, TimeSpan.FromSeconds(10), () => $"the engine to take the {user} account");
        using (reply)
        {
            var set = reply.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(BrowserSessions.CookieName + "=", StringComparison.Ordinal));
            var attributes = set.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
            Assert.Contains("httponly", attributes);
            Assert.Contains("samesite=strict", attributes);
            Assert.Contains("path=/", attributes);
            Assert.Contains(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal));
            Assert.Equal(baseAddress.StartsWith("https:", StringComparison.Ordinal), attributes.Contains("secure"));
            // The token stays in the HttpOnly cookie: the reply's body does not carry it for a page's scripts.
            Assert.Equal("", (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
            return (browser, cookies, reply.Headers.GetValues(BrowserSessions.HeaderName).Single());
        }
    }

    private static HttpRequestMessage Pause(long jid, string csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/operations/pause?q=jid={jid}");
        request.Headers.Add(BrowserSessions.HeaderName, csrf);
        return request;
    }
}
