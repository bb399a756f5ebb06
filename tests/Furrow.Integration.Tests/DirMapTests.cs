using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Tractor's percent codes in command lines: %D(path) mapped by the job's -dirmaps for the zone of the blade that runs
/// it, %h, %n, %r and %%; a %ID(host) code naming no command of the job is refused at spool and in -expand output
/// (IdHostTests runs the ones that name one).
/// </summary>
public sealed class DirMapTests
{
    // Blades named unc-* are in the unc zone; every other blade is in the default nfs zone. (No load cap: a busy test
    // machine must not hold the blades back.)
    private const string BladeConfig = """
        { "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } },
          "BladeProfiles": [
            { "ProfileName": "windows-share", "Hosts": { "Name": "unc-*" }, "DirMapZone": "UNC" },
            { "ProfileName": "linux" } ] }
        """;

    private const string Script = """
        Job -title {mapped} -dirmaps {
            {{X:/} {//fileserver/projects/} UNC}
            {{X:/} {/net/projects/} NFS}
        } -subtasks {
            Task {t} -cmds { RemoteCmd {sh -c "echo scene=%D(X:/shot1/a.ma) tool=%D(mayabatch) rest=%D(/local/x)"} }
        }
        """;

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task PercentD_IsMappedForTheBladesZone_AfterAnEngineRestart_AndStrippedWhereNoEntryMaps()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"), BladeConfig);
        await site.StartEngineAsync();
        var nfs = await site.SpoolAsync(Script);
        // Kept in the job database: the engine restarted between spool and dispatch still maps.
        await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();
        await site.StartBladeAsync("linux-1", slots: 1);
        await site.WaitForJobAsync(nfs, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        var nfsLog = await site.Client.TaskLogAsync(nfs, 1);
        Assert.Contains("scene=/net/projects/shot1/a.ma tool=mayabatch rest=/local/x", nfsLog);
        // The log's header shows the command line the blade ran, mapped, not the script's.
        Assert.Contains(": sh -c echo scene=/net/projects/shot1/a.ma tool=mayabatch rest=/local/x]====", nfsLog);
        Assert.DoesNotContain("%D(", nfsLog);

        var (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "nimby", "linux-1");
        Assert.True(code == 0, stderr);
        var unc = await site.SpoolAsync(Script);
        await site.StartBladeAsync("unc-1", slots: 1);
        await site.WaitForJobAsync(unc, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        var uncLog = await site.Client.TaskLogAsync(unc, 1);
        Assert.Contains("scene=//fileserver/projects/shot1/a.ma tool=mayabatch", uncLog);
        Assert.DoesNotContain("%D(", uncLog);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task PercentD_TheLogHeaderShowsTheMappedCommandLine_WhenTheEngineRestartsBetweenDispatchAndStart()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"), BladeConfig);
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync(Script);
        // A blade that speaks the protocol by hand, so the engine can die between handing the command out and hearing it
        // started: after the restart the engine knows the blade only from the database, not its zone.
        const string Name = "unc-late";
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "late-host", 1, "test", boot, 1));
        var assignment = Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 5000))).Assignments);
        const string Mapped = "sh -c echo scene=//fileserver/projects/shot1/a.ma tool=mayabatch rest=/local/x";
        Assert.Equal(Mapped, string.Join(' ', assignment.Argv));

        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.Client.ReportAsync(Name, new BladeReport(boot,
            [
                new InvocationEvent(1, assignment.Iid, InvocationEventTypes.Started, now, Pid: 4242),
                new InvocationEvent(2, assignment.Iid, InvocationEventTypes.Output, now, Offset: 0, Data: "scene=//fileserver\n"u8.ToArray()),
                new InvocationEvent(3, assignment.Iid, InvocationEventTypes.Exited, now + 5, ExitCode: 0),
            ], [], 1, SentMs: now + 5));

        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains($" on {Name} pid 4242: {Mapped}]====", log);
        Assert.DoesNotContain("%D(", log);
    }

    [Fact]
    public async Task TractorsCodes_AreTheBladesTheIdsAndTheRuns_HostPairsAreTwoArguments_AndRecoverIsOneOnlyAfterABladeCutTheRunOff()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("""
            Job -title {codes} -subtasks {
                Task {t} -cmds { RemoteCmd {prman -recover %r -host %h -n %n -pct 100%% -keep %%h %H -id %j.%t.%c -loop %R -q %q frame.%04d.rib} -atleast 2 }
            }
            """);
        // A blade that speaks the protocol by hand, so each run can be cut off, retried and read at a known point.
        const string Name = "hand-blade";
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "render07.studio", 4, "test", boot, 1));
        async Task<Assignment> NextAsync() =>
            Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 4, 5000))).Assignments);
        string[] Line(string recover) =>
            $"prman -recover {recover} -host render07.studio -n 2 -pct 100% -keep %h -h render07.studio -id {jid}.1.1 -loop 0 -q 1.0 frame.%04d.rib"
                .Split(' ');

        var first = await NextAsync();
        Assert.Equal(Line("0"), first.Argv);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.Client.ReportAsync(Name, new BladeReport(boot,
            [
                new InvocationEvent(1, first.Iid, InvocationEventTypes.Started, now, Pid: 4242),
                new InvocationEvent(2, first.Iid, InvocationEventTypes.Interrupted, now + 5, Text: "the blade stopped"),
            ], [], 1, SentMs: now + 5));

        // The blade cut the run off: the renderer is told to recover from its checkpoint.
        var resumed = await NextAsync();
        Assert.Equal(Line("1"), resumed.Argv);

        // An operator's retry starts over, as Tractor's does.
        await site.Client.OperateAsync("retry", $"jid={jid}", "tester", force: false);
        var retried = await NextAsync();
        Assert.Equal(Line("0"), retried.Argv);
        var invocations = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(["interrupted", "retried", "dispatched"], invocations.OrderBy(i => i.Iid).Select(i => i.Status));
    }

    [Theory]
    [InlineData("netrender %srv1(host)", "%srv1(host)")]
    [InlineData("netrender %first_pass(-host) -f a.rib", "%first_pass(-host)")]
    public async Task AnotherCommandsHostCode_NamingNoCommandOfTheJob_IsRefusedAtSpool_WithItsName_AndInExpandOutput(string command, string code)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var refused = await Assert.ThrowsAsync<EngineException>(() => site.SpoolAsync(
            $"Job -title {{codes}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{{command}}} }} }}"));
        Assert.Contains($"test.alf:1:", refused.Message);
        Assert.Contains($"{code} in the command line (task \"t\", command 1) names no command of the job: no command has -id", refused.Message);
        Assert.Empty(await site.Client.JobsAsync());

        // Written with %% it is a literal percent sign and the job is accepted.
        var escaped = await site.SpoolAsync(
            $"Job -title {{codes}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{{command.Replace(code, "%" + code, StringComparison.Ordinal)}}} }} }}");
        Assert.Single(await site.Client.JobsAsync($"jid={escaped}"));

        // A task an -expand command writes is held to the same rule: the expanding task errors, saying why. (Its own
        // command line escapes the code, so what it prints holds the code itself.)
        await site.StartBladeAsync("b1", slots: 1);
        var printed = command.Replace(code, "%" + code, StringComparison.Ordinal);
        var expand = await site.SpoolAsync(
            "Job -title {gen} -subtasks { Task {gen} -cmds { RemoteCmd {echo {Task {child} -cmds {RemoteCmd {" + printed + "}}}} -expand 1 } }");
        await site.WaitForJobAsync(expand, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error");
        Assert.Contains($"{code} in the command line (task \"child\", command 1) names no command of the job", await site.Client.TaskLogAsync(expand, 1));
        Assert.Single(await site.Client.TasksAsync($"jid={expand}"));
    }
}
