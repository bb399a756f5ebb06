namespace Furrow.Storage;

/// <summary>A job's row.</summary>
public sealed record JobRecord(
    long Jid, string Owner, string Title, double Priority, long SpoolTimeMs, string? SpoolHost, string? SpoolFile,
    string? SpoolCwd, bool Paused, bool Deleted, long? StartTimeMs, long? StopTimeMs, string? Comment)
{
    /// <summary>Counts by task state, filled by listings.</summary>
    public TaskCounts Counts { get; init; } = TaskCounts.Empty;
}

/// <summary>How many of a job's tasks are in each state.</summary>
public sealed record TaskCounts(int Total, int Blocked, int Ready, int Active, int Error, int Done)
{
    public static readonly TaskCounts Empty = new(0, 0, 0, 0, 0, 0);
}

/// <summary>A task's row, with what the scheduler needs to rebuild its graph.</summary>
public sealed record TaskRecord(
    long Jid, int Tid, int ParentTid, string Title, string? Id, string? Service, bool SerialSubtasks,
    IReadOnlyList<int> InstanceOf, string State, long StateTimeMs, int RetryCount);

/// <summary>A command's row.</summary>
public sealed record CommandRecord(
    long Jid, int Cid, int Tid, IReadOnlyList<string> Argv, string Kind, string RunType, string? Service,
    bool Expand, IReadOnlyList<int> RetryRc, string State);

/// <summary>One run of a command on a blade.</summary>
public sealed record InvocationRecord(
    long Iid, long Jid, int Tid, int Cid, string Blade, long DispatchTimeMs, long? StartTimeMs, long? StopTimeMs,
    int? Pid, int? ExitCode, bool Current, string Status, long? LogStart);

/// <summary>A blade the engine has heard from.</summary>
public sealed record BladeRecord(string Name, string Host, int Slots, string Version, string BootId, long RegisteredMs, long LastContactMs, string Status);

/// <summary>An unfinished job with everything needed to schedule it.</summary>
public sealed record LiveJob(JobRecord Job, bool RootSerial, IReadOnlyList<TaskRecord> Tasks, IReadOnlyList<CommandRecord> Commands);

/// <summary>What the engine rebuilds its in-memory view from at start.</summary>
public sealed record LiveState(
    long JobCounter, long MaxIid, IReadOnlyList<LiveJob> Jobs, IReadOnlyList<InvocationRecord> CurrentInvocations,
    IReadOnlyList<BladeRecord> Blades);
