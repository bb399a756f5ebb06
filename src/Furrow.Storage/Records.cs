using Furrow.Core.Jobs;

namespace Furrow.Storage;

/// <summary>A job's row.</summary>
public sealed record JobRecord(
    long Jid, string Owner, string Title, double Priority, long SpoolTimeMs, string? SpoolHost, string? SpoolFile,
    string? SpoolCwd, bool Paused, bool Deleted, long? StartTimeMs, long? StopTimeMs, string? Comment)
{
    /// <summary>Counts by task state, filled by listings.</summary>
    public TaskCounts Counts { get; init; } = TaskCounts.Empty;

    /// <summary>When the job may start (`-after`, resolved at spool; Unix ms), or null.</summary>
    public long? AfterTimeMs { get; init; }

    /// <summary>`-maxactive`: at most this many of the job's commands run at once; null for no cap.</summary>
    public int? MaxActive { get; init; }

    /// <summary>`-afterjids`: jobs that must be done before this one starts.</summary>
    public IReadOnlyList<long> AfterJids { get; init; } = [];

    /// <summary>`-tier` (a name of tractor.config's `DispatchTiers`), or null for the default tier.</summary>
    public string? Tier { get; init; }

    /// <summary>`-projects`: the first one is the job's share group for fair sharing.</summary>
    public IReadOnlyList<string> Projects { get; init; } = [];

    /// <summary>The job's `-service` key expression, the default for its tasks and commands.</summary>
    public string? Service { get; init; }

    /// <summary>The job's `-tags`: limit names every command of the job counts against.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The job's own `-atleast`, `-atmost` and `-envkey`, which tasks added later by `-expand` inherit.</summary>
    public int? AtLeast { get; init; }

    public int? AtMost { get; init; }

    public IReadOnlyList<string> EnvKey { get; init; } = [];

    /// <summary>`-dirmaps`: how `%D(path)` in its commands maps for each blade's zone (<see cref="Furrow.Core.Jobs.DirMapping"/>).</summary>
    public IReadOnlyList<Furrow.Core.Scripts.DirMap> DirMaps { get; init; } = [];

    /// <summary>The user holding the job's lock (`tq lock`): no one else may act on it. Null when it is not locked.</summary>
    public string? LockedBy { get; init; }

    /// <summary>`-crews` (`tq chcrews`): crew names the job is associated with.</summary>
    public IReadOnlyList<string> Crews { get; init; } = [];

    /// <summary>`-editpolicy`: the crews.config JobEditAccessPolicies policy deciding who may act on the job; null for defaultPolicy.</summary>
    public string? EditPolicy { get; init; }
}

/// <summary>How many of a job's tasks are in each state.</summary>
public sealed record TaskCounts(int Total, int Blocked, int Ready, int Active, int Error, int Done)
{
    public static readonly TaskCounts Empty = new(0, 0, 0, 0, 0, 0);
}

/// <summary>A task's row, with what the scheduler needs to rebuild its graph.</summary>
public sealed record TaskRecord(
    long Jid, int Tid, int ParentTid, string Title, string? Id, string? Service, bool SerialSubtasks,
    IReadOnlyList<int> InstanceOf, TaskState State, long StateTimeMs, int RetryCount)
{
    /// <summary>The latest progress its running command reported (0 to 100), or null (<see cref="SetTaskProgress"/>).</summary>
    public int? Progress { get; init; }
}

/// <summary>A command's row.</summary>
public sealed record CommandRecord(
    long Jid, int Cid, int Tid, IReadOnlyList<string> Argv, string Kind, string RunType, string? Service,
    bool Expand, IReadOnlyList<int> RetryRc, CommandState State)
{
    /// <summary>`-tags` (limit names), slots (`-atleast`/`-atmost`, already falling back to the task's and job's) and `-envkey` names.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    public int? AtLeast { get; init; }

    public int? AtMost { get; init; }

    public IReadOnlyList<string> EnvKey { get; init; } = [];

    /// <summary>`-samehost 1`: it runs on the blade that ran its task's previous command.</summary>
    public bool SameHost { get; init; }

    /// <summary>
    /// For a <see cref="SameHost"/> command read to be scheduled (<see cref="IJobStore.LoadLiveStateAsync"/>,
    /// <see cref="IJobStore.LoadUnfinishedJobAsync"/>): the latest invocation of an earlier command of its task, as that
    /// command's id and the blade it went to; null otherwise, or when no earlier command of the task has run.
    /// </summary>
    public (int Cid, string Blade)? PreviousRun { get; init; }

    /// <summary>`-id`: the command's name within its job, which `%ID(host)` codes and `-refersto` use; null when none.</summary>
    public string? Id { get; init; }

    /// <summary>`-refersto`: the `-id` of the command whose blade it runs on (or of a task, kept only); null when none.</summary>
    public string? RefersTo { get; init; }

    /// <summary>
    /// For a command with an <see cref="Id"/> read to be scheduled (as <see cref="PreviousRun"/>): the blade of its own
    /// latest invocation, whose host `%ID(host)` codes give; null otherwise, or when it has not run.
    /// </summary>
    public string? LatestRunBlade { get; init; }
}

/// <summary>One run of a command on a blade.</summary>
public sealed record InvocationRecord(
    long Iid, long Jid, int Tid, int Cid, string Blade, long DispatchTimeMs, long? StartTimeMs, long? StopTimeMs,
    int? Pid, int? ExitCode, bool Current, InvocationState Status, long? LogStart)
{
    /// <summary>What its process tree used, once it exited and its blade measured it; null before, or when it never ran.</summary>
    public InvocationUsage? Usage { get; init; }

    /// <summary>
    /// The command line handed to its blade when it differs from its command's (`%D(path)` mapped); null when it is the
    /// command's own. Read only for current invocations (<see cref="LiveState.CurrentInvocations"/>).
    /// </summary>
    public IReadOnlyList<string>? Argv { get; init; }
}

/// <summary>
/// An invocation's use of its blade, measured by the blade and recorded with its exit: seconds of real, user and system time,
/// peak resident and virtual memory in bytes, and the blade clock skew (ms, engine minus blade) its times were put right by.
/// </summary>
public sealed record InvocationUsage(double ElapsedRealSecs, double? UserSecs, double? SystemSecs, long? PeakRssBytes, long? PeakVszBytes, long? ClockSkewMs);

/// <summary>A blade the engine has heard from.</summary>
public sealed record BladeRecord(string Name, string Host, int Slots, string Version, string BootId, long RegisteredMs, long LastContactMs, string Status)
{
    /// <summary>The blade.config profile it matched when it registered, or null when the site has none.</summary>
    public string? Profile { get; init; }

    /// <summary>Nimby: the blade takes no new work (`tq nimby`), kept across restarts.</summary>
    public bool Nimby { get; init; }
}

/// <summary>A blade this job's commands no longer go to, after failing there <paramref name="Failures"/> times.</summary>
public sealed record BlocklistEntry(long Jid, string Blade, int Failures);

/// <summary>An unfinished job with everything needed to schedule it.</summary>
public sealed record UnfinishedJob(JobRecord Job, bool RootSerial, IReadOnlyList<TaskRecord> Tasks, IReadOnlyList<CommandRecord> Commands)
{
    /// <summary>
    /// The blades its commands no longer go to, when the job was read on its own (<see cref="IJobStore.LoadUnfinishedJobAsync"/>);
    /// a whole load gives every job's in <see cref="LiveState.Blocklist"/> and leaves this empty.
    /// </summary>
    public IReadOnlyList<BlocklistEntry> Blocklist { get; init; } = [];
}

/// <summary>What the engine rebuilds its in-memory view from at start, besides the unfinished jobs (handed over one by one).</summary>
public sealed record LiveState(long JobCounter, long MaxIid, IReadOnlyList<InvocationRecord> CurrentInvocations, IReadOnlyList<BladeRecord> Blades)
{
    /// <summary>Blocklist entries of unfinished jobs.</summary>
    public IReadOnlyList<BlocklistEntry> Blocklist { get; init; } = [];
}

/// <summary>
/// Counts over job rows: <see cref="Jobs"/> not deleted, of which <see cref="Active"/> have a task running,
/// <see cref="Paused"/> are paused, <see cref="WithErrors"/> have a task in error and <see cref="Done"/> have every task
/// done; <see cref="Deleted"/> jobs kept in the archive; and the not-deleted jobs' tasks by state.
/// </summary>
public sealed record JobSummary(long Jobs, long Active, long Paused, long WithErrors, long Done, long Deleted, TaskStateTotals Tasks);

/// <summary>Tasks by state, summed over many jobs.</summary>
public sealed record TaskStateTotals(long Total, long Blocked, long Ready, long Active, long Error, long Done);
