using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Engine.Jobs;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// crews.config enforced by the engine, over HTTP with real accounts and login tokens: who may run each operation on
/// whose job (JobEditAccessPolicies, -editpolicy, --force as confirmation only), who may change the farm, who may log in,
/// and a crews.config key the engine would not act on stopping it at start.
/// </summary>
public sealed class CrewsTests
{
    private const string Studio = """
        // A studio's crews: wes wrangles, boss administers, fxer is in the fx crew.
        {
          "Crews": { "Wranglers": ["wes"], "Administrators": ["boss"], "fx": ["fxer"] },
          "JobEditAccessPolicies": {
            "defaultPolicy": { "all": ["JobOwner", "Wranglers", "Administrators"] },
            "fxShared": { "all": ["JobOwner", "fx", "Administrators"] }
          }
        }
        """;

    // fx may control (pause, unpause, interrupt, restart, delay, undelay) other users' jobs and nothing else of them;
    // audra may only read.
    private const string FxControls = """
        {
          "Crews": { "Wranglers": ["wes"], "fx": ["fxer"], "ReadOnlyLogins": ["audra"] },
          "JobEditAccessPolicies": {
            "defaultPolicy": { "all": ["JobOwner", "Wranglers", "Administrators"], "control": ["JobOwner", "fx", "Wranglers", "Administrators"] }
          }
        }
        """;

    private const string Script = "Job -title {t} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} -service {pixarRender} } }";

    private static readonly string[] Users = ["ana", "bob", "wes", "boss", "fxer", "audra"];

    // What marks a refusal as the rules' (not an operation that had nothing to do, such as retryallerrs without errors).
    private static readonly string[] PermissionWords = ["owned by", "locked by", "lets only"];

    private sealed class Farm(TestSite site, Dictionary<string, EngineClient> clients) : IAsyncDisposable
    {
        public TestSite Site => site;

        public EngineClient this[string user] => clients[user];

        public async ValueTask DisposeAsync()
        {
            foreach (var client in clients.Values)
                client.Dispose();
            await site.DisposeAsync();
        }
    }

    private static async Task<Farm> StartAsync(string crews)
    {
        var site = new TestSite();
        var passwords = Users.ToDictionary(u => u, u => site.AddAccount(u));
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), crews);
        await site.StartEngineAsync();
        var clients = new Dictionary<string, EngineClient>();
        foreach (var (user, password) in passwords)
            clients[user] = new EngineClient(site.Engine, new HttpClient(), token: await site.LoginAsync(user, password));
        return new Farm(site, clients);
    }

    private static Task<OperationReply> ActAsync(EngineClient client, string user, string operation, long jid, bool force)
    {
        var clause = $"jid={jid}";
        return operation switch
        {
            "chpri" => client.OperateAsync(operation, clause, user, force, 7, null),
            "delay" => client.OperateAsync(operation, clause, user, force, null, DateTimeOffset.UtcNow.AddDays(1)),
            "jattr" or "tattr" => client.SetAttributeAsync(operation, clause, user, force, "title", "changed"),
            "cattr" or "chkeys" => client.SetAttributeAsync(operation, clause, user, force, "service", "other"),
            _ => client.OperateAsync(operation, clause, user, force),
        };
    }

    // The job, its tasks and commands as the database holds them, for "nothing changed".
    private static async Task<string> SnapshotAsync(TestSite site, long jid)
    {
        var archived = new ListOptions(Archived: true);
        var job = await site.Client.QueryColumnsAsync("jobs",
            ["title", "priority", "paused", "aftertime", "lockedby", "crews", "deletetime", "numdone", "numerror", "numready", "maxactive"],
            $"jid={jid}", null, archived);
        var tasks = await site.Client.QueryColumnsAsync("tasks", ["tid", "title", "state"], $"jid={jid}", null, archived);
        var commands = await site.Client.QueryColumnsAsync("commands", ["cid", "service", "state"], $"jid={jid}", null, archived);
        return string.Join(" | ", new[] { job, tasks, commands }.Select(t => JsonSerializer.Serialize(t.Rows)));
    }

    private static async Task<long> SpoolAsync(TestSite site, string operation, string script = Script)
    {
        var jid = await site.SpoolAsync(script, "ana");
        // undelete acts on deleted jobs only.
        if (operation == "undelete")
            Assert.Equal(1, (await site.Client.OperateAsync("delete", $"jid={jid}", "root", force: true)).Affected);
        return jid;
    }

    [Fact]
    public async Task EveryOperation_IsTheOwners_AWranglersAndAnAdministratorsWithForce_AndNoOneElses()
    {
        await using var farm = await StartAsync(Studio);
        var site = farm.Site;
        Assert.NotEmpty(OperationRequest.Names);
        foreach (var operation in OperationRequest.Names)
        {
            var jid = await SpoolAsync(site, operation);
            var before = await SnapshotAsync(site, jid);

            // Another user, and a crew the job's policy does not name, are refused with --force or without.
            foreach (var (user, force) in new[] { ("bob", false), ("bob", true), ("fxer", true) })
            {
                var refused = await ActAsync(farm[user], user, operation, jid, force);
                Assert.True(refused.Affected == 0, $"{operation} by {user} (force {force}) was done");
                var why = Assert.Single(refused.Refused);
                Assert.Contains($"J{jid}", why);
                Assert.Contains("owned by ana; crews.config's defaultPolicy lets only JobOwner, Wranglers, Administrators", why);
            }
            // A wrangler may, but says so with --force.
            var unconfirmed = await ActAsync(farm["wes"], "wes", operation, jid, force: false);
            Assert.True(unconfirmed.Affected == 0, $"{operation} by wes without --force was done");
            Assert.Contains("use --force to act on other users' jobs", Assert.Single(unconfirmed.Refused));
            Assert.True(before == await SnapshotAsync(site, jid), $"{operation}: the job changed after refusals");

            foreach (var (user, force) in new[] { ("wes", true), ("boss", true), ("ana", false) })
            {
                var target = user == "wes" ? jid : await SpoolAsync(site, operation);
                var reply = await ActAsync(farm[user], user, operation, target, force);
                Assert.True(reply.Affected + reply.Refused.Count == 1, $"{operation} by {user}: {reply.Affected} done, refused: {string.Join("; ", reply.Refused)}");
                Assert.False(reply.Refused.Any(r => PermissionWords.Any(r.Contains)), $"{operation} by {user}: {string.Join("; ", reply.Refused)}");
            }
        }
    }

    [Fact]
    public async Task AJobListingsAllowed_IsWhatTheOperationThenDoes_ForEveryOperation_Caller_AndLock()
    {
        await using var farm = await StartAsync(FxControls);
        var site = farm.Site;
        var answers = new HashSet<(string User, string Operation, bool Locked, bool Allowed)>();
        foreach (var operation in OperationRequest.Names)
        {
            foreach (var locked in new[] { false, true })
            {
                foreach (var user in new[] { "ana", "wes", "fxer", "audra" })
                {
                    // A fresh job of ana's each time, locked by wes when asked: what one caller did is not the next one's start.
                    var jid = await site.SpoolAsync(Script, "ana");
                    if (locked)
                        Assert.Equal(1, (await farm["wes"].OperateAsync("lock", $"jid={jid}", "wes", force: true)).Affected);
                    if (operation == "undelete")
                        Assert.Equal(1, (await farm["wes"].OperateAsync("delete", $"jid={jid}", "wes", force: true)).Affected);
                    var row = Assert.Single(await farm[user].JobsAsync($"jid={jid}", user, new ListOptions(Archived: true) { WithAllowed = true }));
                    Assert.NotNull(row.Allowed);
                    var allowed = row.Allowed.Contains(operation);
                    var before = await SnapshotAsync(site, jid);

                    OperationReply? reply = null;
                    EngineException? forbidden = null;
                    try
                    {
                        reply = await ActAsync(farm[user], user, operation, jid, force: true);
                    }
                    catch (EngineException error) when (error.StatusCode == 403)
                    {
                        forbidden = error;
                    }
                    var what = $"{operation} by {user} on {(locked ? "a locked" : "an unlocked")} job (allowed: {string.Join(",", row.Allowed)})";
                    var refusals = reply is null ? forbidden!.Message : string.Join("; ", reply.Refused);
                    if (allowed)
                    {
                        // Done, or found nothing to do (retryallerrs without errors): never refused by the rules.
                        Assert.True(reply is not null && reply.Affected + reply.Refused.Count == 1, $"{what}: {refusals}");
                        Assert.True(reply.Forbidden == 0 && !reply.Refused.Any(r => PermissionWords.Any(r.Contains)), $"{what}: {refusals}");
                    }
                    else
                    {
                        Assert.True(reply is null || (reply.Affected == 0 && reply.Forbidden == 1 && PermissionWords.Any(reply.Refused.Single().Contains)),
                            $"{what}: not listed as allowed, and {reply?.Affected} done, refused: {refusals}");
                        Assert.True(before == await SnapshotAsync(site, jid), $"{what}: the job changed");
                    }
                    answers.Add((user, operation, locked, allowed));
                }
            }
        }
        // The policy's split shows: fx may pause ana's job but not delete it, a lock keeps everyone but its holder out
        // (the owner may still break it), and a read-only login may do nothing.
        Assert.Contains(("fxer", "pause", false, true), answers);
        Assert.Contains(("fxer", "delete", false, false), answers);
        Assert.Contains(("wes", "delete", false, true), answers);
        Assert.Contains(("fxer", "pause", true, false), answers);
        Assert.Contains(("ana", "pause", true, false), answers);
        Assert.Contains(("ana", "unlock", true, true), answers);
        Assert.Contains(("wes", "delete", true, true), answers);
        Assert.DoesNotContain(answers, a => a.User == "audra" && a.Allowed);

        // Not asked for, not given; asked for badly, refused by name.
        Assert.Null(Assert.Single(await farm["fxer"].JobsAsync("jid=1", "fxer", new ListOptions(Archived: true))).Allowed);
        using var http = await site.HttpAsync();
        using var bad = await http.GetAsync("api/v1/jobs?allowed=yes");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("bad allowed", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnAllowedListing_IsNotModified_OnlyForTheSameCaller_UnderTheSameCrewsConfig()
    {
        await using var site = new TestSite();
        var passwords = new[] { "fxer", "ana" }.ToDictionary(u => u, u => site.AddAccount(u));
        var crews = Path.Combine(site.ConfigDir, "crews.config");
        await File.WriteAllTextAsync(crews, FxControls);
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync(Script, "ana");
        var http = new Dictionary<string, HttpClient>();
        foreach (var (user, password) in passwords)
        {
            http[user] = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
            http[user].DefaultRequestHeaders.Authorization = new("Bearer", await site.LoginAsync(user, password));
        }
        var url = $"api/v1/jobs?q=jid%3D{jid}&allowed=1";
        async Task<(System.Net.HttpStatusCode Status, string? Tag, string[] Allowed)> ListAsync(string user, string? tag)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (tag is not null)
                request.Headers.IfNoneMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Parse(tag));
            using var reply = await http[user].SendAsync(request);
            if (reply.StatusCode != System.Net.HttpStatusCode.OK)
                return (reply.StatusCode, null, []);
            using var rows = JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
            var allowed = rows.RootElement.EnumerateArray().Single().GetProperty("allowed").EnumerateArray().Select(o => o.GetString()!).ToArray();
            return (reply.StatusCode, reply.Headers.ETag?.ToString(), allowed);
        }

        try
        {
            var (_, tag, allowed) = await ListAsync("fxer", null);
            Assert.NotNull(tag);
            Assert.Contains("pause", allowed);
            Assert.DoesNotContain("delete", allowed);
            Assert.Equal(System.Net.HttpStatusCode.NotModified, (await ListAsync("fxer", tag)).Status);
            // Another caller sending fxer's tag gets its own rows: the owner may delete.
            var (status, _, anas) = await ListAsync("ana", tag);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            Assert.Contains("delete", anas);

            // crews.config takes control from fx: nothing in the database changed, and fxer's tag no longer holds.
            await File.WriteAllTextAsync(crews, FxControls.Replace("\"fx\", ", ""));
            await Eventually.WaitUntilAsync(async () => (await ListAsync("fxer", tag)).Status == System.Net.HttpStatusCode.OK,
                TimeSpan.FromSeconds(10), () => "the engine to read the edited crews.config");
            Assert.DoesNotContain("pause", (await ListAsync("fxer", null)).Allowed);
        }
        finally
        {
            foreach (var client in http.Values)
                client.Dispose();
        }
    }

    [Fact]
    public async Task ANamedPolicy_GivesItsCrew_WhatItNames_AndAnUndefinedOne_FallsBackToDefaultPolicy()
    {
        await using var farm = await StartAsync(Studio);
        var site = farm.Site;
        var shared = await site.SpoolAsync(Script.Replace("-paused 1", "-paused 1 -editpolicy fxShared"), "ana");
        var plain = await site.SpoolAsync(Script, "ana");
        var misspelt = await site.SpoolAsync(Script.Replace("-paused 1", "-paused 1 -editpolicy fxShraed"), "ana");

        var done = await farm["fxer"].OperateAsync("chpri", $"jid={shared}", "fxer", true, 9, null);
        Assert.True(done.Affected == 1, string.Join("; ", done.Refused));
        Assert.Equal(9, (await site.Client.JobsAsync($"jid={shared}")).Single().Priority);
        // fxShared names no wrangler: wes is kept out of it.
        Assert.Contains("crews.config's fxShared policy lets only JobOwner, fx, Administrators",
            Assert.Single((await farm["wes"].OperateAsync("chpri", $"jid={shared}", "wes", true, 8, null)).Refused));

        Assert.Contains("crews.config's defaultPolicy lets only",
            Assert.Single((await farm["fxer"].OperateAsync("chpri", $"jid={plain}", "fxer", true, 9, null)).Refused));
        Assert.Contains("crews.config's defaultPolicy (the job's editpolicy fxShraed is not defined) lets only",
            Assert.Single((await farm["fxer"].OperateAsync("chpri", $"jid={misspelt}", "fxer", true, 9, null)).Refused));
        Assert.Equal(1, (await farm["wes"].OperateAsync("chpri", $"jid={misspelt}", "wes", true, 5, null)).Affected);
        Assert.Equal([1, 5], (await site.Client.JobsAsync($"jid={plain} or jid={misspelt}")).OrderBy(j => j.Jid).Select(j => j.Priority));
    }

    [Fact]
    public async Task FarmWideActions_AreForWranglersAndAdministrators_Only()
    {
        await using var farm = await StartAsync(Studio);
        var jid = await farm.Site.SpoolAsync(Script, "ana");
        Func<EngineClient, Task>[] actions =
        [
            c => c.SetDispatchPausedAsync(true), c => c.SetDispatchPausedAsync(false),
            c => c.SetNimbyAsync("no-such-blade", true), c => c.SetNimbyAsync("no-such-blade", false),
            c => c.ReleaseBladeNameAsync("no-such-blade"), c => c.UnblockAsync(jid, null),
        ];
        foreach (var action in actions)
        {
            foreach (var user in new[] { "ana", "bob", "fxer" })
            {
                var refused = await Assert.ThrowsAsync<EngineException>(() => action(farm[user]));
                Assert.Equal(403, refused.StatusCode);
                Assert.Contains($"{user} may not", refused.Message);
                Assert.Contains("crews.config's Wranglers or Administrators crew", refused.Message);
            }
            foreach (var user in new[] { "wes", "boss" })
            {
                try
                {
                    await action(farm[user]);
                }
                catch (EngineException error)
                {
                    // No blade by that name: the rules let the caller through to the engine's own answer.
                    Assert.True(error.StatusCode == 404, $"{user}: {error.StatusCode} {error.Message}");
                }
            }
        }
        Assert.False((await farm.Site.Client.StatusAsync()).DispatchPaused);
        await farm["wes"].SetDispatchPausedAsync(true);
        Assert.True((await farm.Site.Client.StatusAsync()).DispatchPaused);
    }

    [Fact]
    public async Task ValidLogins_RefusesALoginNotInIt_AndAnEditedFileAppliesToCallsAlreadyLoggedIn()
    {
        await using var site = new TestSite();
        var ana = site.AddAccount("ana");
        var bob = site.AddAccount("bob");
        var crews = Path.Combine(site.ConfigDir, "crews.config");
        await File.WriteAllTextAsync(crews, """{ "Crews": { "ValidLogins": ["ana"] } }""");
        await site.StartEngineAsync();

        using var anaClient = new EngineClient(site.Engine, new HttpClient(), token: await site.LoginAsync("ana", ana));
        Assert.Empty(await anaClient.JobsAsync("jid=1"));
        var refused = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("bob", bob));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains("bob is not in crews.config's ValidLogins", refused.Message);

        await File.WriteAllTextAsync(crews, """{ "Crews": { "ValidLogins": ["bob"] } }""");
        var cut = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                await anaClient.JobsAsync("jid=1");
                return null;
            }
            catch (EngineException error)
            {
                return error;
            }
        }, TimeSpan.FromSeconds(10), () => "the engine to read the edited crews.config");
        Assert.Equal(403, cut.StatusCode);
        Assert.Contains("ana is not in crews.config's ValidLogins", cut.Message);
        Assert.NotEmpty(await site.LoginAsync("bob", bob));
        // The engine's own account (root here, on its socket) is always let in.
        Assert.Empty(await site.Client.JobsAsync("jid=1"));
    }

    [Fact]
    public async Task ValidLoginsOfSyslogins_LetsInAccountsTheHostKnows_AndRefusesOthers()
    {
        // "nobody" is in every Debian /etc/passwd; the other name is in none.
        var stranger = "nohost" + Guid.NewGuid().ToString("N")[..8];
        Assert.Contains(File.ReadLines("/etc/passwd"), line => line.StartsWith("nobody:", StringComparison.Ordinal));
        await using var site = new TestSite();
        var hostPassword = site.AddAccount("nobody");
        var strangerPassword = site.AddAccount(stranger);
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), """{ "Crews": { "ValidLogins": ["@syslogins"] } }""");
        await site.StartEngineAsync();

        using var host = new EngineClient(site.Engine, new HttpClient(), token: await site.LoginAsync("nobody", hostPassword));
        Assert.Empty(await host.JobsAsync("jid=1"));
        var refused = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync(stranger, strangerPassword));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains($"{stranger} is not in crews.config's ValidLogins", refused.Message);
    }

    [Theory]
    [InlineData("""{ "Crews": {}, "Wranglerz": ["wes"] }""", "unknown key 'Wranglerz'")]
    [InlineData("""{ "JobEditAccessPolicies": { "defaultPolicy": { "jretry": ["JobOwner"] } } }""", "unknown operation 'jretry'")]
    public async Task ACrewsConfigWithAKeyTheEngineWouldNotActOn_StopsItAtStart_NamingTheKey(string crews, string expected)
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), crews);

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.NotEqual(0, code);
        Assert.Contains("crews.config", stdout + stderr);
        Assert.Contains(expected, stdout + stderr);
    }

    [Fact]
    public async Task TqChcrews_SetsTheJobsCrews_UnderTheJattrPolicy()
    {
        await using var farm = await StartAsync(Studio);
        var site = farm.Site;
        var jid = await site.SpoolAsync(Script.Replace("-paused 1", "-paused 1 -crews {lighting}"), "ana");
        Task<string> CrewsAsync() => site.Client.QueryColumnsAsync("jobs", ["crews"], $"jid={jid}", null, new ListOptions())
            .ContinueWith(t => JsonSerializer.Serialize(t.Result.Rows.Single()[0]), TaskScheduler.Default);
        Assert.Equal("""["lighting"]""", await CrewsAsync());

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--user", "ana", "chcrews", jid.ToString(), "--crews", "fx,comp");
        Assert.True(code == 0, stderr);
        Assert.Equal($"chcrews J{jid}", stdout.Trim());
        Assert.Equal("""["fx","comp"]""", await CrewsAsync());
        Assert.Equal(jid, (await site.Client.JobsAsync("crews like comp")).Single().Jid);

        (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--user", "ana", "chcrews", jid.ToString());
        Assert.Equal(2, code);
        Assert.Contains("--crews", stderr);

        // Another user's chcrews is jattr's: refused by the policy, --force or not.
        var refused = await farm["bob"].SetAttributeAsync("jattr", $"jid={jid}", "bob", true, "crews", "bobs");
        Assert.Contains("lets only JobOwner, Wranglers, Administrators jattr it", Assert.Single(refused.Refused));
        Assert.Equal("""["fx","comp"]""", await CrewsAsync());
    }
}
