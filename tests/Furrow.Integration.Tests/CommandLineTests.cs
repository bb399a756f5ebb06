using System.Net.Http.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Core.Scripts;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>The command-line paths a newcomer uses: `furrow up`, JSON spools, `tq log`, and local `Cmd` commands.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Up_CreatesASite_RunsTheSampleJobToDone_AndSaysWhereItsLogsAre()
    {
        await using var site = new TestSite();
        var dir = Path.Combine(site.Root, "newcomer");
        await using var up = FurrowProcess.Start("up", "--dir", dir, "--port", site.Port.ToString());
        await Eventually.WaitUntilAsync(() => Task.FromResult(up.Output.Contains("Serving until Ctrl-C")), TimeSpan.FromSeconds(60),
            () => "furrow up to run its sample job; output:\n" + up.Output);

        Assert.Contains($"Created a new site in {dir}", up.Output);
        Assert.Matches(@"J1 'Furrow sample job': (\d+)/\1 tasks done", up.Output);
        Assert.True(File.Exists(Path.Combine(dir, "tractor.config")));
        Assert.True(File.Exists(Path.Combine(dir, "data", "db", "furrow.db")));
        var logs = Directory.GetFiles(Path.Combine(dir, "data", "logs"), "T*.log", SearchOption.AllDirectories);
        Assert.Contains(logs, l => File.ReadAllText(l).Contains("rendering frame 3"));
        Assert.Contains("Logs: " + Path.Combine(dir, "data", "logs"), up.Output);
        // On a port other than tq's default, the hint it ends with tells tq and tractor-spool where the engine is, and works.
        var hint = up.Output.Split('\n').Single(l => l.StartsWith("Serving until Ctrl-C", StringComparison.Ordinal));
        Assert.Contains($"export TRACTOR_ENGINE=localhost:{site.Port}; bin/tq jobs", hint);
        var (code, stdout, stderr) = await FurrowProcess.RunAsync(new Dictionary<string, string> { ["TRACTOR_ENGINE"] = $"localhost:{site.Port}" }, "tq", "jobs", "-c", "jid,title", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Contains("1  Furrow sample job", stdout);

        // The Dashboard line: a one-time link that signs a browser in as the user who ran furrow up (the engine's own account).
        var link = up.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("Dashboard: ", StringComparison.Ordinal))["Dashboard: ".Length..];
        var url = SignInLinkTests.DashboardUrl().Match(link);
        Assert.True(url.Success, link);
        Assert.Equal(site.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), url.Groups["port"].Value);
        using (var browser = new HttpClient { BaseAddress = new Uri(link) })
        using (var signedIn = await browser.PostAsync("api/v1/auth/login", JsonContent.Create(new { code = url.Groups["code"].Value, cookie = true })))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, signedIn.StatusCode);
            Assert.Contains($"\"user\":\"{Environment.UserName}\"", await signedIn.Content.ReadAsStringAsync());
        }

        await up.TerminateAsync(); // Ctrl-C or SIGTERM stops the whole farm, blade included
        Assert.True(up.HasExited);
    }

    [Fact]
    public async Task Up_StopsOnSigterm_WhileItsSampleJobStillWaits_AndAgainKeepsTheSitesPort()
    {
        await using var site = new TestSite();
        var dir = Path.Combine(site.Root, "waiting");
        await using (var first = FurrowProcess.Start("up", "--dir", dir, "--port", site.Port.ToString(), "--no-sample"))
        {
            // Its blade registered (and so kept the key it enrolled with) before the stop: a SIGTERM while the engine is
            // enrolling it can leave the name enrolled to a key the blade never wrote down, which the next start is refused on.
            await Eventually.WaitUntilAsync(() => Task.FromResult(first.Output.Contains("Serving until Ctrl-C") && first.Output.Contains(" registered")),
                TimeSpan.FromSeconds(60), () => "furrow up to serve with its blade registered; output:\n" + first.Output);
            await first.TerminateAsync();
        }
        // No profile matches the local blade, so the sample job spooled by the next start never runs.
        await File.WriteAllTextAsync(Path.Combine(dir, "blade.config"),
            """{ "BladeProfiles": [ { "ProfileName": "elsewhere", "Hosts": { "Name": ["render-*"] } } ] }""");
        // Started again without --port, the site keeps the port its tractor.config names (written by the first start).
        await using var up = FurrowProcess.Start("up", "--dir", dir);
        // The progress line ("J2 'Sample ...': 0/6 tasks done, ..."): a bare "0/" can match the site's path or the
        // engine's address and send the signal before furrow up has even started its engine.
        await Eventually.WaitUntilAsync(() => Task.FromResult(up.Output.Contains(" tasks done, ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60),
            () => "furrow up to wait for its sample job; output:\n" + up.Output);

        Assert.Contains($"Engine listening on http://127.0.0.1:{site.Port}/", up.Output);
        up.Send(15);

        var exit = await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"furrow up exited with {exit}; output:\n{up.Output}");
        Assert.DoesNotContain("Serving until Ctrl-C", up.Output);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task Spool_KeepsTheScriptAsSent_AndTheApiReturnsIt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        const string script = "##AlfredToDo 3.0\r\n# ünïcode ☃ and a tab\t\r\nJob -title {kept} -subtasks {\r\n  Task {t} -cmds { RemoteCmd {{echo} {ok}} }\r\n}\r\n";
        // Over 2 MB of three-byte characters: the engine reads a body in 1 MB pieces, and some fall across their edges.
        var large = "# " + string.Concat(Enumerable.Repeat("☃é", 500_000)) + "\n" + script;

        var reply = await site.Client.SpoolAsync(script, new SpoolOptions("tester", "kept.alf", Paused: true));
        var largeReply = await site.Client.SpoolAsync(large, new SpoolOptions("tester", "large.alf", Paused: true));

        Assert.Equal(script, await site.Client.JobScriptAsync(reply.Jid));
        Assert.Equal(large, await site.Client.JobScriptAsync(largeReply.Jid));
        var missing = await Assert.ThrowsAsync<EngineException>(() => site.Client.JobScriptAsync(largeReply.Jid + 1));
        Assert.Equal(404, missing.StatusCode);
        Assert.Contains($"no job {largeReply.Jid + 1}", missing.Message);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task Spool_AJsonJob_RunsIt_AndTqLogPrintsItsOutput()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker");
        var spec = AlfredParser.Parse("Job -title {from json} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {hello from json}} } }", "x.alf").Job!;
        var file = Path.Combine(site.Root, "job.json");
        await File.WriteAllTextAsync(file, JobJson.Serialize(spec));

        var (code, stdout, stderr) = await Shims.RunAsync("tractor-spool", null, "--engine", site.Engine, "--user", "tester", file);
        Assert.True(code == 0, stderr);
        var jid = long.Parse(stdout.Trim());
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        Assert.Equal(await File.ReadAllTextAsync(file), await site.Client.JobScriptAsync(jid));

        (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "log", jid.ToString(), "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("hello from json", stdout);
        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "log", jid.ToString(), "9");
        Assert.Equal(1, code);
        Assert.Contains($"job {jid} has no task 9", stderr);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task LocalCmd_IsNotGivenToABladeOnAnotherHost_AndRunsOnTheEngineHostsBlade()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {local} -subtasks { Task {t} -cmds { Cmd {{echo} {ran on the engine host}} } }");

        var bootId = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration("far-away", "render-farm-node-17", 4, "test", bootId, 1));
        var offered = await site.Client.PollWorkAsync("far-away", new WorkRequest(bootId, 4, 1500));
        Assert.Empty(offered.Assignments);

        await site.StartBladeAsync("engine-host-blade");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done on the engine host's blade");
        Assert.Equal("engine-host-blade", (await site.Client.InvocationsAsync($"jid={jid}")).Single().Blade);
    }
}
