namespace Furrow.Core.Scheduling;

/// <summary>What kind of thing keeps a command from running; <see cref="WaitReason.Text"/> says it in words.</summary>
public enum WaitKind
{
    /// <summary>The whole farm's dispatching is paused (`tq pause-dispatch`, the Dashboard's admin panel).</summary>
    DispatchPaused,
    JobPaused,

    /// <summary>The job's `-after` start time is still to come.</summary>
    StartTime,

    /// <summary>The job's `-afterjids` name jobs that are not done yet.</summary>
    AfterJobs,

    /// <summary>A subtask, Instance target or serial sibling is not done yet.</summary>
    Prerequisite,

    /// <summary>The job already runs `-maxactive` commands.</summary>
    MaxActive,
    NoBladeUp,
    BladeDown,

    /// <summary>The site has a blade.config and no profile of it matches the blade.</summary>
    BladeUnprofiled,
    BladeNimby,
    BladeLoad,
    BladeMemory,
    BladeDisk,

    /// <summary>The blade has fewer free slots than the command's `-atleast` (or none at all).</summary>
    BladeSlots,

    /// <summary>A `Cmd`/`Command` (local) command runs only on a blade on the engine's own host.</summary>
    EngineHostOnly,
    ServiceKey,

    /// <summary>This job's commands failed too often on the blade, which no longer gets them.</summary>
    Blocklisted,

    /// <summary>A limit of limits.config is at its site-wide or per-host cap.</summary>
    Limit,

    /// <summary>A `-samehost 1` command runs only on the blade that ran its task's previous command.</summary>
    SameHost,
}

/// <summary>One reason a command does not run now, in words a wrangler acts on.</summary>
/// <param name="Blade">The blade it concerns, for reasons that depend on the blade; null for the job's own.</param>
public sealed record WaitReason(WaitKind Kind, string Text, string? Blade = null)
{
    public override string ToString() => Blade is null ? Text : $"{Blade}: {Text}";
}

/// <summary>What the rules know of a job at the moment of a decision.</summary>
/// <param name="AfterMs">The `-after` start time (Unix ms), or null.</param>
/// <param name="WaitingForJids">Jobs of `-afterjids` that are not done yet.</param>
/// <param name="MaxActive">The job's `-maxactive` (commands at once), or null for no cap.</param>
/// <param name="ActiveCount">Commands of this job running now.</param>
/// <param name="Blocklist">Blades this job's commands no longer go to, after failing there too often.</param>
public sealed record JobSituation(
    long Jid,
    string Owner,
    bool Paused,
    long? AfterMs,
    IReadOnlyCollection<long> WaitingForJids,
    int? MaxActive,
    int ActiveCount,
    IReadOnlySet<string> Blocklist);

/// <summary>What a command asks of a blade.</summary>
/// <param name="Service">The effective service-key expression (command's, else task's, else job's).</param>
/// <param name="Limits">Names of limits.config limits the command counts against (its tags and service keys).</param>
/// <param name="AtLeast">Slots it needs free on the blade (`-atleast`, at least 1).</param>
/// <param name="AtMost">Slots it takes when more are free (`-atmost`, at least <paramref name="AtLeast"/>).</param>
/// <param name="EngineHostOnly">A `Cmd`/`Command` (local) command, which runs only on the engine host's blade.</param>
/// <param name="SameHostBlade">
/// The one blade a `-samehost 1` command may run on: the blade that ran its task's previous command
/// (<see cref="DispatchRules.SameHostBlade"/>), or, for a `-refersto ID` command, the blade that ran the command of
/// `-id` ID; null when any blade may take it.
/// </param>
/// <param name="PinnedBy">
/// What ran on <paramref name="SameHostBlade"/> and why that binds the command, in the words of its reasons: null for
/// `-samehost` ("the task's previous command (-samehost)"), else such as "command T2 C3 (-refersto srv)".
/// </param>
public sealed record CommandNeeds(ServiceKey Service, IReadOnlyList<string> Limits, int AtLeast, int AtMost, bool EngineHostOnly,
    string? SameHostBlade = null, string? PinnedBy = null);

/// <summary>What the rules know of a blade at the moment of a decision.</summary>
/// <param name="Up">Registered and reporting (not silent).</param>
/// <param name="FreeSlots">Slots not taken by running commands.</param>
/// <param name="MaxLoad">The profile's `MaxLoad` (load average per core): no new work while the blade is above it; null for none.</param>
/// <param name="MinRamGB">The profile's `MinRAM` (GB free): no new work while free memory is below it; 0 for none.</param>
/// <param name="MinDiskGB">The profile's `MinDisk` (GB free): no new work while free disk is below it; 0 for none.</param>
/// <param name="OnEngineHost">The blade runs on the engine's own host.</param>
/// <param name="Unprofiled">The site has a blade.config and none of its profiles matches this blade.</param>
/// <param name="NimbyOwner">A profile's NIMBY naming a user: the blade takes only that user's jobs; null for none.</param>
/// <param name="NimbyByProfile">Its blade.config profile's NIMBY is 1 (no work); only the file changes that, not `tq unnimby`.</param>
public sealed record BladeSituation(
    BladeTraits Traits,
    bool Up,
    bool Unprofiled,
    bool Nimby,
    int FreeSlots,
    double? MaxLoad,
    double MinRamGB,
    double MinDiskGB,
    bool OnEngineHost,
    string? NimbyOwner = null,
    bool NimbyByProfile = false)
{
    public string Name => Traits.Name;
}

/// <summary>
/// The one decision of the scheduler: may this command run on this blade now, and if not, why. Dispatch asks it for
/// the first reason only; `tq why` asks for every reason. Pure: no clock (the time is an argument), no I/O.
/// </summary>
public static class DispatchRules
{
    /// <summary>The reason every command waits while the farm's dispatching is paused.</summary>
    public static WaitReason DispatchPausedReason { get; } =
        new(WaitKind.DispatchPaused, "dispatching is paused for the whole farm (tq resume-dispatch)");

    /// <summary>
    /// Checks everything in a fixed order: the farm, the job, the task's prerequisites, then <see cref="FitsBlade"/>
    /// (the blade, the command against the blade, limits).
    /// </summary>
    /// <param name="prerequisite">Why the task's own prerequisites are unfinished (from its job graph), or null.</param>
    /// <param name="limits">Current limit counts; null when the site defines no limits.</param>
    /// <param name="all">When given, every reason is added to it; otherwise the check stops at the first.</param>
    /// <returns>The first reason the command cannot run on the blade now, or null when it may.</returns>
    public static WaitReason? Check(bool dispatchPaused, JobSituation job, string? prerequisite, CommandNeeds command,
        BladeSituation blade, LimitCounter? limits, long nowMs, List<WaitReason>? all = null)
    {
        WaitReason? first = null;
        bool Add(WaitReason? reason)
        {
            if (reason is null)
                return false;
            first ??= reason;
            return all is null;
        }

        if (dispatchPaused)
        {
            all?.Add(DispatchPausedReason);
            if (Add(DispatchPausedReason))
                return first;
        }
        if (Add(JobReason(job, nowMs, all)))
            return first;
        if (prerequisite is not null)
        {
            var reason = new WaitReason(WaitKind.Prerequisite, prerequisite);
            all?.Add(reason);
            if (Add(reason))
                return first;
        }
        Add(FitsBlade(job, command, blade, limits, all));
        return first;
    }

    /// <summary>
    /// <see cref="FitsBlade"/>'s answer without its reasons' words: true when the command may run on the blade now. For
    /// dispatch, which asks it for every class of every queued job each time a blade polls and only needs yes or no;
    /// composing a sentence for each refusal cost more than the checks themselves when a limit held most work back.
    /// </summary>
    public static bool Fits(JobSituation job, CommandNeeds command, BladeSituation blade, LimitCounter? limits) =>
        FitsBlade(job, command, blade, limits, all: null, explain: false) is null;

    /// <summary>
    /// The part of <see cref="Check"/> that depends on the blade: a `-samehost` command's one blade, the blade's own state
    /// (<see cref="BladeReason"/>), then the command against it (slots, profile NIMBY owner, engine host, service key, the
    /// job's blocklist, limits).
    /// </summary>
    public static WaitReason? FitsBlade(JobSituation job, CommandNeeds command, BladeSituation blade, LimitCounter? limits,
        List<WaitReason>? all = null) => FitsBlade(job, command, blade, limits, all, explain: true);

    // One wordless reason per kind, shared: what a refusal is when explain is false (see Fits), so dispatch's checks
    // allocate nothing.
    private static readonly WaitReason[] BareReasons = [.. Enum.GetValues<WaitKind>().Select(kind => new WaitReason(kind, ""))];

    private static WaitReason Bare(WaitKind kind) => BareReasons[(int)kind];

    // With explain false a refusal carries its kind but no text or blade (see Fits).
    private static WaitReason? FitsBlade(JobSituation job, CommandNeeds command, BladeSituation blade, LimitCounter? limits,
        List<WaitReason>? all, bool explain)
    {
        WaitReason? first = null;
        bool Add(WaitReason reason)
        {
            first ??= reason;
            all?.Add(reason);
            return all is null;
        }

        // Checked first: on any other blade nothing else about it matters, and dispatch skips the task at once.
        if (command.SameHostBlade is { } sameHost && !string.Equals(sameHost, blade.Name, StringComparison.Ordinal)
            && Add(explain ? new(WaitKind.SameHost, $"is not {sameHost}, the blade that ran {command.PinnedBy ?? SameHostRan}", blade.Name) : Bare(WaitKind.SameHost)))
            return first;
        if (BladeReason(blade, all) is { } bladeReason)
        {
            first ??= bladeReason;
            if (all is null)
                return first;
        }
        // On a full blade "no free slot" (its own reason, above) is not the whole story for a command that needs several:
        // one slot coming free will not start it, and tq why and tq trace say so.
        if (command.AtLeast > blade.FreeSlots && (blade.FreeSlots > 0 || command.AtLeast > 1)
            && Add(explain ? new(WaitKind.BladeSlots, SlotsText(blade.FreeSlots, command.AtLeast), blade.Name) : Bare(WaitKind.BladeSlots)))
            return first;
        if (blade.NimbyOwner is { } only && !string.Equals(only, job.Owner, StringComparison.Ordinal)
            && Add(explain ? new(WaitKind.BladeNimby, $"takes only {only}'s jobs (its profile's NIMBY), and job {job.Jid} is {job.Owner}'s", blade.Name) : Bare(WaitKind.BladeNimby)))
            return first;
        if (command.EngineHostOnly && !blade.OnEngineHost
            && Add(explain ? new(WaitKind.EngineHostOnly, "is not on the engine's host, and a local Cmd runs only there", blade.Name) : Bare(WaitKind.EngineHostOnly)))
            return first;
        if (!command.Service.Matches(blade.Traits)
            && Add(explain ? new(WaitKind.ServiceKey, $"{command.Service.WhyNot(blade.Traits)} (service key {command.Service.Text})", blade.Name) : Bare(WaitKind.ServiceKey)))
            return first;
        if (job.Blocklist.Contains(blade.Name)
            && Add(explain ? new(WaitKind.Blocklisted, $"is blocklisted for job {job.Jid} after repeated failures there (tq unblock {job.Jid} {blade.Name})", blade.Name) : Bare(WaitKind.Blocklisted)))
            return first;
        if (limits is not null && command.Limits.Count > 0 && !limits.Allows(command.Limits, blade.Traits.Host, job.Owner)
            && Add(explain ? new(WaitKind.Limit, limits.WhyNot(command.Limits, blade.Traits.Host, job.Owner) ?? "", blade.Name) : Bare(WaitKind.Limit)))
            return first;
        return first;
    }

    /// <summary>
    /// Which blade a command may only run on, as Tractor's `-samehost 1` means it: the blade of the latest run of the
    /// command just before it in its task, since a task's commands run one after the other. When the task's latest run is
    /// the command's own (its blade cut it off and it runs again), that run's blade, which was its predecessor's. Null (any
    /// blade) for a command without the flag, for a task's first command (it has no predecessor; a retried task starts
    /// over there), and when the command before it did not run (skipped), so there is no blade to stay on.
    /// </summary>
    /// <param name="sameHost">The command's `-samehost`.</param>
    /// <param name="commandIndex">Its place in its task's commands, from 0.</param>
    /// <param name="lastRunIndex">The place of the task's latest command handed to a blade, or null when none was.</param>
    /// <param name="lastRunBlade">The blade that latest command went to, or null when none.</param>
    public static string? SameHostBlade(bool sameHost, int commandIndex, int? lastRunIndex, string? lastRunBlade) =>
        sameHost && commandIndex > 0 && (lastRunIndex == commandIndex - 1 || lastRunIndex == commandIndex) ? lastRunBlade : null;

    /// <summary>
    /// Why a `-samehost 1` command pinned to <paramref name="sameHostBlade"/> waits, in words that name the blade and the
    /// option; <paramref name="bladeState"/> says what keeps that blade from taking it (down, nimby, full ...), or is
    /// null when it is only waiting for that blade's next request for work.
    /// </summary>
    /// <param name="pinnedBy">What ran there (<see cref="CommandNeeds.PinnedBy"/>); null for `-samehost`.</param>
    public static WaitReason SameHostWait(string sameHostBlade, string? bladeState, string? pinnedBy = null) =>
        new(WaitKind.SameHost, bladeState is null
            ? $"waits for blade {sameHostBlade}, which ran {pinnedBy ?? SameHostRan}"
            : $"waits for blade {sameHostBlade}, which ran {pinnedBy ?? SameHostRan}, and {sameHostBlade} {bladeState}");

    private const string SameHostRan = "the task's previous command (-samehost)";

    /// <summary>The job's own reasons, whatever the blade: paused, start time, waiting jobs, `-maxactive`.</summary>
    public static WaitReason? JobReason(JobSituation job, long nowMs, List<WaitReason>? all = null)
    {
        WaitReason? first = null;
        bool Add(WaitReason reason)
        {
            first ??= reason;
            all?.Add(reason);
            return all is null;
        }

        if (job.Paused && Add(new(WaitKind.JobPaused, $"job {job.Jid} is paused (tq unpause jid={job.Jid})")))
            return first;
        if (job.AfterMs is { } after && after > nowMs
            && Add(new(WaitKind.StartTime, $"job {job.Jid} starts after {FormatTime(after)} (-after), in {FormatSpan(after - nowMs)}")))
            return first;
        if (job.WaitingForJids.Count > 0
            && Add(new(WaitKind.AfterJobs, $"job {job.Jid} waits for job(s) {string.Join(", ", job.WaitingForJids.Order())} to finish (-afterjids)")))
            return first;
        if (job.MaxActive is { } max && max > 0 && job.ActiveCount >= max
            && Add(new(WaitKind.MaxActive, $"job {job.Jid} already runs {job.ActiveCount} of its -maxactive {max} commands")))
            return first;
        return first;
    }

    /// <summary>The blade's own reasons, whatever the command: down, nimby, load, memory, disk, no free slot.</summary>
    public static WaitReason? BladeReason(BladeSituation blade, List<WaitReason>? all = null)
    {
        WaitReason? first = null;
        bool Add(WaitKind kind, string text)
        {
            var reason = new WaitReason(kind, text, blade.Name);
            first ??= reason;
            all?.Add(reason);
            return all is null;
        }

        var t = blade.Traits;
        if (!blade.Up && Add(WaitKind.BladeDown, "is not up"))
            return first;
        if (blade.Unprofiled && Add(WaitKind.BladeUnprofiled, "matches no profile of blade.config, so it gets no work"))
            return first;
        if (blade.Nimby && Add(WaitKind.BladeNimby, "is nimby (tq unnimby " + blade.Name + ")"))
            return first;
        if (blade.NimbyByProfile && Add(WaitKind.BladeNimby, "is nimby by its blade.config profile (NIMBY 1); change the profile to give it work"))
            return first;
        if (blade.MaxLoad is { } maxLoad && t.Load / Math.Max(1, t.Cores) > maxLoad
            && Add(WaitKind.BladeLoad, $"has load {t.Load:0.##} on {Math.Max(1, t.Cores)} core(s), above its profile's MaxLoad {maxLoad:0.##} per core"))
            return first;
        if (blade.MinRamGB > 0 && t.MemoryGB < blade.MinRamGB
            && Add(WaitKind.BladeMemory, $"has {t.MemoryGB:0.##} GB free memory, below its profile's MinRAM {blade.MinRamGB:0.##} GB"))
            return first;
        if (blade.MinDiskGB > 0 && t.DiskGB < blade.MinDiskGB
            && Add(WaitKind.BladeDisk, $"has {t.DiskGB:0.##} GB free disk, below its profile's MinDisk {blade.MinDiskGB:0.##} GB"))
            return first;
        if (blade.FreeSlots <= 0 && Add(WaitKind.BladeSlots, "has no free slot"))
            return first;
        return first;
    }

    private static string SlotsText(int free, int atLeast) => free > 0
        ? $"has {free} free slot(s), the command needs {atLeast} (-atleast)"
        : $"the command needs {atLeast} free slots at once (-atleast)";

    private static string FormatTime(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string FormatSpan(long ms)
    {
        var span = TimeSpan.FromMilliseconds(ms);
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
            : $"{Math.Max(1, (int)Math.Ceiling(span.TotalSeconds))} s";
    }
}
