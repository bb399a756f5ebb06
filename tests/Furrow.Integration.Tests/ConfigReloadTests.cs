using System.Net;
using System.Text.Json;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// POST /api/v1/config/reload (tq reloadconfig, Tractor's reconfigure) puts limits.config and blade.config in force on a
/// running engine with a running blade: limits counted again from what runs, profiles matched again; a broken file
/// changes nothing; tractor.config is named for a restart only when it changed.
/// </summary>
public sealed class ConfigReloadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // Each task waits for its own file under the test's gates directory (for 60 s at most, so nothing outlives a failure).
    private static string GatedJob(string gates, string title, int tasks) =>
        $"Job -title {{{title}}} -subtasks {{\n" + string.Join('\n', Enumerable.Range(1, tasks).Select(t =>
            $$"""
             Task {t{{t}}} -cmds { RemoteCmd -tags {lic} {sh -c "i=0; while [ ! -e {{gates}}/{{title}}-{{t}} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"} }
            """)) + "\n}";

    private static void Open(string gates, string title, int tid) => File.WriteAllText(Path.Combine(gates, $"{title}-{tid}"), "");

    private static async Task<List<InvocationRow>> RunningAsync(TestSite site, long jid) =>
        [.. (await site.Client.InvocationsAsync($"jid={jid}")).Where(i => i.StopTime is null)];

    private static async Task WaitRunningAsync(TestSite site, long jid, int count) =>
        await Eventually.WaitUntilAsync(async () => (await RunningAsync(site, jid)).Count == count, Timeout,
            () => $"J{jid} to have {count} commands running");

    private static async Task<string> LimitReasonAsync(TestSite site, long jid, int tid) =>
        (await site.Client.WhyAsync(jid, tid)).Reasons.Single(r => r.Kind == "Limit").Text;

    private static void WriteLimits(TestSite site, int siteMax) =>
        File.WriteAllText(Path.Combine(site.ConfigDir, "limits.config"), $$"""{ "Limits": { "lic": { "SiteMax": {{siteMax}} } } }""");

    [Fact]
    public async Task ALimitRaisedThenLowered_AppliesWithoutRestart_AndKillsNothing()
    {
        await using var site = new TestSite();
        var gates = Directory.CreateDirectory(Path.Combine(site.Root, "gates")).FullName;
        WriteLimits(site, 1);
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        var jid = await site.SpoolAsync(GatedJob(gates, "lic", 3));
        await WaitRunningAsync(site, jid, 1);
        var waiting = Enumerable.Range(1, 3).Except((await RunningAsync(site, jid)).Select(i => i.Tid)).ToList();
        Assert.Contains("(1 of 1 in use)", await LimitReasonAsync(site, jid, waiting[0]));

        WriteLimits(site, 2);
        var raised = await site.Client.ReloadConfigAsync();
        Assert.Contains("limits.config", raised.Applied);
        // tractor.config and db.config are as the engine read them at start.
        Assert.Empty(raised.RestartNeeded);
        await WaitRunningAsync(site, jid, 2);
        var running = (await RunningAsync(site, jid)).Select(i => i.Tid).ToList();
        var last = Enumerable.Range(1, 3).Except(running).Single();
        Assert.Contains("(2 of 2 in use)", await LimitReasonAsync(site, jid, last));

        // Lowered below what runs: both go on, the third waits until use is below the new cap.
        WriteLimits(site, 1);
        await site.Client.ReloadConfigAsync();
        Assert.Contains("(2 of 1 in use)", await LimitReasonAsync(site, jid, last));
        Open(gates, "lic", running[0]);
        await WaitRunningAsync(site, jid, 1);
        Assert.Equal(running[1], (await RunningAsync(site, jid)).Single().Tid);
        Assert.Contains("(1 of 1 in use)", await LimitReasonAsync(site, jid, last));
        Assert.DoesNotContain(await site.Client.InvocationsAsync($"jid={jid}"), i => i.Tid == last);
        Open(gates, "lic", running[1]);
        await Eventually.WaitUntilAsync(async () => (await RunningAsync(site, jid)).Any(i => i.Tid == last), Timeout,
            () => $"T{last} to start once the one running command finished");
        Open(gates, "lic", last);
        await site.WaitForJobAsync(jid, j => j.NumDone == 3, Timeout, "done");
        // Every command ran to its end: the lowered cap stopped none.
        Assert.All(await site.Client.InvocationsAsync($"jid={jid}"), i => Assert.Equal(0, i.ExitCode));
    }

    [Fact]
    public async Task ALimitAddedByAReload_HoldsAJobSpooledAfter_ABrokenFileChangesNothing_AndRemovingItFreesTheJob()
    {
        await using var site = new TestSite();
        var gates = Directory.CreateDirectory(Path.Combine(site.Root, "gates")).FullName;
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        WriteLimits(site, 1);
        await site.Client.ReloadConfigAsync();

        var jid = await site.SpoolAsync(GatedJob(gates, "after", 2));
        await WaitRunningAsync(site, jid, 1);
        var waiting = 3 - (await RunningAsync(site, jid)).Single().Tid;
        Assert.Contains("limit lic is at its site-wide cap (1 of 1 in use)", await LimitReasonAsync(site, jid, waiting));

        // A raise with a missing comma on line 3: refused by file and line, and the cap of 1 still holds.
        File.WriteAllText(Path.Combine(site.ConfigDir, "limits.config"), "{ \"Limits\": {\n  \"lic\": { \"SiteMax\": 2 }\n  \"other\": { \"SiteMax\": 1 }\n} }\n");
        using var http = await site.HttpAsync();
        using (var refused = await http.PostAsync("api/v1/config/reload", null))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.StartsWith("nothing was reloaded: limits.config:3:", JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString());
        }
        Assert.Contains("(1 of 1 in use)", await LimitReasonAsync(site, jid, waiting));
        Assert.Single(await RunningAsync(site, jid));
        // The engine's log says who reloaded and why it was refused.
        await Eventually.WaitUntilAsync(() => Task.FromResult(site.EngineProcess!.Output.Contains("Site config reload by test-admin refused, nothing changed: limits.config:3:")),
            Timeout, () => "the refused reload in the engine's log:\n" + site.EngineProcess!.Output);

        // A removed limits.config: nothing is limited any more.
        File.Delete(Path.Combine(site.ConfigDir, "limits.config"));
        var reply = await site.Client.ReloadConfigAsync();
        Assert.DoesNotContain("limits.config", reply.Read);
        Assert.Contains("limits.config", reply.Absent);
        await WaitRunningAsync(site, jid, 2);
        Open(gates, "after", 1);
        Open(gates, "after", 2);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Timeout, "done");
    }

    [Fact]
    public async Task ABladeProfileChanged_AppliesToARunningBlade_AtItsNextWork()
    {
        await using var site = new TestSite();
        var bladeConfig = Path.Combine(site.ConfigDir, "blade.config");
        static string Profile(string name, string provides) =>
            $$"""{ "BladeProfiles": [ { "ProfileName": "{{name}}", "Hosts": { "Name": ["b*"] }, "Provides": [{{provides}}], "Capacity": { "MaxLoad": 1000 } } ] }""";
        File.WriteAllText(bladeConfig, Profile("maya", "\"Maya\""));
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        Assert.Equal("maya", (await site.Client.BladesAsync("name=b1")).Single().Profile);

        var jid = await site.SpoolAsync("Job -title {nuke} -subtasks { Task {a} -cmds { RemoteCmd -service {Nuke} {true} } }");
        Assert.Contains((await site.Client.WhyAsync(jid, 1)).Reasons, r => r.Kind == "ServiceKey" && r.Text.Contains("Nuke"));

        File.WriteAllText(bladeConfig, Profile("comp", "\"Maya\", \"Nuke\""));
        var reply = await site.Client.ReloadConfigAsync();
        Assert.Contains("blade.config", reply.Applied);
        Assert.DoesNotContain(reply.RestartNeeded, n => n.File == "blade.config");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Timeout, "done on b1 under its new profile");
        Assert.Equal("b1", (await site.Client.InvocationsAsync($"jid={jid}")).Single().Blade);
        Assert.Equal("comp", (await site.Client.BladesAsync("name=b1")).Single().Profile);
    }

    [Fact]
    public async Task TractorConfig_IsNamedForARestart_OnlyWhenItsSettingsChanged_SayingWhich()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var tractorConfig = Path.Combine(site.ConfigDir, "tractor.config");
        var started = await File.ReadAllTextAsync(tractorConfig);

        // A comment is no setting: the engine would read the same.
        await File.WriteAllTextAsync(tractorConfig, "// checked by hand\n" + started);
        Assert.Empty((await site.Client.ReloadConfigAsync()).RestartNeeded);

        var settings = JsonDocument.Parse(started, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
            .RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        settings["MaxAutoRetries"] = "7";
        await File.WriteAllTextAsync(tractorConfig, "{" + string.Join(",\n", settings.Select(s => $"\"{s.Key}\": {s.Value}")) + "}\n");
        var reply = await site.Client.ReloadConfigAsync();
        var note = Assert.Single(reply.RestartNeeded);
        Assert.Equal("tractor.config", note.File);
        Assert.Contains("MaxAutoRetries", note.Reason);
        Assert.Contains("restart", note.Reason);
    }

    // A file that parses but holds a value the engine refuses, and where: the line and column of the value (or of the key
    // that should not be there). tractor.config's case is inserted after its first "{", so it is on line 2.
    public static TheoryData<string, string, string> RefusedValues() => new()
    {
        { "limits.config", "{ \"Limits\": {\n  \"lic\": { \"SiteMax\": -3 }\n} }\n", "limits.config:2:23: Limits \"lic\": SiteMax is -3" },
        { "limits.config", "{ \"Limits\": {\n  \"lic\": { \"SiteMax\": 1,\n    \"SiteMaks\": 4 } } }\n", "limits.config:3:5: Limits \"lic\": unknown key \"SiteMaks\"" },
        { "blade.config", "{ \"BladeProfiles\": [\n  { \"ProfileName\": \"a\",\n    \"Capacity\": { \"MaxSlots\": -1 } } ] }\n",
            "blade.config:3:31: BladeProfiles[0] \"a\": Capacity.MaxSlots is -1" },
        { "crews.config", "{ \"Crews\": { \"Administrators\": [\"test-admin\"] },\n  \"JobEditAccessPolicies\": { \"defaultPolicy\": { \"frobnicate\": [\"JobOwner\"] } } }\n",
            "crews.config:2:49: JobEditAccessPolicies defaultPolicy: unknown operation 'frobnicate'" },
        { "tractor.config", "\"ScriptMaxDepth\": 0", "tractor.config:2:23: ScriptMaxDepth 0: expected levels of nesting from 1 to 1024" },
    };

    private static async Task WriteRefusedAsync(TestSite site, string file, string text)
    {
        if (file == "tractor.config")
            await site.AddEngineSettingsAsync(text);
        else
            await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, file), text);
    }

    [Theory]
    [MemberData(nameof(RefusedValues))]
    public async Task AValueRefusedAfterParsing_IsNamedByFileLineAndColumn_AtAReload(string file, string text, string named)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        await WriteRefusedAsync(site, file, text);
        using var refused = await http.PostAsync("api/v1/config/reload", null);

        var body = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.StartsWith("nothing was reloaded: " + named, JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString());
    }

    [Theory]
    [MemberData(nameof(RefusedValues))]
    public async Task AValueRefusedAfterParsing_IsNamedByFileLineAndColumn_AtStart(string file, string text, string named)
    {
        await using var site = new TestSite();
        await WriteRefusedAsync(site, file, text);

        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.Equal(1, code);
        Assert.Contains(named, stderr);
    }

    [Fact]
    public async Task KeysFurrowDoesNotRead_InTractorConfigAndDbConfig_AreNamedWithTheirLine_AtStartAndAtAReload_NotRefused()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"EngineOwner\": \"root\"");
        await site.StartEngineAsync();
        await Eventually.WaitUntilAsync(() => Task.FromResult(site.EngineProcess!.Output.Contains(
                "Settings Furrow does not read, ignored (Tractor's own, or misspelt): tractor.config:2:5: \"EngineOwner\"")),
            Timeout, () => "the ignored key in the engine's log:\n" + site.EngineProcess!.Output);

        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "db.config"), "{\n  \"DBProvider\": \"sqlite\",\n  \"DBShutdwn\": false\n}\n");
        var reply = await site.Client.ReloadConfigAsync();

        Assert.Equal(
            [new ConfigFileNote("tractor.config", "line 2, column 5: \"EngineOwner\" is not a setting Furrow reads, so it is ignored"),
             new ConfigFileNote("db.config", "line 3, column 3: \"DBShutdwn\" is not a setting Furrow reads, so it is ignored")],
            reply.Ignored);
        await Eventually.WaitUntilAsync(() => Task.FromResult(site.EngineProcess!.Output.Contains("tractor.config:2:5: \"EngineOwner\"; db.config:3:3: \"DBShutdwn\"")),
            Timeout, () => "the ignored keys of the reload in the engine's log:\n" + site.EngineProcess!.Output);
    }

    [Fact]
    public async Task TractorConfig_IsNotNamedForARestart_WhenASettingIsAddedWithTheValueTheEngineRunsWith()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();

        // Tractor's defaults written out, and a key Furrow does not read: the engine would run exactly as it does.
        await site.AddEngineSettingsAsync("\"MaxAutoRetries\": 3, \"BladeBlocklistFailures\": 3, \"LoginSessionDays\": 30.0, \"EngineOwner\": \"root\"");
        Assert.Empty((await site.Client.ReloadConfigAsync()).RestartNeeded);

        var tractorConfig = Path.Combine(site.ConfigDir, "tractor.config");
        await File.WriteAllTextAsync(tractorConfig, (await File.ReadAllTextAsync(tractorConfig)).Replace("\"MaxAutoRetries\": 3", "\"MaxAutoRetries\": 4", StringComparison.Ordinal));
        var note = Assert.Single((await site.Client.ReloadConfigAsync()).RestartNeeded);
        Assert.StartsWith("MaxAutoRetries added;", note.Reason);
    }
}
