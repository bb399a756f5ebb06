using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// A blade's life with commands running: stopped with SIGTERM (with and without --drain), killed with kill -9 and
/// started again on the same host, and paused (SIGSTOP) past the silence timeout then resumed. Each command is a shell
/// script that notes its pid and a background child's pid, then waits for a release file, so the tests can see from
/// /proc whether a copy of it still runs.
/// </summary>
public sealed class BladeLifecycleTests
{
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    // Each run appends "shellpid childpid" to runs, then waits (two minutes at most) for the release file. Asked to end
    // (SIGTERM), it notes "asked shellpid" in asked, ends its child and exits, as a renderer cleaning up would.
    private const string Script = """
        d=$1
        trap 'echo "asked $$" >> "$d/asked"; kill $! 2>/dev/null; exit 143' TERM
        sleep 300 &
        echo "$$ $!" >> "$d/runs"
        echo "run on pid $$"
        i=0
        while [ ! -e "$d/release" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
        kill $!
        echo finished
        """;

    [Fact]
    public async Task AnIdleBladesWaitingPoll_KeepsItUpWithoutReports_ButNotABladeWithACommandRunning()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 2);
        await site.StartEngineAsync();
        // A blade that took a command, said it started, and waits on a poll for its other slot; then says nothing more.
        var busyBoot = Guid.NewGuid().ToString("N");
        var welcome = await site.Client.RegisterBladeAsync(new BladeRegistration("busy", "busy-host", 2, "test", busyBoot, 1));
        Assert.True(welcome.OpenPollIsContact);
        var jid = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        var assignment = Assert.Single((await site.Client.PollWorkAsync("busy", new WorkRequest(busyBoot, 2, 5000))).Assignments);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.Client.ReportAsync("busy", new BladeReport(busyBoot, [new InvocationEvent(1, assignment.Iid, InvocationEventTypes.Started, now, Pid: 4242)],
            [assignment.Iid], 1, SentMs: now));
        // Paused, the job's task, put back to ready below, is given to no poll: every poll goes on waiting.
        Assert.Equal(1, (await site.Client.OperateAsync("pause", $"jid={jid}", "tester", force: false)).Affected);
        var busyPoll = site.Client.PollWorkAsync("busy", new WorkRequest(busyBoot, 1, 15_000));
        // A blade with nothing to run, waiting on a poll, and never reporting.
        var idleBoot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration("idle", "idle-host", 1, "test", idleBoot, 1));
        var idlePoll = site.Client.PollWorkAsync("idle", new WorkRequest(idleBoot, 1, 15_000));

        // Past the 2 s timeout without a report: the busy blade is silent and its command goes back to ready, though its
        // poll still waits; the idle blade, whose poll waits too, is up.
        await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=busy")).Any(b => b.Status == "silent"), Patience,
            () => "the busy blade to be declared silent");
        // The blade listing shows the farm as it is; the run's row says so once the same change is committed.
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Single().Status == "blade silent", Patience,
            () => "the busy blade's run to be recorded as ended by its silence");
        Assert.False(busyPoll.IsCompleted);
        await Task.Delay(TimeSpan.FromSeconds(3)); // another timeout and more
        Assert.False(idlePoll.IsCompleted);
        Assert.Equal("up", (await site.Client.BladesAsync("name=idle")).Single().Status);

        // Its poll answered and no other sent, the idle blade is silent a timeout later.
        Assert.Empty((await idlePoll).Assignments);
        await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=idle")).Any(b => b.Status == "silent"), Patience,
            () => "the idle blade to be declared silent once its poll ended");
    }

    [Fact]
    public async Task FurrowBlade_HandsOverToTheNativeBladeInPlace_AndRunsOnTheRuntimeWhenToldTo()
    {
        var nativeBlade = Path.Combine(Path.GetDirectoryName(FurrowProcess.FurrowDll)!, "furrow-blade");
        Assert.True(File.Exists(nativeBlade), $"the test run publishes the native blade beside furrow.dll ({nativeBlade})");
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var work = Prepare(site);
        await site.StartEngineAsync();
        var native = await site.StartBladeAsync("native", slots: 1);
        var managed = await site.StartBladeAsync("managed", 1, new Dictionary<string, string> { ["FURROW_BLADE_NATIVE"] = "0" });

        // The process the caller started is the blade: same pid, now the native program (or still dotnet when told).
        Assert.Equal(nativeBlade, new FileInfo($"/proc/{native.Pid}/exe").ResolveLinkTarget(false)?.FullName);
        Assert.NotEqual(nativeBlade, new FileInfo($"/proc/{managed.Pid}/exe").ResolveLinkTarget(false)?.FullName);
        var jid = await site.SpoolAsync($"Job -title {{both}} -subtasks {{ {string.Join("\n", Enumerable.Range(1, 2).Select(i => $"Task {{t{i}}} -cmds {{ RemoteCmd {{sh {work}/cmd.sh {work}}} }}"))} }}");
        await WaitForRunAsync(work, 2);
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Patience, "done");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(["managed", "native"], runs.Select(r => r.Blade).Order());
        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));

        // Both stop on SIGTERM in their own time, with exit code 0.
        native.Send(SigTerm);
        managed.Send(SigTerm);
        Assert.Equal(0, await native.WaitForExitAsync(Patience));
        Assert.Equal(0, await managed.WaitForExitAsync(Patience));
        Assert.Contains("Blade native stopped", native.Output);
    }

    [Fact]
    public async Task Sigterm_EndsTheCommandsProcessTree_AndTheTaskRunsAgainElsewhere_BeforeAnySilenceTimeout()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var work = Prepare(site);
        await site.StartEngineAsync();
        var leaving = await site.StartBladeAsync("leaving", slots: 1);
        var jid = await site.SpoolAsync(OneTask(work));
        var first = await WaitForRunAsync(work, 1);
        var rescuer = await site.StartBladeAsync("rescuer", slots: 1);

        leaving.Send(SigTerm);
        Assert.Equal(0, await leaving.WaitForExitAsync(Patience));

        Assert.True(IsGone(first.Shell) && IsGone(first.Child), $"the stopped blade's command tree is gone: {Describe(first)}");
        Assert.Equal([$"asked {first.Shell}"], File.ReadAllLines(Path.Combine(work, "asked")));
        var second = await WaitForRunAsync(work, 2);
        Assert.True(IsRunning(second.Shell), "the task runs again on the other blade");
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done on the rescuer");

        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(2, runs.Count);
        // "interrupted", not "blade silent": the blade said so itself, long before the 600 s timeout could.
        Assert.Equal("interrupted", runs.Single(r => r.Blade == "leaving").Status);
        Assert.Equal(0, runs.Single(r => r.Blade == "rescuer").ExitCode);
        var task = Assert.Single(await site.Client.TasksAsync($"jid={jid}"));
        Assert.Equal(0, task.RetryCount);
        Assert.Empty(await site.Client.BlocklistAsync(jid));
        Assert.Contains("ended by blade leaving", await site.Client.TaskLogAsync(jid, 1));
        Assert.Contains("stopped", leaving.Output);
        // Counted as it was asked to stop, before its command was ended.
        Assert.Contains("1 command(s) running, drain False", leaving.Output);
        // It said it was going: shown as stopped at once, not up until the 600 s silence timeout.
        Assert.Equal("stopped", (await site.Client.BladesAsync()).Single(b => b.Name == "leaving").Status);
        GC.KeepAlive(rescuer);
    }

    [Fact]
    public async Task Sigterm_AsksTheCommandsProcessesToEndFirst_AndKillsOneThatGoesOn()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var work = Prepare(site);
        // Notes each SIGTERM and carries on, as a renderer busy cleaning up (or one that ignores it) would.
        File.WriteAllText(Path.Combine(work, "stubborn.sh"), """
            d=$1
            trap 'echo "asked $$" >> "$d/asked"' TERM
            echo "$$ $$" >> "$d/runs"
            i=0
            while [ ! -e "$d/release" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
            """);
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("stopping", slots: 1);
        var jid = await site.SpoolAsync($$"""
            Job -title {stubborn} -subtasks {
                Task {stubborn} -cmds { RemoteCmd {sh {{work}}/stubborn.sh {{work}}} }
            }
            """);
        var run = await WaitForRunAsync(work, 1);
        await WaitForStartReportedAsync(site, jid);

        blade.Send(SigTerm);
        Assert.Equal(0, await blade.WaitForExitAsync(Patience));

        // SIGTERM reached the command itself first (its trap ran), then SIGKILL ended it when it went on.
        Assert.Equal([$"asked {run.Shell}"], File.ReadAllLines(Path.Combine(work, "asked")));
        Assert.True(IsGone(run.Shell), "the command that went on after SIGTERM was killed");
        var invocation = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal("interrupted", invocation.Status);
        Assert.Equal("stopped", (await site.Client.BladesAsync()).Single(b => b.Name == "stopping").Status);

        // Started again, it is up and runs the task.
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.StartBladeAsync("stopping", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done after the blade came back");
        Assert.Equal("up", (await site.Client.BladesAsync()).Single(b => b.Name == "stopping").Status);
    }

    [Fact]
    public async Task SigtermWithDrain_LetsTheCommandFinish_TakesNoMoreWork_ThenExits()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var work = Prepare(site);
        await site.StartEngineAsync();
        var draining = await site.StartBladeAsync("draining", 1, "--drain");
        var jid = await site.SpoolAsync($$"""
            Job -title {drain} -subtasks {
                Task {one} -cmds { RemoteCmd {sh {{work}}/cmd.sh {{work}}} }
                Task {two} -cmds { RemoteCmd {sh -c "echo two"} }
            }
            """);
        var first = await WaitForRunAsync(work, 1);

        draining.Send(SigTerm);
        await Eventually.WaitUntilAsync(() => Task.FromResult(draining.Output.Contains("stopping", StringComparison.Ordinal)), Patience,
            () => "the blade to say it is stopping: " + draining.Output);
        Assert.Contains("1 command(s) running, drain True", draining.Output);
        Assert.True(IsRunning(first.Shell), "a draining blade leaves its command running");
        Assert.False(draining.HasExited, "a draining blade waits for its command");

        File.WriteAllText(Path.Combine(work, "release"), "");
        Assert.Equal(0, await draining.WaitForExitAsync(Patience));
        var afterDrain = await site.Client.InvocationsAsync($"jid={jid}");
        var drained = Assert.Single(afterDrain);
        Assert.Equal(0, drained.ExitCode);
        Assert.Equal("done", drained.Status);

        await site.StartBladeAsync("next", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Patience, "done");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(["draining", "next"], runs.OrderBy(r => r.Iid).Select(r => r.Blade));
    }

    [Fact]
    public async Task KillHard_ThenRestartOnTheSameHost_AdoptsTheCommandStillRunning_WhichRunsOnce_AndItsLaterOutputAndExitAreRecorded()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var (work, phoenix, jid, first) = await RunOneCommandAsync(site, "phoenix");

        phoenix.KillHard();
        await phoenix.WaitForExitAsync(Patience);
        Assert.True(IsRunning(first.Shell), "kill -9 leaves the command running");
        var reborn = await site.StartBladeAsync("phoenix", slots: 1);
        await Eventually.WaitUntilAsync(() => Task.FromResult(reborn.Output.Contains("adopted", StringComparison.Ordinal)), Patience,
            () => $"the restarted blade to adopt the command: {reborn.Output}");

        // It prints "finished" only now, with its first blade process long dead.
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(("done", 0, "phoenix"), (run.Status, run.ExitCode, run.Blade));
        Assert.Single(File.ReadAllLines(Path.Combine(work, "runs")));
        Assert.False(File.Exists(Path.Combine(work, "asked")), "the adopted command was never asked to end");
        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains($"run on pid {first.Shell}\nfinished\n", log);
        Assert.Equal(2, log.Split("run on pid").Length); // each byte once, though the new blade read the output from its start
    }

    [Fact]
    public async Task KillHard_TheCommandEndsWhileNoBladeRuns_TheRestartedBladeReportsItsExitCode()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var (work, jid, pid) = await KillTheBladeOfAFailingCommandAsync(site);

        // It runs two seconds at least, then ends well before a blade process is back.
        await Task.Delay(TimeSpan.FromSeconds(2));
        File.WriteAllText(Path.Combine(work, "release"), "");
        await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(pid)), Patience, () => "the command to end with no blade running");
        var endedBy = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await site.StartBladeAsync("phoenix", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Patience, "the task in error, with the command's own exit code");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(("error", 3), (run.Status, run.ExitCode));
        Assert.Contains("failing on my own", await site.Client.TaskLogAsync(jid, 1));
        // Its record is the command's, not the delivery's: it stopped when it ended, and ran for as long as it ran.
        Assert.True(run.StopTime <= endedBy + 1000, $"stop time {run.StopTime}, the command ended by {endedBy}");
        Assert.True(run.ElapsedReal >= 2, $"elapsed {run.ElapsedReal} s");
    }

    [Fact]
    public async Task KillHard_ThenTheCommandEndsWhileTheRestartedBladeWaitsForTheEngine_ItsExitCodeIsReportedOnceTheEngineIsBack()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var (work, jid, pid) = await KillTheBladeOfAFailingCommandAsync(site);

        // The new blade process reads what its keeper still runs, then waits to register: the command ends meanwhile, and
        // the keeper tells the blade of that exit before the blade knows whether the command is still its own to adopt.
        var reborn = await RestartTheBladeWithTheEngineAwayAsync(site);
        File.WriteAllText(Path.Combine(work, "release"), "");
        await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(pid)), Patience, () => "the command to end while the engine is away");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(reborn.HasExited, reborn.Output);

        await site.StartEngineAsync();
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Patience, "the task in error, with the command's own exit code");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(("error", 3, "phoenix"), (run.Status, run.ExitCode, run.Blade));
        Assert.Contains("failing on my own", await site.Client.TaskLogAsync(jid, 1));
        Assert.Single(File.ReadAllLines(Path.Combine(work, "runs")));
    }

    [Fact]
    public async Task KillHard_ThenTheKeeperDiesWhileTheRestartedBladeWaitsForTheEngine_TheCommandIsEnded_AndItsTaskRunsAgain()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var (work, jid, pid) = await KillTheBladeOfAFailingCommandAsync(site);
        var reborn = await RestartTheBladeWithTheEngineAwayAsync(site);

        // The keeper the new blade process read the command from dies: the command's exit code can no longer come.
        Assert.Equal(0, Kill(KeeperOf(site.BladeStateDir("phoenix")), 9));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(IsRunning(pid), "the command outlives its keeper");
        await site.StartEngineAsync();

        await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(pid)), Patience, () => $"the blade to end the command whose keeper died: {reborn.Output}");
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Count == 2, Patience,
            () => $"the task to run again: {reborn.Output}");
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Patience, "the second run in error with its exit code");
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).OrderBy(r => r.Iid).ToList();
        Assert.Equal([("interrupted", "phoenix"), ("error", "phoenix")], runs.Select(r => (r.Status, r.Blade)));
        Assert.Equal(3, runs[1].ExitCode);
        Assert.Contains("the blade's command keeper ended; the command's exit code was lost", await site.Client.TaskLogAsync(jid, 1));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(work, "runs")).Length);
    }

    // Stops the engine and starts blade phoenix again: it has read what its keeper holds and waits to register.
    private static async Task<FurrowProcess> RestartTheBladeWithTheEngineAwayAsync(TestSite site)
    {
        await site.EngineProcess!.TerminateAsync();
        var reborn = site.StartBladeProcess("phoenix", 1, null);
        await Eventually.WaitUntilAsync(() => Task.FromResult(reborn.Output.Contains("unreachable", StringComparison.Ordinal)), Patience,
            () => $"the restarted blade to find the engine away: {reborn.Output}");
        return reborn;
    }

    // An engine and blade phoenix running one command that waits for work/release, then prints and exits 3; the blade is
    // killed (kill -9) once the engine has heard of the start, leaving the command with its keeper.
    private static async Task<(string Work, long Jid, int Pid)> KillTheBladeOfAFailingCommandAsync(TestSite site)
    {
        var work = Prepare(site);
        File.WriteAllText(Path.Combine(work, "fails.sh"), """
            d=$1
            echo "$$" >> "$d/runs"
            while [ ! -e "$d/release" ]; do sleep 0.1; done
            echo "failing on my own"
            exit 3
            """);
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("phoenix", slots: 1);
        var jid = await site.SpoolAsync($$"""
            Job -title {fails alone} -subtasks {
                Task {fails} -cmds { RemoteCmd {sh {{work}}/fails.sh {{work}}} }
            }
            """);
        var pid = int.Parse(await Eventually.WaitForAsync(async () => File.Exists(Path.Combine(work, "runs"))
            ? (await File.ReadAllLinesAsync(Path.Combine(work, "runs"))).FirstOrDefault() : null, Patience, () => "the command to start"),
            System.Globalization.CultureInfo.InvariantCulture);
        await WaitForStartReportedAsync(site, jid);
        blade.KillHard();
        await blade.WaitForExitAsync(Patience);
        return (work, jid, pid);
    }

    [Fact]
    public async Task KillHard_OfTheBladeAndItsKeeper_ThenRestart_EndsTheCommandWhoseExitCodeIsLost_AndItsTaskRunsAgainAtOnce()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var (work, phoenix, jid, first) = await RunOneCommandAsync(site, "phoenix");

        var keeper = KeeperOf(site.BladeStateDir("phoenix"));
        phoenix.KillHard();
        Assert.Equal(0, Kill(keeper, 9));
        await phoenix.WaitForExitAsync(Patience);
        Assert.True(IsRunning(first.Shell), "the command outlives its blade and its keeper");
        var reborn = await site.StartBladeAsync("phoenix", slots: 1);

        var second = await WaitForRunAsync(work, 2);
        // Asked to end, the left copy runs its trap once its current sleep is over.
        await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(first.Shell) && IsGone(first.Child)), Patience,
            () => $"the restarted blade to end what was left: {Describe(first)}\n{reborn.Output}");
        // Asked first (SIGTERM), so it could clean up.
        Assert.Contains($"asked {first.Shell}", File.ReadAllLines(Path.Combine(work, "asked")));
        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done");
        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).OrderBy(r => r.Iid).ToList();
        Assert.Equal(["interrupted", "done"], runs.Select(r => r.Status));
        Assert.True(IsGone(second.Shell));
    }

    [Fact]
    public async Task KillHard_WithOutputAndResultUndelivered_TheRestartedBladeDeliversBoth_EachByteOnce()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 600);
        var work = Prepare(site);
        File.WriteAllText(Path.Combine(work, "last.sh"), """
            d=$1
            echo "first words"
            while [ ! -e "$d/release" ]; do sleep 0.1; done
            echo "last words"
            printf 'and no newline'
            """);
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("phoenix", slots: 1);
        var jid = await site.SpoolAsync($$"""
            Job -title {last words} -subtasks {
                Task {speaks} -cmds { RemoteCmd {sh {{work}}/last.sh {{work}}} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.TaskLogAsync(jid, 1)).Contains("first words", StringComparison.Ordinal),
            Patience, () => "the first words to reach the log");

        // With the engine away the command says its last words and exits; the blade can deliver neither, and is killed.
        await site.EngineProcess!.TerminateAsync();
        File.WriteAllText(Path.Combine(work, "release"), "");
        var journal = Path.Combine(site.BladeStateDir("phoenix"), "journal.log");
        await Eventually.WaitUntilAsync(() => Task.FromResult(File.Exists(journal) && File.ReadAllText(journal).Contains("\"exited\"", StringComparison.Ordinal)),
            Patience, () => "the command's exit to be in the blade's journal");
        blade.KillHard();
        await blade.WaitForExitAsync(Patience);

        await site.StartEngineAsync();
        await site.StartBladeAsync("phoenix", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done, from the journal");
        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains("first words\nlast words\nand no newline", log);
        // What the engine already had is not written twice.
        Assert.Equal(2, log.Split("first words").Length);
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(("done", 0), (run.Status, run.ExitCode));
    }

    [Fact]
    public async Task KillHard_TaskGivenToAnotherBlade_ThenRestartOnTheSameHost_EndsTheLeftCopy_AndTheOtherRunsOn()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 3);
        var (work, doomed, jid, first) = await RunOneCommandAsync(site, "doomed");

        doomed.KillHard();
        await doomed.WaitForExitAsync(Patience);
        await site.StartBladeAsync("rescuer", slots: 1);
        var second = await WaitForRunAsync(work, 2);
        Assert.True(IsRunning(first.Shell) && IsRunning(second.Shell), "two copies run while no blade is back on the first host");

        await site.StartBladeAsync("doomed", slots: 1);
        await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(first.Shell) && IsGone(first.Child)), Patience,
            () => $"the restarted blade to end the copy left running: {Describe(first)}");
        Assert.True(IsRunning(second.Shell), "the copy on the blade the task was given to runs on");

        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done on the rescuer");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(2, runs.Count);
        Assert.Equal("blade silent", runs.Single(r => r.Blade == "doomed").Status);
        Assert.Equal(0, runs.Single(r => r.Blade == "rescuer").ExitCode);
    }

    [Fact]
    public async Task PausedPastTheSilenceTimeout_ThenResumed_EndsItsCopy_AndOneCopyRunsOn()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 3);
        var work = Prepare(site);
        await site.StartEngineAsync();
        var sleepy = await site.StartBladeAsync("sleepy", slots: 1);
        var jid = await site.SpoolAsync(OneTask(work));
        var first = await WaitForRunAsync(work, 1);

        sleepy.Send(SigStop);
        try
        {
            await site.StartBladeAsync("rescuer", slots: 1);
            await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=sleepy")).Any(b => b.Status == "silent"), Patience,
                () => "the paused blade to be declared silent");
            var second = await WaitForRunAsync(work, 2);
            Assert.True(IsRunning(first.Shell), "the paused blade's copy still runs while it is paused");

            sleepy.Send(SigCont);
            await Eventually.WaitUntilAsync(() => Task.FromResult(IsGone(first.Shell) && IsGone(first.Child)), Patience,
                () => $"the resumed blade to end its copy: {Describe(first)}");
            Assert.True(IsRunning(second.Shell), "the copy on the blade the task was given to runs on");
        }
        finally
        {
            sleepy.Send(SigCont);
        }

        File.WriteAllText(Path.Combine(work, "release"), "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done on the rescuer");
        var runs = await site.Client.InvocationsAsync($"jid={jid}");
        Assert.Equal(2, runs.Count);
        Assert.Equal("blade silent", runs.Single(r => r.Blade == "sleepy").Status);
        // The log of the task that ran twice says why.
        var silentIid = runs.Single(r => r.Blade == "sleepy").Iid;
        Assert.Contains($"[furrow] blade sleepy silent for ", await site.Client.TaskLogAsync(jid, 1));
        Assert.Contains($"invocation {silentIid} is given up and the task goes back to ready", await site.Client.TaskLogAsync(jid, 1));
        Assert.Equal(0, runs.Single(r => r.Blade == "rescuer").ExitCode);
        Assert.False(sleepy.HasExited, "the resumed blade goes on");
    }

    [Fact]
    public async Task ReportsHeldUpByABusyDatabase_HeartbeatsKeepTheBladeUp_AndItsTaskIsNotHandedOut()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 3);
        var work = Prepare(site);
        await site.StartEngineAsync();
        await site.StartBladeAsync("busy", slots: 1);
        var jid = await site.SpoolAsync(OneTask(work));
        await WaitForRunAsync(work, 1);
        await WaitForStartReportedAsync(site, jid);
        // Idle and ready to take the task, should the busy blade be taken for a dead one.
        await site.StartBladeAsync("idle", slots: 1);

        // Another writer holds the job database for several silence timeouts. The command finishes meanwhile, so the
        // busy blade's exit report waits on a commit that cannot happen: only its heartbeats reach the engine.
        var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(site.DataDir, "db", "furrow.db")};Pooling=false");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        try
        {
            File.WriteAllText(Path.Combine(work, "release"), "");
            for (var i = 0; i < 10; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Equal("up", (await site.Client.BladesAsync("name=busy")).Single().Status);
            }
        }
        finally
        {
            await holder.DisposeAsync();
        }

        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Patience, "done once the database is free");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(("busy", "done", 0), (run.Blade, run.Status, run.ExitCode));
        Assert.Single(File.ReadAllLines(Path.Combine(work, "runs")));
    }

    // An engine, a one-slot blade, and the one-task job: returns once the command runs and the engine knows it started.
    private static async Task<(string Work, FurrowProcess Blade, long Jid, Run First)> RunOneCommandAsync(TestSite site, string bladeName)
    {
        var work = Prepare(site);
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync(bladeName, slots: 1);
        var jid = await site.SpoolAsync(OneTask(work));
        var first = await WaitForRunAsync(work, 1);
        await WaitForStartReportedAsync(site, jid);
        return (work, blade, jid, first);
    }

    private static string Prepare(TestSite site)
    {
        var work = Path.Combine(site.Root, "work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "cmd.sh"), Script);
        return work;
    }

    private static string OneTask(string work) => $$"""
        Job -title {lifecycle} -subtasks {
            Task {waits} -cmds { RemoteCmd {sh {{work}}/cmd.sh {{work}}} }
        }
        """;

    // The blade notes the process in its journal before it reports the start: a kill -9 after this leaves a journal
    // that names it (between fork and that note, a killed blade leaves no trace of the command).
    private static Task WaitForStartReportedAsync(TestSite site, long jid) =>
        Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.StartTime is not null),
            Patience, () => "the engine to hear of the command's start");

    private sealed record Run(int Shell, int Child);

    private static async Task<Run> WaitForRunAsync(string work, int number)
    {
        var runs = Path.Combine(work, "runs");
        var line = await Eventually.WaitForAsync(async () =>
            File.Exists(runs) && (await File.ReadAllLinesAsync(runs)) is { } lines && lines.Length >= number ? lines[number - 1] : null,
            Patience, () => $"run {number} of the command to start");
        var pids = line.Split(' ');
        return new Run(int.Parse(pids[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(pids[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    // A zombie (ended, not yet reaped by whoever inherited it) counts as gone.
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsGone(int pid) => !IsRunning(pid);

    // The blade's command keeper: the furrow-keeper process (native, or furrow-keeper.dll under dotnet) serving its state directory.
    private static int KeeperOf(string stateDirectory)
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
                if (argv.Any(a => a.EndsWith("furrow-keeper", StringComparison.Ordinal) || a.EndsWith("furrow-keeper.dll", StringComparison.Ordinal))
                    && argv.Contains(Path.GetFullPath(stateDirectory)))
                    return pid;
            }
            catch (IOException)
            {
            }
        }
        throw new InvalidOperationException($"no keeper serves {stateDirectory}");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    private static string Describe(Run run) => $"shell {run.Shell} running {IsRunning(run.Shell)}, child {run.Child} running {IsRunning(run.Child)}";
}
