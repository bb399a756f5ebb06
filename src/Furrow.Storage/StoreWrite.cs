using Furrow.Core.Jobs;

namespace Furrow.Storage;

/// <summary>One change to the job database. The writer applies a caller's list of these in one transaction.</summary>
public abstract record StoreWrite;

/// <summary>
/// A newly spooled job with all its tasks and commands, and its script as spooled; also moves the job counter to its id.
/// Its tasks are written blocked, but those in <see cref="ReadyTids"/>: the ones the scheduler can start at once, so a
/// large job's first commands do not wait on a second write of every task's row.
/// </summary>
public sealed record InsertJob(JobRecord Job, CompiledJob Compiled, JobScript Script) : StoreWrite
{
    /// <summary>The tids written ready rather than blocked; empty writes every task blocked.</summary>
    public IReadOnlySet<int> ReadyTids { get; init; } = new HashSet<int>();
}

/// <summary>A job's script as it was spooled: <paramref name="Format"/> is <c>alfred</c> or <c>json</c> (the JSON job form).</summary>
public sealed record JobScript(string Format, string Text)
{
    public const string Alfred = "alfred";
    public const string Json = "json";
}

public sealed record SetTaskState(long Jid, int Tid, TaskState State, long TimeMs, int? RetryCount = null) : StoreWrite;

/// <summary>The latest progress (0 to 100) the task's running command reported; null clears it (the task starts over).</summary>
public sealed record SetTaskProgress(long Jid, int Tid, int? Progress) : StoreWrite;

/// <param name="OnlyFrom">When set, the state changes only if the command is in this state now (else the write does nothing).</param>
public sealed record SetCommandState(long Jid, int Cid, CommandState State, CommandState? OnlyFrom = null) : StoreWrite;

/// <param name="Argv">The command line handed to the blade when it differs from the command's (`%D(path)` mapped for the
/// blade's zone); null when it is the command's own.</param>
public sealed record InsertInvocation(long Iid, long Jid, int Tid, int Cid, string Blade, long DispatchTimeMs, IReadOnlyList<string>? Argv = null) : StoreWrite;

/// <summary>The blade started the process; <paramref name="LogStart"/> is where its output begins in the task log.</summary>
public sealed record MarkInvocationStarted(long Iid, int? Pid, long StartTimeMs, long LogStart) : StoreWrite;

/// <summary>
/// The invocation is over: exited, failed to start, or given up on (lost blade, retried, killed); with what its process
/// tree used when its blade said so (schema version 5's columns; left empty otherwise).
/// </summary>
public sealed record FinishInvocation(long Iid, long StopTimeMs, int? ExitCode, InvocationState Status, InvocationUsage? Usage = null) : StoreWrite;

public sealed record SetJobTimes(long Jid, long? StartTimeMs, long? StopTimeMs) : StoreWrite;

public sealed record SetJobPaused(long Jid, bool Paused) : StoreWrite;

public sealed record SetJobDeleted(long Jid, long DeleteTimeMs) : StoreWrite;

/// <summary>Brings a deleted (archived) job back: no longer deleted, no delete time (`tq undelete`).</summary>
public sealed record SetJobUndeleted(long Jid) : StoreWrite;

/// <summary>
/// Purges a deleted job for good (archive retention): its row, script, tasks, commands, invocations and blocklist rows.
/// A job that is not deleted is left as it is.
/// </summary>
public sealed record PurgeJob(long Jid) : StoreWrite;

/// <summary>A job's new priority (`tq chpri`).</summary>
public sealed record SetJobPriority(long Jid, double Priority) : StoreWrite;

/// <summary>When a job may start, Unix ms, or null for at once (`tq delay`, `tq undelay`).</summary>
public sealed record SetJobAfterTime(long Jid, long? AfterTimeMs) : StoreWrite;

/// <summary>
/// One attribute of a job (`tq jattr`) or command (`tq cattr`, `tq chkeys`), as <see cref="Furrow.Core.Jobs.AttributeEdit.Parse"/>
/// checked it; the key picks the column from a fixed list, so no text of the request reaches the SQL.
/// </summary>
public sealed record SetAttribute(long Jid, int Tid, int Cid, Furrow.Core.Jobs.AttributeEdit Edit) : StoreWrite
{
    /// <summary>On the job's row: <see cref="Tid"/> and <see cref="Cid"/> are 0.</summary>
    public static SetAttribute OnJob(long jid, Furrow.Core.Jobs.AttributeEdit edit) => new(jid, 0, 0, edit);
}

/// <summary>Locks a job to one user (`tq lock`), or unlocks it when <see cref="LockedBy"/> is null (`tq unlock`).</summary>
public sealed record SetJobLock(long Jid, string? LockedBy) : StoreWrite;

public sealed record UpsertBlade(BladeRecord Blade) : StoreWrite;

public sealed record SetParam(string Name, string Value) : StoreWrite;

/// <summary>Records that a job's commands failed <paramref name="Failures"/> times on a blade (blocklisted at the site's cap).</summary>
public sealed record SetBlocklist(long Jid, string Blade, int Failures) : StoreWrite;

/// <summary>Clears a job's blocklist for one blade, or for every blade when <paramref name="Blade"/> is null.</summary>
public sealed record ClearBlocklist(long Jid, string? Blade) : StoreWrite;

public sealed record SetBladeNimby(string Name, bool Nimby) : StoreWrite;

/// <summary>Tasks an `-expand` command added to a running job, with their commands, inserted blocked.</summary>
public sealed record InsertTasks(long Jid, IReadOnlyList<CompiledTask> Tasks, long TimeMs) : StoreWrite;

/// <summary>Records a login session: the SHA-256 (hex) of its token, who it is, the account's password stamp, when made and when it ends (Unix ms).</summary>
public sealed record InsertSession(string TokenHash, string Login, string Stamp, long CreatedMs, long ExpiresMs) : StoreWrite;

/// <summary>Ends one login session (logout), by its token's hash.</summary>
public sealed record DeleteSession(string TokenHash) : StoreWrite;

/// <summary>Ends every session of <paramref name="Login"/> (a removed account or a changed password), or every expired one before <paramref name="ExpiredBeforeMs"/>.</summary>
public sealed record DeleteSessions(string? Login, long? ExpiredBeforeMs = null) : StoreWrite;

/// <summary>
/// Binds a blade name to the key issued at its enrolment, kept as the key's SHA-256 (lowercase hex). A name already bound
/// keeps its key: the engine enrols one name at a time and reads the binding back.
/// </summary>
public sealed record SetBladeKey(string Name, string KeySha256, long EnrolledMs) : StoreWrite;

/// <summary>Releases a blade name (an operator's `tq releaseblade`): the next blade showing the enrolment secret enrols it.</summary>
public sealed record DeleteBladeKey(string Name) : StoreWrite;
