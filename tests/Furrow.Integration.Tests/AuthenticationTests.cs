using System.Net;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Who may call the engine: nobody without a login over TCP (loopback included), users by their login token, the
/// engine's own account and root through its unix socket; a job's owner is the caller, and acting as someone else
/// takes an administrator.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AuthenticationTests
{
    private const string Script = "Job -title {mine} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {logged}} } }";

    [Fact]
    public async Task ACallerWithoutALogin_GetsNothingAndChangesNothing_LoopbackIncluded()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("auth-blade", 1);
        var jid = await site.SpoolAsync(Script, "ana");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(60), "done");

        using var anonymous = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        foreach (var (method, path) in new[]
        {
            ("GET", "api/v1/jobs"), ("GET", "api/v1/tasks"), ("GET", "api/v1/query/jobs?cols=jid"), ("GET", $"api/v1/jobs/{jid}/tasks/1/log"),
            ("GET", $"api/v1/jobs/{jid}/script"), ("POST", $"api/v1/operations/delete?q=jid={jid}&user=ana"), ("POST", "api/v1/dispatch/pause"),
            ("POST", "api/v1/blades/auth-blade/nimby"),
        })
        {
            using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("needs a login", await response.Content.ReadAsStringAsync());
        }
        using (var spool = await anonymous.PostAsync("api/v1/jobs?user=mallory", new StringContent(Script)))
            Assert.Equal(HttpStatusCode.Unauthorized, spool.StatusCode);
        using (var forged = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs"))
        {
            forged.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Guid.NewGuid().ToString());
            using var response = await anonymous.SendAsync(forged);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("log in again", await response.Content.ReadAsStringAsync());
        }
        var status = await new EngineClient(site.Engine, new HttpClient()).WhoAmIAsync();
        Assert.Null(status.User);
        Assert.True(status.AuthenticationRequired);

        // The job, its state and its log are as they were; nothing else was spooled.
        var jobs = await site.Client.JobsAsync(null, archived: true);
        Assert.Equal(jid, Assert.Single(jobs).Jid);
        Assert.Equal(1, jobs[0].NumDone);
        Assert.Contains("logged", await site.Client.TaskLogAsync(jid, 1));
        Assert.False((await site.Client.StatusAsync()).DispatchPaused);
    }

    [Fact]
    public async Task ADataDirectoryTooDeepForAUnixSocket_SaysSoAtStart_AndCallersThenLogIn()
    {
        // sun_path holds 107 bytes: this engine.sock path is longer, so the engine serves the port alone.
        var outside = Path.Combine(Path.GetTempPath(), "furrow-deep-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var site = new TestSite(dataDirectory: Path.Combine(outside, new string('d', 100)));
            // Started by hand: the site's own start waits on a status call, which needs a login here.
            await using var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
            await Eventually.WaitUntilAsync(() => Task.FromResult(engine.Output.Contains("No local socket", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), () => $"the engine to say it has no local socket; its output:\n{engine.Output}");
            Assert.False(File.Exists(Path.Combine(site.DataDir, "engine.sock")));

            // The engine's own account is not known without the socket: it logs in like anyone else.
            var anonymous = await Assert.ThrowsAsync<EngineException>(() => site.Client.JobsAsync());
            Assert.Equal(401, anonymous.StatusCode);
            using var admin = await site.HttpAsync();
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/v1/jobs")).StatusCode);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task AUsersToken_MakesThemTheOwner_AndActingAsAnotherTakesAnAdministrator()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var anaJid = await site.SpoolAsync(Script, "ana");
        var bobPassword = site.AddAccount("bob");
        var bobToken = await site.LoginAsync("bob", bobPassword);
        using var bob = new EngineClient(site.Engine, new HttpClient(), token: bobToken);

        Assert.Equal("bob", (await bob.WhoAmIAsync()).User);
        // Without ?user=, the job is the caller's; naming another owner is refused.
        var own = await bob.SpoolAsync(Script, new SpoolOptions(null!));
        Assert.Equal("bob", (await site.Client.JobsAsync($"jid={own.Jid}")).Single().Owner);
        var asAna = await Assert.ThrowsAsync<EngineException>(() => bob.SpoolAsync(Script, new SpoolOptions("ana")));
        Assert.Equal(403, asAna.StatusCode);
        Assert.Contains("you are logged in as bob", asAna.Message);
        Assert.Equal(403, (await Assert.ThrowsAsync<EngineException>(() => bob.OperateAsync("delete", $"jid={anaJid}", "ana", true))).StatusCode);
        // As himself, bob's operations on ana's job are refused, as tq's rules say.
        var refused = await bob.OperateAsync("pause", $"jid={anaJid}", "bob", false);
        Assert.Equal(0, refused.Affected);
        Assert.False((await site.Client.JobsAsync($"jid={anaJid}")).Single().Paused);

        // An administrator may act as anyone, with their rights.
        var adminToken = await site.AdminTokenAsync();
        using var admin = new EngineClient(site.Engine, new HttpClient(), token: adminToken);
        var forAna = await admin.SpoolAsync(Script, new SpoolOptions("ana"));
        Assert.Equal("ana", (await site.Client.JobsAsync($"jid={forAna.Jid}")).Single().Owner);
    }

    [Fact]
    public async Task ALogin_IsRefusedForAWrongPasswordOrName_AndEndsWithLogoutAPasswordChangeOrTheAccount()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("cleo");
        var token = await site.LoginAsync("cleo", password);
        var wrong = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("cleo", password + "x"));
        Assert.Equal(401, wrong.StatusCode);
        var unknown = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("nobody-here", password));
        Assert.Equal(wrong.Message.Replace("cleo", "nobody-here", StringComparison.Ordinal), unknown.Message);

        using (var cleo = new EngineClient(site.Engine, new HttpClient(), token: token))
        {
            await cleo.JobsAsync();
            await cleo.LogoutAsync();
        }
        using (var ended = new EngineClient(site.Engine, new HttpClient(), token: token))
            Assert.Equal(401, (await Assert.ThrowsAsync<EngineException>(() => ended.JobsAsync())).StatusCode);
        // Who-am-I says so too, rather than taking the ended token for no login at all.
        using (var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var who = await http.GetAsync("api/v1/auth");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, who.StatusCode);
            Assert.Contains("token is unknown, ended, expired", await who.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A new password ends the sessions made with the old one; removing the account ends the rest.
        var second = await site.LoginAsync("cleo", password);
        site.AddAccount("cleo");
        await Eventually.WaitUntilAsync(async () => await RefusedAsync(site, second), TimeSpan.FromSeconds(10), () => "cleo's old session to end");
        var (code, _, stderr) = await FurrowProcess.RunAsync("user", "remove", "cleo", "--configdir", site.ConfigDir);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("cleo", File.ReadAllText(Path.Combine(site.ConfigDir, "users.config")));
    }

    [Fact]
    public async Task FurrowUserAddAndPasswd_AreInForceForTheVeryNextLogin()
    {
        // The engine looks at users.config at most once a second for requests, but a login looks at it then and there: a
        // wrangler who adds an account or changes a password and logs in straight after is never told it does not exist.
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var passwordFile = Path.Combine(site.Root, "pw");
        for (var round = 0; round < 3; round++)
        {
            var user = $"fern{round}";
            File.WriteAllText(passwordFile, "first secret\n");
            var (code, _, stderr) = await FurrowProcess.RunAsync("user", "add", user, "--configdir", site.ConfigDir, "--password-file", passwordFile);
            Assert.True(code == 0, stderr);
            Assert.Equal(user, (await new EngineClient(site.Engine, new HttpClient()).LoginAsync(user, "first secret")).User);
            File.WriteAllText(passwordFile, "second secret\n");
            (code, _, stderr) = await FurrowProcess.RunAsync("user", "passwd", user, "--configdir", site.ConfigDir, "--password-file", passwordFile);
            Assert.True(code == 0, stderr);
            Assert.Equal(401, (await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync(user, "first secret"))).StatusCode);
            Assert.Equal(user, (await new EngineClient(site.Engine, new HttpClient()).LoginAsync(user, "second secret")).User);
        }
    }

    [Fact]
    public async Task FurrowUser_KeepsHashesInAFileOnlyItsOwnerReads_AndAnEngineRefusesALooserOne()
    {
        await using var site = new TestSite();
        var passwordFile = Path.Combine(site.Root, "pw");
        File.WriteAllText(passwordFile, "correct horse\n");
        var (code, stdout, stderr) = await FurrowProcess.RunAsync("user", "add", "dana", "--configdir", site.ConfigDir, "--password-file", passwordFile);
        Assert.True(code == 0, stderr);
        Assert.Contains("added dana", stdout);
        var users = Path.Combine(site.ConfigDir, "users.config");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(users));
        Assert.DoesNotContain("correct horse", File.ReadAllText(users));
        (code, _, stderr) = await FurrowProcess.RunAsync("user", "add", "dana", "--configdir", site.ConfigDir, "--password-file", passwordFile);
        Assert.Equal(1, code);
        Assert.Contains("already has an account", stderr);
        (code, _, stderr) = await FurrowProcess.RunAsync("user", "add", "-rf", "--configdir", site.ConfigDir, "--password-file", passwordFile);
        Assert.NotEqual(0, code);

        await site.StartEngineAsync();
        Assert.Equal("dana", (await new EngineClient(site.Engine, new HttpClient()).LoginAsync("dana", "correct horse")).User);
        await site.EngineProcess!.TerminateAsync();
        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains("chmod 600", stderr);
    }

    [Fact]
    public async Task TqLogin_KeepsATokenOnlyItsOwnerReads_ThatLaterCommandsSend()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("eve");
        await site.LoginAsync("eve", password);
        var tokens = Path.Combine(site.Root, "home", "tokens.json");
        var environment = new Dictionary<string, string> { ["FURROW_TOKENS_FILE"] = tokens };
        var passwordFile = Path.Combine(site.Root, "pw");
        File.WriteAllText(passwordFile, password + "\n");

        var login = await FurrowProcess.RunAsync(environment, "tq", "--login", "--engine", site.Engine, "--user", "eve", "--password-file", passwordFile);
        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokens));
        Assert.DoesNotContain(password, File.ReadAllText(tokens));
        var script = Path.Combine(site.Root, "eve.alf");
        File.WriteAllText(script, Script);
        // Without --user, tq and tractor-spool act as the user of the kept login, whatever $USER says.
        environment["USER"] = "someone-else";
        var spool = await FurrowProcess.RunAsync(environment, "spool", "--engine", site.Engine, script);
        Assert.True(spool.ExitCode == 0, spool.Stderr);
        Assert.Contains((await site.Client.JobsAsync(null)), j => j.Owner == "eve");
        var mine = await FurrowProcess.RunAsync(environment, "tq", "jobs", "mine", "--engine", site.Engine, "--cols", "owner", "--nh");
        Assert.True(mine.ExitCode == 0, mine.Stderr);
        Assert.Equal("eve", mine.Stdout.Trim());
        // Logged in as eve, tq may not act as another user.
        var other = await FurrowProcess.RunAsync(environment, "tq", "jobs", "--engine", site.Engine, "--user", "ana");
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("you are logged in as eve", other.Stderr);

        var logout = await FurrowProcess.RunAsync(environment, "tq", "--logout", "--engine", site.Engine);
        Assert.True(logout.ExitCode == 0, logout.Stderr);
        Assert.DoesNotContain("eve", File.ReadAllText(tokens));
    }

    private static async Task<bool> RefusedAsync(TestSite site, string token)
    {
        using var client = new EngineClient(site.Engine, new HttpClient(), token: token);
        try
        {
            await client.JobsAsync();
            return false;
        }
        catch (EngineException error) when (error.StatusCode == 401)
        {
            return true;
        }
    }
}
