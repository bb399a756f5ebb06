using System.Diagnostics;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// A blade run as root with <c>--run-as owner</c> runs each command as its job's owner; without a choice it refuses to
/// start. A real engine and real blades run as root here, as they do in CI: these tests fail, saying so, when the test
/// process is not root (as the full-disk tests do), since a blade that is not root can switch to no one.
/// </summary>
public sealed class RunAsOwnerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // nobody is on every Debian host, with uid and gid 65534 and no home.
    private const string Nobody = "nobody";

    private static void RequireRoot() =>
        Assert.True(Environment.IsPrivilegedProcess, "this test needs root: only a blade run as root can run commands as another user");

    // A directory the job owner may write in (sticky and open to all, as /tmp), so what it makes there shows whose it is.
    private static async Task<string> SharedDirectoryAsync(TestSite site)
    {
        var directory = Directory.CreateDirectory(Path.Combine(site.Root, "shared")).FullName;
        await ProgramRun.RequireAsync("a directory the job owner may write in", "chmod", "1777", directory);
        return directory;
    }

    private static async Task<string> OwnerOfAsync(string path) => (await ProgramRun.RunAsync("stat", "-c", "%u:%g", path)).Stdout.Trim();

    private static async Task<string> IdAsync(params string[] args) => (await ProgramRun.RunAsync("id", args)).Stdout.Trim();

    private const string WhoAmI = """sh -c {id -u; id -g; echo "groups=$(id -G)"; echo "home=$HOME user=$USER logname=$LOGNAME"; touch %D(SHARED)/made; echo ~}""";

    [Fact]
    public async Task OwnerBlade_RunsACommandAsItsJobsOwner_WithThatAccountsIdsGroupsAndEnvironment()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        await site.StartEngineAsync();
        await site.StartBladeAsync("owner-blade", 1, "--run-as", "owner");

        // The second command's bare ~ is the blade's to expand: to the owner's home, not root's.
        var jid = await site.SpoolAsync($"Job -title {{who}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{{WhoAmI.Replace("%D(SHARED)", shared)}}}; RemoteCmd {{/bin/echo ~ ~/x}} }} }}", Nobody);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1 || j.NumError > 0, Patience, "finished");

        var log = await site.Client.TaskLogAsync(jid, 1);
        var uid = await IdAsync("-u", Nobody);
        var gid = await IdAsync("-g", Nobody);
        // The account's supplementary groups as initgroups gives them; root's own (0) must not be among them.
        var groups = await IdAsync("-G", Nobody);
        var home = (await ProgramRun.RunAsync("getent", "passwd", Nobody)).Stdout.Trim().Split(':')[5];
        Assert.Contains($"{uid}\n{gid}\ngroups={groups}\nhome={home} user={Nobody} logname={Nobody}\n{home}\n", log);
        Assert.Contains($"{home} {home}/x\n", log);
        Assert.Equal($"{uid}:{gid}", await OwnerOfAsync(Path.Combine(shared, "made")));
        var run = (await site.Client.InvocationsAsync($"jid={jid} and cid=1")).Single();
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.PeakRss > 0, "the keeper's account of the switched command's resources reaches the engine");
    }

    [Fact]
    public async Task OwnerBlade_SetFromTheEnvironment_FailsAJobWhoseOwnerHasNoAccount_SayingSo_AndRunsTheNextJob()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("owner-env", 1, new Dictionary<string, string> { ["FURROW_BLADE_RUN_AS"] = "owner" });

        var stranger = "nosuchuser" + Guid.NewGuid().ToString("N")[..6];
        var refused = await site.SpoolAsync($"Job -title {{stranger}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{touch {shared}/stranger}} }} }}", stranger);
        await site.WaitForJobAsync(refused, j => j.NumError == 1, Patience, "in error");
        var log = await site.Client.TaskLogAsync(refused, 1);
        Assert.Contains($"job owner '{stranger}' has no account on host {Environment.MachineName} (blade owner-env); the command was not run", log);
        Assert.False(File.Exists(Path.Combine(shared, "stranger")), "the command must not run, as root or anyone");
        Assert.Equal(126, (await site.Client.InvocationsAsync($"jid={refused}")).Single().ExitCode); // as a shell's "cannot execute"

        // A name that is not a plain account name never becomes an owner: the engine refuses it before anything is spooled
        // (the blade's own check, for jobs already in a database, is OwnerSwitchTests').
        var hostile = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() =>
            site.SpoolAsync($"Job -title {{hostile}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{touch {shared}/hostile}} }} }}", "-0"));
        Assert.Contains("starts with '-'", hostile.Message);
        Assert.False(File.Exists(Path.Combine(shared, "hostile")));

        var next = await site.SpoolAsync($"Job -title {{next}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{touch {shared}/next}} }} }}", Nobody);
        await site.WaitForJobAsync(next, j => j.NumDone == 1, Patience, "done");
        Assert.Equal($"{await IdAsync("-u", Nobody)}:{await IdAsync("-g", Nobody)}", await OwnerOfAsync(Path.Combine(shared, "next")));
        Assert.False(blade.HasExited);
    }

    [Fact]
    public async Task OwnerBlade_DeletesFilesForAJob_AsItsOwner_NotAsRoot()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        var theirs = Path.Combine(shared, "theirs");
        await File.WriteAllTextAsync(theirs, "");
        await ProgramRun.RequireAsync("a file the job's owner owns", "chown", Nobody, theirs);
        var precious = Path.Combine(Directory.CreateDirectory(Path.Combine(site.Root, "root-only")).FullName, "precious");
        await File.WriteAllTextAsync(precious, "");
        await ProgramRun.RequireAsync("a directory only root may change", "chmod", "755", Path.GetDirectoryName(precious)!);
        await site.StartEngineAsync();
        await site.StartBladeAsync("cleaner", 1, "--run-as", "owner");

        var jid = await site.SpoolAsync($"Job -title {{cleanup}} -subtasks {{ Task {{t}} -cmds {{ File delete {theirs} {precious} }} }}", Nobody);
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Patience, "in error (one path could not be deleted)");

        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.False(File.Exists(theirs), log);
        Assert.True(File.Exists(precious), "the blade deleted a file as root for a job owned by another user");
        Assert.Contains($"deleted {theirs}\n", log);
        Assert.Contains("Permission denied", log);
        Assert.DoesNotContain($"deleted {precious}", log);
    }

    [Fact]
    public async Task BladeRunAsBlade_RunsCommandsAsRoot_WhoeverOwnsTheJob()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        await site.StartEngineAsync();
        await site.StartBladeAsync("root-blade", 1, "--run-as", "blade");

        var jid = await site.SpoolAsync($"Job -title {{who}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{sh -c {{id -u; touch {shared}/made}}}} }} }}", Nobody);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done");

        Assert.Contains("\n0\n", await site.Client.TaskLogAsync(jid, 1));
        Assert.Equal("0:0", await OwnerOfAsync(Path.Combine(shared, "made")));
    }

    [Fact]
    public async Task FurrowUp_RunAsRoot_RunsEachCommandAsItsJobsOwner()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        // An empty setting is no setting: furrow up chooses.
        await using var up = FurrowProcess.Start(new Dictionary<string, string> { ["FURROW_BLADE_RUN_AS"] = "" },
            "up", "--dir", Path.Combine(site.Root, "up"), "--port", site.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-sample");
        await Eventually.WaitUntilAsync(() => Task.FromResult(up.Output.Contains("Serving until Ctrl-C")), Patience, () => "furrow up to serve; output:\n" + up.Output);
        Assert.Contains("Commands run as their job's owner, not root", up.Output);

        var jid = await site.SpoolAsync($"Job -title {{who}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{touch {shared}/made}} }} }}", Nobody);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done");

        Assert.Equal($"{await IdAsync("-u", Nobody)}:{await IdAsync("-g", Nobody)}", await OwnerOfAsync(Path.Combine(shared, "made")));
        await up.TerminateAsync();
    }

    [Theory]
    [InlineData(null, null, "--run-as owner", "--run-as blade")]
    [InlineData("root", null, "--run-as must be 'owner'", "'blade'")]
    [InlineData(null, "everyone", "FURROW_BLADE_RUN_AS must be 'owner'", "not 'everyone'")]
    public async Task RootBlade_WithoutAValidChoice_RefusesToStart_NamingBothSettings(string? option, string? environment, string says, string alsoSays)
    {
        RequireRoot();
        await using var site = new TestSite();
        var info = new ProcessStartInfo("dotnet");
        foreach (var arg in (string[])[FurrowProcess.FurrowDll, "blade", "--engine", site.Engine, "--name", "undecided", "--state-dir", site.BladeStateDir("undecided"),
            .. option is null ? [] : (string[])["--run-as", option]])
            info.ArgumentList.Add(arg);
        info.Environment.Remove("FURROW_BLADE_RUN_AS");
        if (environment is not null)
            info.Environment["FURROW_BLADE_RUN_AS"] = environment;

        var (code, stdout, stderr) = await ProgramRun.RunAsync(info);

        Assert.True(code == 1, $"exit code {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Contains("furrow blade: ", stderr);
        Assert.Contains(says, stderr);
        Assert.Contains(alsoSays, stderr);
        if (option is null && environment is null)
            Assert.Contains("FURROW_BLADE_RUN_AS", stderr);
        Assert.False(Directory.Exists(site.BladeStateDir("undecided")), "refused before it made its state directory or started a keeper");
    }

    [Fact]
    public async Task OwnerBlade_TqInterrupt_EndsTheSwitchedCommandsWholeTree()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        await site.StartEngineAsync();
        await site.StartBladeAsync("killer", 1, "--run-as", "owner");

        // A shell that starts a child which ignores SIGTERM (so only the blade's SIGKILL ends it), both the owner's.
        var jid = await site.SpoolAsync($$$"""
            Job -title {tree} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {sh -c 'trap "" TERM; echo $$ > {{{shared}}}/child; exec sleep 600' & wait}} } }
            """, Nobody);
        var childFile = Path.Combine(shared, "child");
        await Eventually.WaitUntilAsync(() => Task.FromResult(File.Exists(childFile) && File.ReadAllText(childFile).EndsWith('\n')), Patience,
            () => "the command's child to start");
        var child = int.Parse(File.ReadAllText(childFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(await IdAsync("-u", Nobody), (await ProgramRun.RunAsync("ps", "-o", "uid=", "-p", child.ToString(System.Globalization.CultureInfo.InvariantCulture))).Stdout.Trim());

        var (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--user", Nobody, "interrupt", jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);

        await site.WaitForJobAsync(jid, j => j.NumError == 1 && j.NumActive == 0, Patience, "the interrupted task in error");
        await Eventually.WaitUntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{child}") || File.ReadAllText($"/proc/{child}/stat").Contains(") Z ")),
            Patience, () => $"the command's child {child}, which ignores SIGTERM, to be killed");
    }

    [Fact]
    public async Task OwnerBlade_KilledAndStartedAgain_AdoptsTheSwitchedCommand_AndReportsItsExit()
    {
        RequireRoot();
        await using var site = new TestSite();
        var shared = await SharedDirectoryAsync(site);
        var release = Path.Combine(shared, "release");
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("restarted", 1, "--run-as", "owner");

        var jid = await site.SpoolAsync($$$"""
            Job -title {long} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {echo started; while [ ! -e {{{release}}} ]; do sleep 0.1; done; id -u; exit 3}} } }
            """, Nobody);
        await Eventually.WaitUntilAsync(async () => (await site.Client.TaskLogAsync(jid, 1)).Contains("started\n"), Patience, () => "the command to start");
        blade.KillHard();
        await blade.WaitForExitAsync(Patience);
        await site.StartBladeAsync("restarted", 1, "--run-as", "owner");
        await File.WriteAllTextAsync(release, "");

        await site.WaitForJobAsync(jid, j => j.NumError == 1, Patience, "ended with its exit code 3");
        Assert.Contains($"started\n{await IdAsync("-u", Nobody)}\n", await site.Client.TaskLogAsync(jid, 1));
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(3, runs.Single().ExitCode);
    }
}
