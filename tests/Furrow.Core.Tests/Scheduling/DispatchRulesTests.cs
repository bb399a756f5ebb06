using Furrow.Core.Config;
using Furrow.Core.Scheduling;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>
/// The scheduler's one decision, on hand-built farms: every rule alone, the order the first reason follows, and the
/// full list `tq why` gets.
/// </summary>
public sealed class DispatchRulesTests
{
    private static readonly long Now = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------- builders

    /// <summary>A healthy Linux render blade: 16 cores, load 2, 32 GB free memory, 200 GB free disk, 4 free slots.</summary>
    private static BladeTraits Traits(string name = "render07", params string[] provides) =>
        new(name, name + ".farm", "linux", Set(provides.Length == 0 ? ["PixarRender", "Linux"] : provides), 16, 32, 200, 2);

    private static BladeSituation Blade(BladeTraits? traits = null) =>
        new(traits ?? Traits(), Up: true, Unprofiled: false, Nimby: false, FreeSlots: 4, MaxLoad: null, MinRamGB: 0, MinDiskGB: 0,
            OnEngineHost: false);

    private static JobSituation Job(long jid = 42, string owner = "alice") =>
        new(jid, owner, Paused: false, AfterMs: null, WaitingForJids: [], MaxActive: null, ActiveCount: 0, Blocklist: Set());

    private static CommandNeeds Needs(string service = "PixarRender", params string[] limits) =>
        new(Key(service), limits, AtLeast: 1, AtMost: 1, EngineHostOnly: false);

    private static HashSet<string> Set(params string[] items) => new(items, StringComparer.OrdinalIgnoreCase);

    private static LimitCounter Limits(string name, LimitDefinition definition) =>
        new(new LimitsConfig { Limits = new() { [name] = definition } });

    private static WaitReason? Check(JobSituation? job = null, CommandNeeds? needs = null, BladeSituation? blade = null,
        LimitCounter? limits = null, string? prerequisite = null, bool dispatchPaused = false, long? now = null,
        List<WaitReason>? all = null) =>
        DispatchRules.Check(dispatchPaused, job ?? Job(), prerequisite, needs ?? Needs(), blade ?? Blade(), limits, now ?? Now, all);

    private static WaitReason Refused(WaitKind kind, JobSituation? job = null, CommandNeeds? needs = null, BladeSituation? blade = null,
        LimitCounter? limits = null, string? prerequisite = null, bool dispatchPaused = false, long? now = null)
    {
        var reason = Check(job, needs, blade, limits, prerequisite, dispatchPaused, now);
        Assert.NotNull(reason);
        Assert.Equal(kind, reason.Kind);
        return reason;
    }

    // ---------------------------------------------------------------- the baseline

    [Fact]
    public void Check_EverythingSatisfied_ReturnsNullAndListsNothing()
    {
        var all = new List<WaitReason>();
        var limits = Limits("prman", new LimitDefinition { SiteMax = 10, BladeMax = 2, OwnerMax = 5 });

        Assert.Null(Check(needs: Needs("PixarRender && Linux && @.mem > 4", "prman"), limits: limits, all: all));
        Assert.Empty(all);
        Assert.Null(Check(needs: Needs("PixarRender && Linux && @.mem > 4", "prman"), limits: limits));
    }

    // ---------------------------------------------------------------- the farm and the job

    [Fact]
    public void Check_DispatchPaused_SaysTheWholeFarmAndHowToResume()
    {
        var reason = Refused(WaitKind.DispatchPaused, dispatchPaused: true);

        Assert.Contains("paused for the whole farm", reason.Text, StringComparison.Ordinal);
        Assert.Contains("tq resume-dispatch", reason.Text, StringComparison.Ordinal);
        Assert.Null(reason.Blade);
    }

    [Fact]
    public void Check_JobPaused_NamesTheJobAndHowToUnpause()
    {
        var reason = Refused(WaitKind.JobPaused, job: Job() with { Paused = true });

        Assert.Contains("job 42 is paused", reason.Text, StringComparison.Ordinal);
        Assert.Contains("tq unpause jid=42", reason.Text, StringComparison.Ordinal);
        Assert.Null(reason.Blade);
    }

    [Fact]
    public void Check_AfterInTheFuture_GivesStartTimeAndHowLongToGo()
    {
        var after = Now + (long)TimeSpan.FromMinutes(90).TotalMilliseconds;

        var reason = Refused(WaitKind.StartTime, job: Job() with { AfterMs = after });

        Assert.Contains("job 42 starts after 2024-03-01 13:30:00Z (-after)", reason.Text, StringComparison.Ordinal);
        Assert.Contains("in 1 h 30 min", reason.Text, StringComparison.Ordinal);
        Assert.Null(reason.Blade);
    }

    [Theory]
    [InlineData(5 * 60_000 + 7_000, "in 5 min 7 s")]
    [InlineData(30_000, "in 30 s")]
    [InlineData(1, "in 1 s")]
    public void Check_AfterSoon_SaysMinutesOrSeconds(long aheadMs, string expected)
    {
        var reason = Refused(WaitKind.StartTime, job: Job() with { AfterMs = Now + aheadMs });

        Assert.EndsWith(expected, reason.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-86_400_000)]
    public void Check_AfterNowOrPast_IsNoReason(long offsetMs)
    {
        Assert.Null(Check(job: Job() with { AfterMs = Now + offsetMs }));
    }

    [Fact]
    public void Check_AfterJidsNotDone_NamesThemSorted()
    {
        var reason = Refused(WaitKind.AfterJobs, job: Job() with { WaitingForJids = [17, 3, 9] });

        Assert.Contains("job 42 waits for job(s) 3, 9, 17 to finish", reason.Text, StringComparison.Ordinal);
        Assert.Contains("-afterjids", reason.Text, StringComparison.Ordinal);
        Assert.Null(reason.Blade);
    }

    [Fact]
    public void Check_MaxActiveReached_SaysHowManyRun()
    {
        var reason = Refused(WaitKind.MaxActive, job: Job() with { MaxActive = 3, ActiveCount = 3 });

        Assert.Contains("job 42 already runs 3 of its -maxactive 3 commands", reason.Text, StringComparison.Ordinal);
        Assert.Null(reason.Blade);
    }

    [Fact]
    public void Check_MaxActiveBelowCapOrNull_IsNoReason()
    {
        Assert.Null(Check(job: Job() with { MaxActive = 3, ActiveCount = 2 }));
        Assert.Null(Check(job: Job() with { MaxActive = null, ActiveCount = 500 }));
        Assert.Equal(WaitKind.MaxActive, Check(job: Job() with { MaxActive = 1, ActiveCount = 4 })?.Kind);
    }

    [Fact]
    public void Check_Prerequisite_PassesTheTextThrough()
    {
        const string why = "waits for subtask 7 \"render frame 12\" (blocked)";

        var reason = Refused(WaitKind.Prerequisite, prerequisite: why);

        Assert.Equal(why, reason.Text);
        Assert.Null(reason.Blade);
    }

    // ---------------------------------------------------------------- the blade

    [Fact]
    public void Check_BladeDown_NamesTheBlade()
    {
        var reason = Refused(WaitKind.BladeDown, blade: Blade() with { Up = false });

        Assert.Equal("is not up", reason.Text);
        Assert.Equal("render07", reason.Blade);
        Assert.Equal("render07: is not up", reason.ToString());
    }

    [Fact]
    public void Check_BladeUnprofiled_PointsAtBladeConfig()
    {
        var reason = Refused(WaitKind.BladeUnprofiled, blade: Blade() with { Unprofiled = true });

        Assert.Contains("no profile of blade.config", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_ProfileNimbyOne_SaysTheFileHoldsIt_NotTqUnnimby()
    {
        var reason = Refused(WaitKind.BladeNimby, blade: Blade() with { NimbyByProfile = true });

        Assert.Contains("blade.config profile (NIMBY 1)", reason.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("tq unnimby", reason.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ProfileNimbyNamingAUser_TakesOnlyThatUsersJobs()
    {
        var blade = Blade() with { NimbyOwner = "bob" };

        Assert.Null(Check(job: Job(owner: "bob"), blade: blade));
        var reason = Refused(WaitKind.BladeNimby, job: Job(owner: "alice"), blade: blade);
        Assert.Contains("takes only bob's jobs", reason.Text, StringComparison.Ordinal);
        Assert.Contains("alice", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_BladeNimby_SaysHowToUnnimby()
    {
        var reason = Refused(WaitKind.BladeNimby, blade: Blade() with { Nimby = true });

        Assert.Contains("is nimby", reason.Text, StringComparison.Ordinal);
        Assert.Contains("tq unnimby render07", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_LoadPerCoreAboveMaxLoad_GivesLoadCoresAndCap()
    {
        var blade = Blade(Traits() with { Load = 40 }) with { MaxLoad = 2 };

        var reason = Refused(WaitKind.BladeLoad, blade: blade);

        Assert.Contains("has load 40 on 16 core(s)", reason.Text, StringComparison.Ordinal);
        Assert.Contains("MaxLoad 2 per core", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_LoadCompared_PerCoreNotRaw()
    {
        // Raw load 30 is far above 2, but 30 / 16 cores = 1.875 per core is below it.
        Assert.Null(Check(blade: Blade(Traits() with { Load = 30 }) with { MaxLoad = 2 }));
        // Exactly at the cap is not above it.
        Assert.Null(Check(blade: Blade(Traits() with { Load = 32 }) with { MaxLoad = 2 }));
        // A blade reporting no cores is taken as one core.
        Assert.Equal(WaitKind.BladeLoad, Check(blade: Blade(Traits() with { Cores = 0, Load = 3 }) with { MaxLoad = 2 })?.Kind);
    }

    [Fact]
    public void Check_LoadUnknownOrNoMaxLoad_IsNoReason()
    {
        Assert.Null(Check(blade: Blade(Traits() with { Load = double.NaN }) with { MaxLoad = 0.5 }));
        Assert.Null(Check(blade: Blade(Traits() with { Load = 1000 }) with { MaxLoad = null }));
    }

    [Fact]
    public void Check_FreeMemoryBelowMinRam_GivesBothFigures()
    {
        var blade = Blade(Traits() with { MemoryGB = 3.5 }) with { MinRamGB = 8 };

        var reason = Refused(WaitKind.BladeMemory, blade: blade);

        Assert.Contains("has 3.5 GB free memory", reason.Text, StringComparison.Ordinal);
        Assert.Contains("MinRAM 8 GB", reason.Text, StringComparison.Ordinal);
        Assert.Null(Check(blade: blade with { MinRamGB = 3.5 }));
        Assert.Null(Check(blade: blade with { MinRamGB = 0 }));
    }

    [Fact]
    public void Check_FreeDiskBelowMinDisk_GivesBothFigures()
    {
        var blade = Blade(Traits() with { DiskGB = 5 }) with { MinDiskGB = 20 };

        var reason = Refused(WaitKind.BladeDisk, blade: blade);

        Assert.Contains("has 5 GB free disk", reason.Text, StringComparison.Ordinal);
        Assert.Contains("MinDisk 20 GB", reason.Text, StringComparison.Ordinal);
        Assert.Null(Check(blade: blade with { MinDiskGB = 5 }));
    }

    [Fact]
    public void Check_NoFreeSlot_AlsoSaysWhatAtLeastNeeds_ForACommandThatNeedsSeveral()
    {
        var all = new List<WaitReason>();
        var needs = Needs() with { AtLeast = 4, AtMost = 4 };

        var reason = Check(needs: needs, blade: Blade() with { FreeSlots = 0 }, all: all);

        Assert.NotNull(reason);
        Assert.Equal(WaitKind.BladeSlots, reason.Kind);
        Assert.Equal("has no free slot", reason.Text);
        Assert.Equal("render07", reason.Blade);
        // One slot coming free will not start it: tq why and tq trace say what it waits for.
        Assert.Equal(["has no free slot", "the command needs 4 free slots at once (-atleast)"], all.Select(r => r.Text));
        Assert.All(all, r => Assert.Equal(("render07", WaitKind.BladeSlots), (r.Blade, r.Kind)));
    }

    [Fact]
    public void Check_NoFreeSlot_IsOneReason_ForACommandThatNeedsOne()
    {
        var all = new List<WaitReason>();

        Check(blade: Blade() with { FreeSlots = 0 }, all: all);

        Assert.Equal(["has no free slot"], all.Select(r => r.Text));
    }

    [Fact]
    public void Check_AtLeastAboveFreeSlots_GivesBothCounts()
    {
        var reason = Refused(WaitKind.BladeSlots, needs: Needs() with { AtLeast = 4, AtMost = 8 }, blade: Blade() with { FreeSlots = 2 });

        Assert.Equal("has 2 free slot(s), the command needs 4 (-atleast)", reason.Text);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_AtLeastEqualToFreeSlots_Fits()
    {
        Assert.Null(Check(needs: Needs() with { AtLeast = 2, AtMost = 8 }, blade: Blade() with { FreeSlots = 2 }));
    }

    // ---------------------------------------------------------------- the command against the blade

    [Fact]
    public void Check_LocalCmdOnRemoteBlade_RefusedOnEngineHostBladeFine()
    {
        var needs = Needs() with { EngineHostOnly = true };

        var reason = Refused(WaitKind.EngineHostOnly, needs: needs, blade: Blade() with { OnEngineHost = false });

        Assert.Contains("not on the engine's host", reason.Text, StringComparison.Ordinal);
        Assert.Contains("local Cmd", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
        Assert.Null(Check(needs: needs, blade: Blade() with { OnEngineHost = true }));
        // A remote command may run on the engine host's blade too.
        Assert.Null(Check(blade: Blade() with { OnEngineHost = true }));
    }

    [Fact]
    public void Check_BareKeyProvided_Fits()
    {
        Assert.Null(Check(needs: Needs("PixarRender")));
        Assert.Null(Check(needs: Needs("pixarrender")));
    }

    [Fact]
    public void Check_BareKeyNotProvided_NamesTheKeyAndTheExpression()
    {
        var reason = Refused(WaitKind.ServiceKey, needs: Needs("NukeRender"));

        Assert.Equal("does not provide NukeRender (service key NukeRender)", reason.Text);
        Assert.Equal("render07", reason.Blade);
    }

    [Fact]
    public void Check_Or_FitsWhenOneAlternativeIsProvided()
    {
        Assert.Null(Check(needs: Needs("NukeRender || PixarRender")));

        var reason = Refused(WaitKind.ServiceKey, needs: Needs("NukeRender || RfMRender"));

        Assert.Contains("provides none of NukeRender, RfMRender", reason.Text, StringComparison.Ordinal);
        Assert.Contains("(service key NukeRender || RfMRender)", reason.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_And_NeedsEveryKey()
    {
        Assert.Null(Check(needs: Needs("PixarRender && Linux")));

        var reason = Refused(WaitKind.ServiceKey, needs: Needs("PixarRender && Windows"));

        Assert.Contains("does not provide Windows", reason.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("does not provide PixarRender", reason.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Not_RefusesABladeProvidingTheKey()
    {
        Assert.Null(Check(needs: Needs("PixarRender && !slow")));

        var reason = Refused(WaitKind.ServiceKey, needs: Needs("PixarRender && !slow"),
            blade: Blade(Traits("render07", "PixarRender", "Linux", "slow")));

        Assert.Contains("provides slow, excluded by !slow", reason.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MemoryTest_GivesTheBladesFigureAndTheTest()
    {
        Assert.Null(Check(needs: Needs("@.mem > 4"), blade: Blade(Traits() with { MemoryGB = 8 })));

        var reason = Refused(WaitKind.ServiceKey, needs: Needs("@.mem > 4"), blade: Blade(Traits() with { MemoryGB = 2.5 }));

        Assert.Contains("has 2.5 GB free memory", reason.Text, StringComparison.Ordinal);
        Assert.Contains("needs @.mem > 4", reason.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ResourceTestOnUnknownFigure_Refuses()
    {
        var reason = Refused(WaitKind.ServiceKey, needs: Needs("PixarRender && @.mem > 4"),
            blade: Blade(Traits() with { MemoryGB = double.NaN }));

        Assert.Contains("has not reported its free memory", reason.Text, StringComparison.Ordinal);
        Assert.Contains("@.mem > 4", reason.Text, StringComparison.Ordinal);
        // Nor does its negation match: an unknown figure meets no test.
        Assert.Equal(WaitKind.ServiceKey,
            Check(needs: Needs("@.mem != 4"), blade: Blade(Traits() with { MemoryGB = double.NaN }))?.Kind);
    }

    [Fact]
    public void Check_EmptyKey_MatchesAnyBlade()
    {
        var bare = Blade(new BladeTraits("odd01", "odd01", "windows", Set(), 1, double.NaN, double.NaN, double.NaN));

        Assert.Null(Check(needs: Needs(""), blade: bare));
        Assert.Null(Check(needs: new CommandNeeds(ServiceKey.None, [], 1, 1, false), blade: bare));
        Assert.Equal(WaitKind.ServiceKey, Check(needs: Needs("PixarRender"), blade: bare)?.Kind);
    }

    [Fact]
    public void Check_NullProvides_ProvidesEveryKey()
    {
        var noConfig = Blade(Traits() with { Provides = null });

        Assert.Null(Check(needs: Needs("AnythingAtAll && NukeRender"), blade: noConfig));
        // Providing every key, it also provides the one a negation excludes.
        var reason = Refused(WaitKind.ServiceKey, needs: Needs("!slow"), blade: noConfig);
        Assert.Contains("excluded by !slow", reason.Text, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- blocklist

    [Fact]
    public void Check_Blocklisted_ForThisJobOnly()
    {
        var blocked = Job(42) with { Blocklist = Set("render07") };

        var reason = Refused(WaitKind.Blocklisted, job: blocked);

        Assert.Contains("blocklisted for job 42", reason.Text, StringComparison.Ordinal);
        Assert.Contains("tq unblock 42 render07", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
        Assert.Null(Check(job: Job(43)));
        Assert.Null(Check(job: blocked, blade: Blade(Traits("render08"))));
    }

    // ---------------------------------------------------------------- limits

    [Fact]
    public void Check_SiteCapReached_RefusesUntilReleased()
    {
        var limits = Limits("prman", new LimitDefinition { SiteMax = 2 });
        string[] names = ["prman"];
        limits.Acquire(names, "render01.farm", "bob");
        Assert.Null(Check(needs: Needs("PixarRender", "prman"), limits: limits));
        limits.Acquire(names, "render02.farm", "bob");

        var reason = Refused(WaitKind.Limit, needs: Needs("PixarRender", "prman"), limits: limits);

        Assert.Contains("limit prman is at its site-wide cap (2 of 2 in use)", reason.Text, StringComparison.Ordinal);
        Assert.Equal("render07", reason.Blade);
        limits.Release(names, "render02.farm", "bob");
        Assert.Null(Check(needs: Needs("PixarRender", "prman"), limits: limits));
    }

    [Fact]
    public void Check_PerHostCap_RefusesThatHostOnly()
    {
        var limits = Limits("nuke", new LimitDefinition { BladeMax = 1 });
        limits.Acquire(["nuke"], "render07.farm", "bob");
        var needs = Needs("", "nuke");

        var reason = Refused(WaitKind.Limit, needs: needs, limits: limits);

        Assert.Contains("limit nuke is at its per-host cap on render07.farm (1 of 1)", reason.Text, StringComparison.Ordinal);
        Assert.Null(Check(needs: needs, blade: Blade(Traits("render08")), limits: limits));
    }

    [Fact]
    public void Check_OwnerCap_RefusesThatOwnerOnly()
    {
        var limits = Limits("nuke", new LimitDefinition { OwnerMax = 1 });
        limits.Acquire(["nuke"], "render01.farm", "alice");
        var needs = Needs("", "nuke");

        var reason = Refused(WaitKind.Limit, job: Job(42, "alice"), needs: needs, limits: limits);

        Assert.Contains("limit nuke is at its per-owner cap for alice (1 of 1)", reason.Text, StringComparison.Ordinal);
        Assert.Null(Check(job: Job(43, "bob"), needs: needs, limits: limits));
    }

    [Fact]
    public void Check_NamesNotInLimitsConfig_AreNotLimited()
    {
        var limits = Limits("prman", new LimitDefinition { SiteMax = 0 });

        Assert.Null(Check(needs: Needs("PixarRender", "nuke", "houdini"), limits: limits));
        Assert.Null(Check(needs: Needs("PixarRender"), limits: limits));
        Assert.Equal(WaitKind.Limit, Check(needs: Needs("PixarRender", "nuke", "PRMAN"), limits: limits)?.Kind);
    }

    [Fact]
    public void Check_NoLimitsConfig_LimitsNothing()
    {
        Assert.Null(Check(needs: Needs("PixarRender", "prman"), limits: null));
    }

    // ---------------------------------------------------------------- order

    /// <summary>Everything wrong at once: each problem can be switched off in turn.</summary>
    private sealed record Troubles(bool Farm = true, bool Paused = true, bool After = true, bool AfterJids = true, bool MaxActive = true,
        bool Prerequisite = true, bool Down = true, bool Unprofiled = true, bool Nimby = true, bool Load = true, bool Memory = true,
        bool Disk = true, bool NoSlot = true, bool AtLeast = true, bool Remote = true, bool Service = true, bool Blocked = true,
        bool Limit = true)
    {
        public WaitReason? Check(List<WaitReason>? all = null)
        {
            var job = Job(42) with
            {
                Paused = Paused,
                AfterMs = After ? Now + 60_000 : null,
                WaitingForJids = AfterJids ? [7] : [],
                MaxActive = MaxActive ? 1 : null,
                ActiveCount = 1,
                Blocklist = Blocked ? Set("render07") : Set(),
            };
            var traits = Traits() with { Load = Load ? 64 : 2, MemoryGB = Memory ? 1 : 32, DiskGB = Disk ? 1 : 200 };
            var blade = Blade(traits) with
            {
                Up = !Down,
                Unprofiled = Unprofiled,
                Nimby = Nimby,
                MaxLoad = 2,
                MinRamGB = 4,
                MinDiskGB = 10,
                FreeSlots = NoSlot ? 0 : 1,
                OnEngineHost = !Remote,
            };
            var needs = Needs(Service ? "NukeRender" : "PixarRender", "prman") with { AtLeast = AtLeast ? 2 : 1, AtMost = 2, EngineHostOnly = true };
            var limits = Limits("prman", new LimitDefinition { SiteMax = Limit ? 0 : 5 });
            return DispatchRules.Check(Farm, job, Prerequisite ? "waits for subtask 3" : null, needs, blade, limits, Now, all);
        }
    }

    private static readonly WaitKind[] DocumentedOrder =
    [
        WaitKind.DispatchPaused, WaitKind.JobPaused, WaitKind.StartTime, WaitKind.AfterJobs, WaitKind.MaxActive, WaitKind.Prerequisite,
        WaitKind.BladeDown, WaitKind.BladeUnprofiled, WaitKind.BladeNimby, WaitKind.BladeLoad, WaitKind.BladeMemory, WaitKind.BladeDisk,
        WaitKind.BladeSlots, WaitKind.BladeSlots, WaitKind.EngineHostOnly, WaitKind.ServiceKey, WaitKind.Blocklisted, WaitKind.Limit,
    ];

    [Fact]
    public void Check_ManyProblems_FirstReasonIsTheFarm()
    {
        Assert.Equal(WaitKind.DispatchPaused, new Troubles().Check()?.Kind);
    }

    [Fact]
    public void Check_ManyProblems_FixingEachInTurnRevealsTheNextInDocumentedOrder()
    {
        var troubles = new Troubles();
        var seen = new List<WaitReason?>();
        Func<Troubles, Troubles>[] fixes =
        [
            t => t with { Farm = false }, t => t with { Paused = false }, t => t with { After = false },
            t => t with { AfterJids = false }, t => t with { MaxActive = false }, t => t with { Prerequisite = false },
            t => t with { Down = false }, t => t with { Unprofiled = false }, t => t with { Nimby = false },
            t => t with { Load = false }, t => t with { Memory = false }, t => t with { Disk = false },
            t => t with { NoSlot = false }, t => t with { AtLeast = false }, t => t with { Remote = false },
            t => t with { Service = false }, t => t with { Blocked = false }, t => t with { Limit = false },
        ];

        foreach (var fix in fixes)
        {
            seen.Add(troubles.Check());
            troubles = fix(troubles);
        }

        Assert.Equal(DocumentedOrder, seen.Select(r => r?.Kind ?? (WaitKind)(-1)));
        Assert.Equal("has no free slot", seen[12]?.Text);
        Assert.StartsWith("has 1 free slot(s)", seen[13]?.Text, StringComparison.Ordinal);
        Assert.Null(troubles.Check());
    }

    [Fact]
    public void Check_JobBeforePrerequisiteBeforeBlade()
    {
        Assert.Equal(WaitKind.JobPaused,
            Check(job: Job() with { Paused = true }, prerequisite: "waits for subtask 3", blade: Blade() with { Up = false })?.Kind);
        Assert.Equal(WaitKind.Prerequisite, Check(prerequisite: "waits for subtask 3", blade: Blade() with { Up = false })?.Kind);
        Assert.Equal(WaitKind.BladeDown,
            Check(needs: Needs("NukeRender"), blade: Blade() with { Up = false }, job: Job() with { Blocklist = Set("render07") })?.Kind);
    }

    [Fact]
    public void Check_ServiceBeforeBlocklistBeforeLimit()
    {
        var limits = Limits("prman", new LimitDefinition { SiteMax = 0 });
        var blocked = Job() with { Blocklist = Set("render07") };

        Assert.Equal(WaitKind.ServiceKey, Check(job: blocked, needs: Needs("NukeRender", "prman"), limits: limits)?.Kind);
        Assert.Equal(WaitKind.Blocklisted, Check(job: blocked, needs: Needs("PixarRender", "prman"), limits: limits)?.Kind);
        Assert.Equal(WaitKind.Limit, Check(needs: Needs("PixarRender", "prman"), limits: limits)?.Kind);
    }

    [Fact]
    public void Check_WithList_CollectsEveryReasonInOrder_AndReturnsTheFirst()
    {
        var all = new List<WaitReason>();

        // With no free slot at all, a command that needs two still says so: one slot coming free will not start it.
        var first = new Troubles().Check(all);

        Assert.Equal(DocumentedOrder, all.Select(r => r.Kind));
        Assert.Same(all[0], first);
        Assert.Contains(all, r => r.Text == "has no free slot");
        Assert.Contains(all, r => r.Text == "the command needs 2 free slots at once (-atleast)");
        Assert.All(all.Take(6), r => Assert.Null(r.Blade));
        Assert.All(all.Skip(6), r => Assert.Equal("render07", r.Blade));
    }

    [Fact]
    public void Check_WithList_GivesAtLeastWhenSomeSlotsAreFree()
    {
        var all = new List<WaitReason>();

        new Troubles { NoSlot = false }.Check(all);

        Assert.Equal(DocumentedOrder.Where((_, i) => i != 12), all.Select(r => r.Kind));
        Assert.Contains(all, r => r.Text == "has 1 free slot(s), the command needs 2 (-atleast)");
    }

    [Fact]
    public void Check_WithList_AppendsToWhatIsAlreadyThere()
    {
        var earlier = new WaitReason(WaitKind.NoBladeUp, "earlier");
        var all = new List<WaitReason> { earlier };

        var first = Check(needs: Needs("NukeRender"), blade: Blade() with { Nimby = true }, all: all);

        Assert.Equal([WaitKind.NoBladeUp, WaitKind.BladeNimby, WaitKind.ServiceKey], all.Select(r => r.Kind));
        Assert.Equal(WaitKind.BladeNimby, first?.Kind);
    }

    [Fact]
    public void JobReason_WithList_CollectsAllFourInOrder()
    {
        var all = new List<WaitReason>();
        var job = Job() with { Paused = true, AfterMs = Now + 1000, WaitingForJids = [5], MaxActive = 2, ActiveCount = 2 };

        var first = DispatchRules.JobReason(job, Now, all);

        Assert.Equal([WaitKind.JobPaused, WaitKind.StartTime, WaitKind.AfterJobs, WaitKind.MaxActive], all.Select(r => r.Kind));
        Assert.Equal(WaitKind.JobPaused, first?.Kind);
        Assert.Equal(WaitKind.JobPaused, DispatchRules.JobReason(job, Now)?.Kind);
        Assert.Null(DispatchRules.JobReason(Job(), Now));
    }

    [Fact]
    public void BladeReason_IgnoresTheCommand_AndCollectsEveryBladeProblem()
    {
        var all = new List<WaitReason>();
        var blade = Blade(Traits() with { Load = 64, MemoryGB = 1, DiskGB = 1 }) with
        {
            Up = false, Unprofiled = true, Nimby = true, MaxLoad = 2, MinRamGB = 4, MinDiskGB = 10, FreeSlots = 0,
        };

        var first = DispatchRules.BladeReason(blade, all);

        Assert.Equal(
            [WaitKind.BladeDown, WaitKind.BladeUnprofiled, WaitKind.BladeNimby, WaitKind.BladeLoad, WaitKind.BladeMemory,
                WaitKind.BladeDisk, WaitKind.BladeSlots],
            all.Select(r => r.Kind));
        Assert.Equal(WaitKind.BladeDown, first?.Kind);
        Assert.Null(DispatchRules.BladeReason(Blade()));
    }

    // ---------------------------------------------------------------- the quiet form dispatch uses

    [Fact]
    public void Fits_AgreesWithFitsBlade_WhateverHoldsTheCommandBack()
    {
        var limits = Limits("lic", new LimitDefinition { SiteMax = 4, BladeMax = 2, OwnerMax = 1 });
        string[] lic = ["lic"];
        limits.Acquire(lic, "render01.farm", "bob");
        limits.Acquire(lic, "render07.farm", "carol");
        limits.Acquire(lic, "render07.farm", "dave");
        var cases = new (string What, JobSituation Job, CommandNeeds Needs, BladeSituation Blade)[]
        {
            ("fits", Job(), Needs(), Blade()),
            ("service key", Job(), Needs("Nuke"), Blade()),
            ("blocklisted", Job() with { Blocklist = Set("render07") }, Needs(), Blade()),
            ("limit per host", Job(), Needs("PixarRender", "lic"), Blade()),
            ("limit per owner", Job(owner: "bob"), Needs("PixarRender", "lic"), Blade(Traits("render02"))),
            ("limit free", Job(), Needs("PixarRender", "lic"), Blade(Traits("render03"))),
            ("atleast", Job(), Needs() with { AtLeast = 8 }, Blade()),
            ("nimby owner", Job(), Needs(), Blade() with { NimbyOwner = "bob" }),
            ("engine host", Job(), Needs() with { EngineHostOnly = true }, Blade()),
            ("blade down", Job(), Needs(), Blade() with { Up = false }),
        };
        foreach (var (what, job, needs, blade) in cases)
        {
            var reason = DispatchRules.FitsBlade(job, needs, blade, limits);
            Assert.True(DispatchRules.Fits(job, needs, blade, limits) == (reason is null), $"{what}: Fits disagrees with '{reason}'");
        }
        Assert.Equal(WaitKind.Limit, DispatchRules.FitsBlade(Job(owner: "bob"), Needs("PixarRender", "lic"), Blade(Traits("render02")), limits)?.Kind);
        Assert.Null(DispatchRules.FitsBlade(Job(), Needs("PixarRender", "lic"), Blade(Traits("render03")), limits));
    }

    // ---------------------------------------------------------------- -samehost

    [Theory]
    [InlineData(true, 1, 0, "render07", "render07")]  // the previous command ran on render07
    [InlineData(true, 2, 2, "render07", "render07")]  // its own run was cut off on render07, where its predecessor ran
    [InlineData(true, 0, 0, "render07", null)]        // a task's first command (and a retried task's) goes anywhere
    [InlineData(false, 1, 0, "render07", null)]       // no -samehost
    [InlineData(true, 2, 0, "render07", null)]        // the command before it did not run (skipped)
    [InlineData(true, 1, null, null, null)]           // nothing of the task has run
    public void SameHostBlade_IsTheBladeOfTheCommandBefore_OnlyForAFlaggedCommandAfterTheFirst(bool sameHost, int index, int? lastIndex,
        string? lastBlade, string? expected) =>
        Assert.Equal(expected, DispatchRules.SameHostBlade(sameHost, index, lastIndex, lastBlade));

    [Fact]
    public void Check_SameHost_OnTheBladeItWaitsFor_Fits_AndOnAnyOther_NamesThatBladeAndTheOption()
    {
        var needs = Needs() with { SameHostBlade = "render07" };
        Assert.Null(Check(needs: needs));
        Assert.True(DispatchRules.Fits(Job(), needs, Blade(), null));

        var other = Blade(Traits("render08"));
        var reason = Refused(WaitKind.SameHost, needs: needs, blade: other);
        Assert.Equal("render08: is not render07, the blade that ran the task's previous command (-samehost)", reason.ToString());
        Assert.False(DispatchRules.Fits(Job(), needs, other, null));
        // Without the pin the same blade takes it.
        Assert.True(DispatchRules.Fits(Job(), Needs(), other, null));
        // A -refersto pin names the command that ran there.
        var referred = Refused(WaitKind.SameHost, needs: needs with { PinnedBy = "command T2 C3 (-refersto srv)" }, blade: other);
        Assert.Equal("render08: is not render07, the blade that ran command T2 C3 (-refersto srv)", referred.ToString());
    }

    [Fact]
    public void Check_SameHost_OnItsOwnBlade_StillObeysTheBlade()
    {
        var needs = Needs() with { SameHostBlade = "render07" };
        Assert.Equal(WaitKind.BladeNimby, Refused(WaitKind.BladeNimby, needs: needs, blade: Blade() with { Nimby = true }).Kind);
        Assert.False(DispatchRules.Fits(Job(), needs, Blade() with { FreeSlots = 0 }, null));
    }

    [Fact]
    public void SameHostWait_NamesTheBlade_TheOption_AndWhatHoldsTheBladeBack()
    {
        Assert.Equal("waits for blade render07, which ran command T2 C3 (-refersto srv), and render07 is down",
            DispatchRules.SameHostWait("render07", "is down", "command T2 C3 (-refersto srv)").Text);
        Assert.Equal("waits for blade render07, which ran the task's previous command (-samehost)",
            DispatchRules.SameHostWait("render07", null).Text);
        Assert.Equal("waits for blade render07, which ran the task's previous command (-samehost), and render07 is nimby (tq unnimby render07)",
            DispatchRules.SameHostWait("render07", "is nimby (tq unnimby render07)").Text);
        Assert.Equal(WaitKind.SameHost, DispatchRules.SameHostWait("render07", null).Kind);
    }
}
