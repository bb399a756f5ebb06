using System.Globalization;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// What a job script says about where, when and how much, honoured by a real engine with real blades: service keys
/// against blade.config profiles, -maxactive, limits, -after, -afterjids, retries, the blocklist, nimby, refused
/// options, postscripts (-when error each time the job is in error, -whendone/-whenerror) and `tq why`. Concurrency is
/// read from the blades' own start and stop times.
/// </summary>
public sealed class SchedulingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Profiles keyed on blade names; no load or memory floor, so a busy test machine does not hold blades back.
    private const string TwoProfiles = """
        {
            "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } },
            "BladeProfiles": [
                { "ProfileName": "maya", "Hosts": { "Name": ["maya-*"] }, "Provides": ["Maya", "linux"] },
                { "ProfileName": "nuke", "Hosts": { "Name": ["nuke-*"] }, "Provides": ["Nuke", "linux"] }
            ]
        }
        """;

    [Fact]
    public async Task ALongPollThatBeganWithASlotTaken_GetsACommandNeedingThatSlot_OnceItIsGivenBack_NotWhenThePollEnds()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"), """{ "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } }, "BladeProfiles": [ { "ProfileName": "any" } ] }""");
        await site.StartEngineAsync();
        // A 2-slot blade speaking the protocol by hand: one slot taken by a 1-slot command when it asks again.
        const string Name = "two-slots";
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "host", 2, "test", boot, 1));
        await site.SpoolAsync("Job -title {one} -subtasks { Task {a} -cmds { RemoteCmd {sleep 1} } }");
        var first = Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 2, 5000))).Assignments);
        Assert.Equal(1, first.Slots);
        var wide = await site.SpoolAsync("Job -title {two} -subtasks { Task {b} -cmds { RemoteCmd {true} -atleast 2 -atmost 2 } }");

        // The blade asks with its one free slot and waits (up to 30 s, the engine's longest poll).
        var poll = site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 30_000));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.Client.ReportAsync(Name, new BladeReport(boot,
            [
                new InvocationEvent(1, first.Iid, InvocationEventTypes.Started, now, Pid: 4242),
                new InvocationEvent(2, first.Iid, InvocationEventTypes.Exited, now + 5, ExitCode: 0),
            ], [], 2, SentMs: now + 5));

        // The slot it gave back counts: the waiting poll takes the 2-slot command (before, it came back empty at its end).
        var second = Assert.Single((await poll).Assignments);
        Assert.Equal((wide, 2), (second.Jid, second.Slots));
    }

    [Fact]
    public async Task ServiceKeys_RouteEachTaskToABladeWhoseProfileProvidesIt_AndAnUnprovidedKeyIsExplained()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "blade.config"), TwoProfiles);
        await site.StartEngineAsync();
        await site.StartBladeAsync("maya-1", slots: 2);
        await site.StartBladeAsync("nuke-1", slots: 2);

        var jid = await site.SpoolAsync("""
            Job -title {routing} -service {linux} -subtasks {
                Task {comp} -service {Nuke} -cmds { RemoteCmd {sh -c "echo nuke"} }
                Task {render} -cmds { RemoteCmd -service {Maya && linux} {sh -c "echo maya"} }
                Task {either} -cmds { RemoteCmd -service {Nuke || Houdini} {sh -c "echo either"} }
            }
            """);
        await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, Timeout, "done");
        var ran = (await site.Client.InvocationsAsync($"jid={jid}")).ToDictionary(i => i.Tid, i => i.Blade);
        Assert.Equal("nuke-1", ran[1]);
        Assert.Equal("maya-1", ran[2]);
        Assert.Equal("nuke-1", ran[3]);

        var blades = await site.Client.BladesAsync("");
        Assert.Equal("maya", blades.Single(b => b.Name == "maya-1").Profile);
        Assert.True(blades.Single(b => b.Name == "nuke-1").Figures?.Cores > 0, "blades report their machine's figures");

        var stuck = await site.SpoolAsync("Job -title {houdini} -subtasks { Task {sim} -service {Houdini} -cmds { RemoteCmd {true} } }");
        var why = await Eventually.WaitForAsync(async () =>
        {
            var reply = await site.Client.WhyAsync(stuck, 1);
            return reply.Reasons.Count > 0 ? reply : null;
        }, Timeout, () => "a reason for the Houdini task");
        Assert.Equal("ready", why.State);
        var reason = Assert.Single(why.Reasons);
        Assert.Equal("ServiceKey", reason.Kind);
        Assert.Contains("Houdini", reason.Text);
        Assert.Contains("every blade up (2)", reason.Text);

        // The same answer through tq, in words.
        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "why", $"{stuck}/1");
        Assert.True(code == 0, stderr);
        Assert.Contains("Houdini", stdout);
    }

    [Fact]
    public async Task Why_ATaskOfSubtasksOnly_WaitsForThem_AndTheWholeJobIsExplained()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // The parent has no command of its own (as the sample job's "Render frames"); no blade is up for the child.
        var jid = await site.SpoolAsync("""
            Job -title {tree} -subtasks {
                Task {parent} -subtasks {
                    Task {child} -cmds { RemoteCmd {true} }
                }
            }
            """);

        var parent = await site.Client.WhyAsync(jid, 1);
        Assert.Equal("blocked", parent.State);
        Assert.Equal("waiting for subtask T2", Assert.Single(parent.Reasons).Text);
        var all = await site.Client.WhyJobAsync(jid);
        Assert.Equal([1, 2], all.Select(w => w.Tid));
        Assert.Contains("no blade has registered", Assert.Single(all[1].Reasons).Text);
        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "why", $"{jid}");
        Assert.True(code == 0, stderr);
        Assert.Contains("waiting for subtask T2", stdout);
        Assert.Contains("no blade has registered", stdout);
    }

    [Fact]
    public async Task Profiles_MatchABladeByTheAddressItConnectsFrom()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "blade.config"), """
            {
                "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } },
                "BladeProfiles": [
                    { "ProfileName": "named", "Hosts": { "Name": ["render-*"] }, "Provides": ["Render"] },
                    { "ProfileName": "loopback", "Hosts": { "Name": ["127.0.0.*"] }, "Provides": ["Local"] }
                ]
            }
            """);
        await site.StartEngineAsync();
        await site.StartBladeAsync("anything", slots: 1);
        var blade = (await site.Client.BladesAsync("name=anything")).Single();
        Assert.Equal("loopback", blade.Profile);

        var jid = await site.SpoolAsync("Job -title {local} -subtasks { Task {a} -service {Local} -cmds { RemoteCmd {true} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Timeout, "done on the blade matched by address");
    }

    [Fact]
    public async Task ABladeNoProfileMatches_GetsNoWork_AndWhySaysSo()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "blade.config"),
            """{ "BladeProfiles": [ { "ProfileName": "named", "Hosts": { "Name": ["render-*"] }, "Provides": ["Render"] } ] }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("stray", slots: 1);
        Assert.Equal("(no profile matches)", (await site.Client.BladesAsync("name=stray")).Single().Profile);

        var jid = await site.SpoolAsync("Job -title {anywhere} -subtasks { Task {a} -cmds { RemoteCmd {true} } }");
        await Task.Delay(1500);
        Assert.Empty(await site.Client.InvocationsAsync($"jid={jid}"));
        var why = await site.Client.WhyAsync(jid, 1);
        Assert.Contains(why.Reasons, r => r.Kind == "BladeUnprofiled" && r.Text.Contains("stray") && r.Text.Contains("blade.config"));
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task MaxActiveAndLimits_CapConcurrency_AsTheBladesSawIt()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "limits.config"), """{ "Limits": { "lic": { "SiteMax": 1 } } }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);

        var capped = await site.SpoolAsync("""
            Job -title {maxactive} -maxactive 1 -subtasks {
                Task {a} -cmds { RemoteCmd {sleep 1} }
                Task {b} -cmds { RemoteCmd {sleep 1} }
                Task {c} -cmds { RemoteCmd {sleep 1} }
            }
            """);
        var licensed = await site.SpoolAsync("""
            Job -title {licensed} -subtasks {
                Task {a} -cmds { RemoteCmd -tags {lic} {sleep 1} }
                Task {b} -cmds { RemoteCmd -tags {lic} {sleep 1} }
                Task {c} -cmds { RemoteCmd -tags {lic} {sleep 1} }
            }
            """);
        var free = await site.SpoolAsync("""
            Job -title {free} -subtasks {
                Task {a} -cmds { RemoteCmd {sleep 1} }
                Task {b} -cmds { RemoteCmd {sleep 1} }
            }
            """);
        foreach (var jid in new[] { capped, licensed, free })
            await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, Timeout, "done");

        Assert.Equal(1, MaxOverlap(await site.Client.InvocationsAsync($"jid={capped}")));
        Assert.Equal(1, MaxOverlap(await site.Client.InvocationsAsync($"jid={licensed}")));
        // Neither cap holds back the unlimited job: with 4 slots its two tasks ran side by side with the others.
        var all = await site.Client.InvocationsAsync("");
        Assert.True(MaxOverlap(all) >= 3, $"expected the blade's slots to be used side by side; max overlap {MaxOverlap(all)}");
    }

    [Fact]
    public async Task ALimitFreedOnOneBlade_WakesAnotherBladeWaitingForIt_NotOnlyTheBladeWhoseSlotCameFree()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "blade.config"), TwoProfiles);
        File.WriteAllText(Path.Combine(site.ConfigDir, "limits.config"), """{ "Limits": { "lic": { "SiteMax": 1 } } }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("maya-1", slots: 1);

        // The Nuke task can only run on nuke-1 and only once the Maya task on maya-1 gives the one "lic" back; nuke-1's
        // own slot never came free, so only a farm-wide wake gets it there before its long poll (20 s) ends by itself.
        var jid = await site.SpoolAsync("""
            Job -title {one licence} -subtasks {
                Task {maya} -cmds { RemoteCmd -service {Maya} -tags {lic} {sleep 3} }
                Task {nuke} -cmds { RemoteCmd -service {Nuke} -tags {lic} {true} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.Blade == "maya-1"),
            Timeout, () => "the Maya task to be dispatched");
        await site.StartBladeAsync("nuke-1", slots: 1);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Timeout, "done");

        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).ToDictionary(i => i.Blade);
        var waited = runs["nuke-1"].DispatchTime - runs["maya-1"].StopTime!.Value;
        Assert.True(waited >= 0, $"the Nuke task was dispatched {-waited} ms before the licence came back");
        Assert.True(waited < 10_000, $"nuke-1 took the Nuke task {waited} ms after the licence came back: it was not woken, its poll ran out");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task AfterAndAfterJids_HoldAJob_UntilItsTimeAndItsJobsAreDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);

        var first = await site.SpoolAsync("Job -title {first} -subtasks { Task {a} -cmds { RemoteCmd {sleep 2} } }");
        var second = await site.SpoolAsync($"Job -title {{second}} -afterjids {{{first}}} -subtasks {{ Task {{a}} -cmds {{ RemoteCmd {{true}} }} }}");
        var waiting = await site.Client.WhyAsync(second, 1);
        Assert.Contains(waiting.Reasons, r => r.Kind == "AfterJobs" && r.Text.Contains(first.ToString(CultureInfo.InvariantCulture)));

        var startAt = DateTimeOffset.Now.AddSeconds(4);
        var timed = await site.SpoolAsync(
            $"Job -title {{timed}} -after {{{startAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}}} -subtasks {{ Task {{a}} -cmds {{ RemoteCmd {{true}} }} }}");
        var early = await site.Client.WhyAsync(timed, 1);
        Assert.Contains(early.Reasons, r => r.Kind == "StartTime");

        await site.WaitForJobAsync(second, j => j.NumDone == 1, Timeout, "done");
        await site.WaitForJobAsync(timed, j => j.NumDone == 1, Timeout, "done");
        var firstStop = (await site.Client.InvocationsAsync($"jid={first}")).Single().StopTime!.Value;
        var secondStart = (await site.Client.InvocationsAsync($"jid={second}")).Single().StartTime!.Value;
        Assert.True(secondStart >= firstStop, $"J{second} started at {secondStart}, before J{first} stopped at {firstStop}");
        var timedStart = (await site.Client.InvocationsAsync($"jid={timed}")).Single().StartTime!.Value;
        // Whole seconds: the -after text has no fraction.
        Assert.True(timedStart >= startAt.ToUnixTimeMilliseconds() / 1000 * 1000, "the timed job started before its -after time");

        // Once a job has left the queue, why says whether it is done, deleted or unknown.
        var done = await site.Client.WhyAsync(second, 1);
        Assert.Equal(("done", 0), (done.State, done.Reasons.Count));
        Assert.Contains("there is no job 99999", (await Assert.ThrowsAsync<EngineException>(() => site.Client.WhyAsync(99999, 1))).Message);
        var held = await site.SpoolAsync("Job -title {held} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }");
        await site.Client.OperateAsync("delete", $"jid={held}", "tester", false);
        Assert.Contains($"job {held} was deleted", (await Assert.ThrowsAsync<EngineException>(() => site.Client.WhyAsync(held, 1))).Message);

        var refused = await Assert.ThrowsAsync<EngineException>(() =>
            site.SpoolAsync("Job -title {orphan} -afterjids {99999} -subtasks { Task {a} -cmds { RemoteCmd {true} } }"));
        Assert.Contains("99999", refused.Message);
        Assert.Contains("do not exist", refused.Message);
    }

    [Fact]
    public async Task FailingCommands_RetryOnTheirRetryRc_AndABladeThatKeepsFailingIsBlocklistedUntilCleared()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "tractor.config"), $$"""
            { "TractorDataDirectory": "{{site.DataDir}}", "ListenPort": {{site.Port}}, "BladeBlocklistFailures": 2 }
            """);
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);

        var marker = Path.Combine(site.Root, "retried-once");
        var retried = await site.SpoolAsync($$"""
            Job -title {retryrc} -subtasks {
                Task {flaky} -cmds { RemoteCmd -retryrc {7} {sh -c "test -e {{marker}} || { touch {{marker}}; exit 7; }"} }
            }
            """);
        await site.WaitForJobAsync(retried, j => j.NumDone == 1, Timeout, "done after one automatic retry");
        Assert.Equal(1, (await site.Client.TasksAsync($"jid={retried}")).Single().RetryCount);

        var failing = await site.SpoolAsync("""
            Job -title {failing} -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "exit 1"} }
                Task {b} -cmds { RemoteCmd {sh -c "exit 1"} }
                Task {c} -cmds { RemoteCmd {sh -c "exit 1"} }
            }
            """);
        await site.WaitForJobAsync(failing, j => j.NumError == 2, Timeout, "two tasks in error");
        var blocked = await Eventually.WaitForAsync(async () =>
            (await site.Client.BlocklistAsync(failing)).SingleOrDefault(b => b.Blocked), Timeout, () => "b1 to be blocklisted");
        Assert.Equal(("b1", 2), (blocked.Blade, blocked.Failures));
        var why = await site.Client.WhyAsync(failing, 3);
        Assert.Contains(why.Reasons, r => r.Kind == "Blocklisted" && r.Text.Contains("b1"));
        await Task.Delay(1500);
        Assert.Empty(await site.Client.InvocationsAsync($"jid={failing} and tid=3"));

        // A blade the job has no failures on is nothing to clear: said, and exit 1, as for an operation that did nothing.
        var (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "unblock", failing.ToString(CultureInfo.InvariantCulture), "b9");
        Assert.True(code == 1 && stderr.Contains($"J{failing} b9 is not on its blocklist", StringComparison.Ordinal), $"{code}: {stderr}");
        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "unblock", failing.ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(failing, j => j.NumError == 3, Timeout, "all three tasks in error once unblocked");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task Nimby_HoldsNewWorkOffABlade_UntilUnnimby()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        var (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "nimby", "b1");
        Assert.True(code == 0, stderr);

        var jid = await site.SpoolAsync("Job -title {held} -subtasks { Task {a} -cmds { RemoteCmd {true} } }");
        await Task.Delay(1500);
        Assert.Empty(await site.Client.InvocationsAsync($"jid={jid}"));
        var why = await site.Client.WhyAsync(jid, 1);
        Assert.Contains(why.Reasons, r => r.Kind == "BladeNimby" && r.Text.Contains("b1"));
        Assert.True((await site.Client.BladesAsync("name=b1")).Single().Nimby);

        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "unnimby", "b1");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Timeout, "done after unnimby");
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task FairShare_AFloodFromOneUser_DoesNotStarveAnotherUsersJobOfEqualPriority()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        var flood = await site.SpoolAsync("""
            Job -title {flood} -priority 100 -subtasks {
                Iterate i -from 1 -to 10000 -by 1 -template { Task "f$i" -cmds { RemoteCmd {sleep 0.3} } }
            }
            """, user: "alice");
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={flood}")).Count >= 4, Timeout,
            () => "alice's flood to fill the blade");

        var small = await site.SpoolAsync("""
            Job -title {small} -priority 100 -subtasks {
                Task {a} -cmds { RemoteCmd {true} }
                Task {b} -cmds { RemoteCmd {true} }
                Task {c} -cmds { RemoteCmd {true} }
                Task {d} -cmds { RemoteCmd {true} }
            }
            """, user: "bob");
        // Bob's job is queued once its spool is answered (same host, same clock as the dispatch times); alice's commands
        // dispatched while his spool was still being read and committed could not have gone to him.
        var queued = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.WaitForJobAsync(small, j => j.NumDone == 4, Timeout, "done while alice's flood is still queued");
        var bobStarts = (await site.Client.InvocationsAsync($"jid={small}")).Select(i => i.DispatchTime).ToList();
        var aliceMeanwhile = (await site.Client.InvocationsAsync($"jid={flood}"))
            .Count(i => i.DispatchTime > queued && i.DispatchTime < bobStarts.Max());
        // Bob runs nothing else, so each slot alice frees goes to bob until his four tasks are out.
        Assert.True(aliceMeanwhile <= 4, $"alice got {aliceMeanwhile} blades while bob's 4 tasks waited");
        var aliceDone = (await site.Client.JobsAsync($"jid={flood}")).Single().NumDone;
        Assert.True(aliceDone < 9000, "the flood should still be running, or the test proves nothing");

        var (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "--user", "alice", "delete", $"jid={flood}", "--yes");
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task FairShare_AFloodOfManyJobsFromOneUser_DoesNotStarveAnotherUsersJobSpooledAfterThem()
    {
        // Dispatch weighs share buckets, not jobs: alice's 20 jobs are one bucket, bob's late job another.
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        var flood = new List<long>();
        for (var n = 0; n < 20; n++)
        {
            flood.Add(await site.SpoolAsync($$"""
                Job -title {flood{{n}}} -priority 100 -subtasks {
                    Iterate i -from 1 -to 50 -by 1 -template { Task "f$i" -cmds { RemoteCmd {sleep 0.3} } }
                }
                """, user: "alice"));
        }
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={flood[0]}")).Count >= 4, Timeout,
            () => "alice's first job to fill the blade");

        var small = await site.SpoolAsync("""
            Job -title {small} -priority 100 -subtasks {
                Task {a} -cmds { RemoteCmd {true} }
                Task {b} -cmds { RemoteCmd {true} }
            }
            """, user: "bob");
        var queued = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await site.WaitForJobAsync(small, j => j.NumDone == 2, Timeout, "done while alice's jobs are still queued");
        var bobLast = (await site.Client.InvocationsAsync($"jid={small}")).Max(i => i.DispatchTime);
        var aliceMeanwhile = 0;
        var aliceDone = 0;
        foreach (var jid in flood)
        {
            aliceMeanwhile += (await site.Client.InvocationsAsync($"jid={jid}")).Count(i => i.DispatchTime > queued && i.DispatchTime < bobLast);
            aliceDone += (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone;
        }
        // Bob runs nothing else, so each slot alice frees goes to bob until his two tasks are out.
        Assert.True(aliceMeanwhile <= 2, $"alice got {aliceMeanwhile} blades while bob's 2 tasks waited");
        Assert.True(aliceDone < 950, "alice's jobs should still be running, or the test proves nothing");
    }

    [Fact]
    public async Task EnvKeys_OfTheBladesProfile_SetTheCommandsEnvironment()
    {
        await using var site = new TestSite();
        File.WriteAllText(Path.Combine(site.ConfigDir, "blade.config"), """
            {
                "ProfileDefaults": { "Capacity": { "MaxLoad": 1000 } },
                "BladeProfiles": [ {
                    "ProfileName": "all", "Hosts": { "Name": ["*"] }, "Provides": ["linux"],
                    "EnvKeys": [
                        { "keys": ["default"], "environment": { "SITE_NAME": "furrowsite", "MAYA_VERSION": "none" } },
                        { "keys": ["maya2024"], "environment": { "MAYA_VERSION": "2024" }, "envhandler": "default" }
                    ]
                } ]
            }
            """);
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1");
        var jid = await site.SpoolAsync("""
            Job -title {env} -envkey {maya2024} -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "echo site=$SITE_NAME maya=$MAYA_VERSION"} }
            }
            """);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Timeout, "done");
        Assert.Contains("site=furrowsite maya=2024", await site.Client.TaskLogAsync(jid, 1));
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task Expand_AddsThePrintedTasksUnderItsTask_WhichWaitsForThem_AndTheyComeBackAfterARestart()
    {
        await using var site = new TestSite();
        var snippet = Path.Combine(site.Root, "expand.alf");
        File.WriteAllText(snippet, """
            ##AlfredToDo 3.0
            Task {first frame} -cmds { RemoteCmd {sleep 2} }
            Task {second frame} -subtasks { Instance {first frame} } -cmds { RemoteCmd {echo second} }
            """);
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        var jid = await site.SpoolAsync($$"""
            Job -title {expanding} -subtasks {
                Task {generate} -cmds {
                    RemoteCmd -expand 1 {cat {{snippet}}}
                    RemoteCmd {echo after the expanded tasks}
                }
            }
            """);
        var tasks = await Eventually.WaitForAsync(async () =>
        {
            var rows = await site.Client.TasksAsync($"jid={jid}");
            return rows.Count == 3 ? rows : null;
        }, Timeout, () => "the expanded tasks to join the job");
        Assert.Equal(["generate", "first frame", "second frame"], tasks.OrderBy(t => t.Tid).Select(t => t.Title));
        Assert.All(tasks.Where(t => t.Tid > 1), t => Assert.Equal(1, t.ParentTid));

        // The engine goes away while the expanded tasks wait or run; a new one rebuilds them from the same output.
        await site.EngineProcess!.TerminateAsync();
        await site.StartEngineAsync();
        var job = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, Timeout, "done");
        Assert.Equal(3, job.NumTasks);

        var runs = (await site.Client.InvocationsAsync($"jid={jid}")).Where(i => i.Status == "done").ToList();
        var second = runs.Single(i => i.Tid == 3);
        Assert.True(second.StartTime >= runs.Single(i => i.Tid == 2).StopTime, "the Instance inside the expansion was not honoured");
        var last = runs.Where(i => i.Tid == 1).MaxBy(i => i.Cid)!;
        Assert.True(last.StartTime >= second.StopTime, "the expanding task's next command ran before its new subtasks were done");
        Assert.Contains("[furrow] expand added 2 task(s): T2..T3", await site.Client.TaskLogAsync(jid, 1));
    }

    [Fact]
    public async Task Expand_WithMalformedOutput_FailsItsTask_WithThePositionInTheLog()
    {
        await using var site = new TestSite();
        var snippet = Path.Combine(site.Root, "bad.alf");
        File.WriteAllText(snippet, "Task {fine} -cmds { RemoteCmd {true} }\nTask {broken} -cmds {\n  RemoteCmd {true}\n");
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1");
        var jid = await site.SpoolAsync($$"""Job -title {bad expand} -subtasks { Task {generate} -cmds { RemoteCmd -expand 1 {cat {{snippet}}} } }""");
        await site.WaitForJobAsync(jid, j => j.NumError == 1, Timeout, "in error");
        var log = await site.Client.TaskLogAsync(jid, 1);
        Assert.Contains("[furrow] expand failed: ", log);
        Assert.Matches(@"expand output:2:\d+: ", log);
        Assert.Single(await site.Client.TasksAsync($"jid={jid}"));
    }

    [Theory]
    [InlineData("RemoteCmd -maxrunsecs 10 {true}", "-maxrunsecs")]
    [InlineData("RemoteCmd -service {Maya &&} {true}", "service key")]
    public async Task OptionsFurrowCannotHonour_AreRefusedAtSpool_NamingTheOption(string command, string named)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var error = await Assert.ThrowsAsync<EngineException>(() =>
            site.SpoolAsync($"Job -title {{refused}} -subtasks {{ Task {{a}} -cmds {{ {command} }} }}"));
        Assert.Contains(named, error.Message);
        Assert.Empty(await site.Client.JobsAsync("", archived: true));
    }

    // The most invocations that ran at one moment, from the blades' own start and stop times.
    private static int MaxOverlap(IEnumerable<InvocationRow> invocations)
    {
        var edges = invocations.Where(i => i.StartTime is not null && i.StopTime is not null)
            .SelectMany(i => new[] { (Time: i.StartTime!.Value, Delta: 1), (Time: i.StopTime!.Value, Delta: -1) })
            .OrderBy(e => e.Time).ThenBy(e => e.Delta);
        int current = 0, max = 0;
        foreach (var (_, delta) in edges)
            max = Math.Max(max, current += delta);
        return max;
    }

    [Fact]
    public async Task WhenError_RunsWhenATaskFailsAndNothingElseCanRun_AndWhenDone_OnceTheRetriedJobIsDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 2);
        string At(string name) => Path.Combine(site.Root, name);
        var jid = await site.SpoolAsync($$"""
            Job -title {posts} -whendone {echo done >> {{At("done")}}} -whenerror {echo error >> {{At("error")}}} -postscript {
                RemoteCmd -when always {sh -c "echo always >> {{At("always")}}"}
            } -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "test -e {{At("fix")}} || exit 3"} }
                Task {b} -cmds { RemoteCmd {true} }
            }
            """);

        // The error run is over when the postscript task waits again, its error commands done.
        await Eventually.WaitUntilAsync(async () =>
        {
            var commands = await site.Client.CommandsAsync($"jid={jid} and tid=3");
            return commands.Where(c => c.RunType is "post_error" or "post_always").All(c => c.State == "done")
                && (await site.Client.TasksAsync($"jid={jid} and tid=3")).Single().State == "blocked";
        }, Timeout, () => $"J{jid}'s -whenerror and -when always commands to run; engine output:\n{site.EngineProcess?.Output}");
        Assert.Equal("error\n", await File.ReadAllTextAsync(At("error")));
        Assert.Equal("always\n", await File.ReadAllTextAsync(At("always")));
        Assert.False(File.Exists(At("done")), "-whendone ran for a job in error");
        var whenCommands = (await site.Client.CommandsAsync($"jid={jid} and tid=3")).Where(c => c.Argv[0] == Furrow.Core.Jobs.JobCompiler.WhenShell);
        Assert.Equal([("post_done", $"echo done >> {At("done")}"), ("post_error", $"echo error >> {At("error")}")],
            whenCommands.Select(c => (c.RunType, c.Argv[2])));

        // The job cleanup task is the job's own: no task's parent, no Instance; it says what it waits for.
        var cleanup = (await site.Client.TasksAsync($"jid={jid} and tid=3")).Single();
        Assert.Equal("runs when the job is done or in error", cleanup.WhyWaiting);
        Assert.Null(cleanup.InstanceOf);
        var (code, stdout, stderr) = await FurrowProcess.RunAsync(["tq", "--engine", site.Engine, "--user", "tester", "--json", "tasks", $"jid={jid}",
            "-c", "tid,ptids,activetime,currcid", "-s", "tid"]);
        Assert.True(code == 0, stderr);
        var rows = System.Text.Json.JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.All(rows, r => Assert.Equal("[0]", r.GetProperty("ptids").GetRawText()));
        // Its error run skipped its first command (-whendone): it became active when that run's first command went out,
        // the same run currcid names.
        var errorRunCids = (await site.Client.CommandsAsync($"jid={jid} and tid=3")).Where(c => c.RunType is "post_error" or "post_always")
            .Select(c => c.Cid).ToList();
        Assert.Contains(rows[2].GetProperty("currcid").GetInt32(), errorRunCids);
        Assert.Equal(System.Text.Json.JsonValueKind.String, rows[2].GetProperty("activetime").ValueKind);
        Assert.All(rows.Take(2), r => Assert.Equal(System.Text.Json.JsonValueKind.String, r.GetProperty("activetime").ValueKind));

        await File.WriteAllTextAsync(At("fix"), "");
        await site.Client.OperateAsync("retry", $"jid={jid}", "tester", force: false);
        await site.WaitForJobAsync(jid, j => j.NumDone == 3, Timeout, "done once its failed task is retried");

        Assert.Equal("done\n", await File.ReadAllTextAsync(At("done")));
        Assert.Equal("error\n", await File.ReadAllTextAsync(At("error")));
        Assert.Equal("always\nalways\n", await File.ReadAllTextAsync(At("always")));
    }

    [Fact]
    public async Task RetryingEveryTaskOfAJob_IsOneStep_SoItsPostscriptRunsOnceMore_NotOnceForEachTaskRetriedBeforeIt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 4);
        string At(string name) => Path.Combine(site.Root, name);
        // T1 fails until it is fixed; T2..T41 are done by then. `retry jid=J` aims at all 42 tasks, the postscript too.
        var quick = string.Concat(Enumerable.Range(2, 40).Select(i => $"Task {{q{i}}} -cmds {{ RemoteCmd {{true}} }}\n"));
        var jid = await site.SpoolAsync($$"""
            Job -title {retry all} -postscript { RemoteCmd -when always {sh -c "echo always >> {{At("always")}}"} } -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "test -e {{At("fix")}} || exit 3"} }
                {{quick}}
            }
            """);
        await Eventually.WaitUntilAsync(async () => File.Exists(At("always"))
            && (await site.Client.TasksAsync($"jid={jid} and tid=42")).Single().State == "blocked",
            Timeout, () => $"J{jid}'s error run to end; engine output:\n{site.EngineProcess?.Output}");
        await File.WriteAllTextAsync(At("fix"), "");

        // Done one task at a time, a blade could finish the fixed T1 before T2 was retried (a CI run saw it): all else was
        // done, so the postscript started its done run, and retrying it next ran its always command a third time. The
        // retry is one step now; this checks what it must come to, however the blade's timing falls.
        var reply = await site.Client.OperateAsync("retry", $"jid={jid}", "tester", force: false);
        Assert.Equal(41, reply.Affected);
        Assert.Equal($"J{jid} T42 is blocked", Assert.Single(reply.Refused).Split(':')[0]);
        await site.WaitForJobAsync(jid, j => j.NumDone == 42, Timeout, "done once every task is retried");
        Assert.Equal("always\nalways\n", await File.ReadAllTextAsync(At("always")));
    }

    [Fact]
    public async Task AnErrorPostscriptThatFails_LeavesTheJobInErrorForItsTaskOnly_TheNextErrorCommandStillRuns_AndTheRetriedJobGetsDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        string At(string name) => Path.Combine(site.Root, name);
        var jid = await site.SpoolAsync($$"""
            Job -title {failing post} -postscript {
                RemoteCmd -when error {sh -c "exit 4"}
                RemoteCmd -when error {sh -c "echo second >> {{At("second")}}"}
                RemoteCmd -when done {sh -c "echo done >> {{At("done")}}"}
            } -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "test -e {{At("fix")}} || exit 3"} }
            }
            """);

        // The failed error command is recorded as failed, the next one runs, and the postscript task waits again.
        await Eventually.WaitUntilAsync(async () => File.Exists(At("second"))
            && (await site.Client.TasksAsync($"jid={jid} and tid=2")).Single().State == "blocked",
            Timeout, () => $"J{jid}'s second error command to run and its postscript task to wait again; engine output:\n{site.EngineProcess?.Output}");
        var commands = (await site.Client.CommandsAsync($"jid={jid} and tid=2")).OrderBy(c => c.Cid).ToList();
        Assert.Equal(["error", "done", "blocked"], commands.Select(c => c.State));
        Assert.Contains("an error postscript command failed", await site.Client.TaskLogAsync(jid, 2));
        var job = Assert.Single(await site.Client.JobsAsync($"jid={jid}"));
        Assert.Equal(1, job.NumError);

        // Once the failed task is retried and done, the job's done command runs and the job is done.
        await File.WriteAllTextAsync(At("fix"), "");
        await site.Client.OperateAsync("retry", $"jid={jid} and tid=1", "tester", force: false);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Timeout, "done once its failed task is retried");
        Assert.Equal("done\n", await File.ReadAllTextAsync(At("done")));
        Assert.Equal("second\n", await File.ReadAllTextAsync(At("second")));
        // The error commands that ran keep how their run ended; the done command ran.
        Assert.Equal(["error", "done", "done"], (await site.Client.CommandsAsync($"jid={jid} and tid=2")).OrderBy(c => c.Cid).Select(c => c.State));
    }

    [Fact]
    public async Task AnErrorCommandStillWaitingForABlade_IsDropped_OnceTheFailedTaskIsRetried_AndTheJobGetsDone()
    {
        await using var site = new TestSite();
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "blade.config"), TwoProfiles);
        await site.StartEngineAsync();
        await site.StartBladeAsync("nuke-1", slots: 1);
        string At(string name) => Path.Combine(site.Root, name);
        // No blade provides Maya: the error command waits for one as long as the job is in error.
        var jid = await site.SpoolAsync($$"""
            Job -title {waiting post} -postscript {
                RemoteCmd -when error -service {Maya} {sh -c "echo error >> {{At("error")}}"}
                RemoteCmd -when done {sh -c "echo done >> {{At("done")}}"}
            } -subtasks {
                Task {a} -cmds { RemoteCmd {sh -c "test -e {{At("fix")}} || exit 3"} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={jid} and tid=2")).Single().State == "ready",
            Timeout, () => $"J{jid}'s error command to wait for a blade");

        await File.WriteAllTextAsync(At("fix"), "");
        await site.Client.OperateAsync("retry", $"jid={jid} and tid=1", "tester", force: false);

        await site.WaitForJobAsync(jid, j => j.NumDone == 2, Timeout, "done once its failed task is retried, without its error command");
        Assert.Equal("done\n", await File.ReadAllTextAsync(At("done")));
        Assert.False(File.Exists(At("error")), "the error command ran after the job's failed task was retried");
        // The error command that never ran is skipped in the done job, not left blocked as if something held it.
        Assert.Equal(["skipped", "done"], (await site.Client.CommandsAsync($"jid={jid} and tid=2")).OrderBy(c => c.Cid).Select(c => c.State));
    }

    [Fact]
    public async Task AnErrorRunCutOffByItsBlade_GoesOnFromTheCommandThatWasCutOff()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("""
            Job -title {cut post} -postscript {
                RemoteCmd -when error {notify first}
                RemoteCmd -when error {notify second}
            } -subtasks {
                Task {a} -cmds { RemoteCmd {render a} }
            }
            """);
        // A blade that speaks the protocol by hand, so the error run can be cut off at a known point.
        const string Name = "hand-blade";
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "render07.studio", 1, "test", boot, 1));
        var seq = 0L;
        async Task<Assignment> NextAsync() =>
            Assert.Single((await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 5000))).Assignments);
        async Task EndAsync(Assignment assignment, string type, int? exitCode = null)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await site.Client.ReportAsync(Name, new BladeReport(boot,
                [
                    new InvocationEvent(++seq, assignment.Iid, InvocationEventTypes.Started, now, Pid: 4242),
                    type == InvocationEventTypes.Exited
                        ? new InvocationEvent(++seq, assignment.Iid, type, now + 5, ExitCode: exitCode)
                        : new InvocationEvent(++seq, assignment.Iid, type, now + 5, Text: "the blade stopped"),
                ], [], 1, SentMs: now + 5));
        }

        var render = await NextAsync();
        Assert.Equal(["render", "a"], render.Argv);
        await EndAsync(render, InvocationEventTypes.Exited, 1);
        var first = await NextAsync();
        Assert.Equal(["notify", "first"], first.Argv);
        await EndAsync(first, InvocationEventTypes.Exited, 0);
        var second = await NextAsync();
        Assert.Equal(["notify", "second"], second.Argv);

        // The blade cuts the second error command off: the run goes on from it, not from the first, and not never.
        await EndAsync(second, InvocationEventTypes.Interrupted);
        var again = await NextAsync();
        Assert.Equal(["notify", "second"], again.Argv);
        Assert.Equal(second.Cid, again.Cid);
        await EndAsync(again, InvocationEventTypes.Exited, 0);
        await Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={jid} and tid=2")).Single().State == "blocked",
            Timeout, () => $"J{jid}'s postscript task to wait again once its error run is over");
        Assert.Equal([(first.Cid, "done"), (second.Cid, "interrupted"), (second.Cid, "done")],
            (await site.Client.InvocationsAsync($"jid={jid} and tid=2")).OrderBy(i => i.Iid).Select(i => (i.Cid, i.Status)));
    }

    [Fact]
    public async Task TheTractor1NukeScript_WithWhenDoneAndWhenError_Spools()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var path = Path.Combine(AppContext.BaseDirectory, "Corpus", "utsdab__usr__tractorNukeLib_generated_remote.alf");

        var jid = (await site.Client.SpoolAsync(await File.ReadAllTextAsync(path), new SpoolOptions("tester", path, Paused: true))).Jid;

        var posts = (await site.Client.CommandsAsync($"jid={jid}")).Where(c => c.RunType.StartsWith("post_", StringComparison.Ordinal));
        Assert.Equal([("post_done", "/bin/sh -c mail -s done comp"), ("post_error", "/bin/sh -c mail -s error comp")],
            posts.Select(c => (c.RunType, string.Join(' ', c.Argv))));

        // A job of nothing but an error postscript has nothing to run: it is done at once, no blade needed.
        var only = await site.SpoolAsync("Job -title {only} -postscript { RemoteCmd -when error {true} }");
        await site.WaitForJobAsync(only, j => j.NumDone == 1, Timeout, "done without running its -when error command");
    }
}
