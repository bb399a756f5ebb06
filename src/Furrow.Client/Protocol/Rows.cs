namespace Furrow.Client.Protocol;

/// <summary>A job as `tq jobs` lists it.</summary>
public sealed record JobRow(
    long Jid, string Owner, string Title, double Priority, long SpoolTime, bool Paused, bool Deleted,
    int NumTasks, int NumBlocked, int NumReady, int NumActive, int NumError, int NumDone,
    long? StartTime, long? StopTime, string? SpoolFile, string? Comment)
{
    /// <summary>
    /// The operations (retry, pause, delete ...) the caller may run on this job with force, as the engine would judge them
    /// when run (crews.config's JobEditAccessPolicies, the job's lock, ReadOnlyLogins); whether one would change anything
    /// (pausing a paused job) is not considered. Null unless the listing was asked for it (`allowed=1`).
    /// </summary>
    public IReadOnlyList<string>? Allowed { get; init; }
}

/// <summary>
/// A task as `tq tasks` lists it. Progress is the latest percentage its running command reported with an output
/// directive (`TR_PROGRESS nn%`, `R90000 nn%` ...), 100 once the task is done, null when none was reported in its
/// current run.
/// </summary>
public sealed record TaskRow(
    long Jid, int Tid, string Owner, string Title, string? Id, string State, long StateTime, int ParentTid,
    string? Blade, int RetryCount, bool HasLog, string? WhyWaiting, int? Progress = null)
{
    /// <summary>True when its subtasks run one after another (alfred's <c>-serialsubtasks 1</c>), not all at once.</summary>
    public bool SerialSubtasks { get; init; }

    /// <summary>
    /// The tids of the tasks it stands for (alfred's <c>Instance</c>: it runs nothing, and is done when they are); null for
    /// most tasks (null rather than empty keeps rows of plain tasks equal by value, as records compare lists by reference).
    /// </summary>
    public IReadOnlyList<int>? InstanceOf { get; init; }
}

/// <summary>A command as `tq commands` lists it.</summary>
public sealed record CommandRow(long Jid, int Tid, int Cid, string Owner, IReadOnlyList<string> Argv, string Kind, string RunType, string? Service, string State);

/// <summary>
/// One run of a command on a blade. Times are Unix ms on the engine's clock (a blade's own times are corrected by its
/// clock skew, <see cref="ClockSkewMs"/>). Once it exited: real, user-mode and system-mode seconds of its process tree,
/// and the tree's peak resident and virtual memory in bytes (CPU and memory null when its blade could not measure them).
/// </summary>
public sealed record InvocationRow(
    long Iid, long Jid, int Tid, int Cid, string Blade, long DispatchTime, long? StartTime, long? StopTime,
    int? Pid, int? ExitCode, bool Current, string Status)
{
    /// <summary>Real (wall-clock) seconds from start to exit; null until it exited.</summary>
    public double? ElapsedReal { get; init; }

    /// <summary>CPU seconds in user mode, summed over its process tree; null until it exited or when not measured.</summary>
    public double? UserSecs { get; init; }

    /// <summary>CPU seconds in system mode, summed over its process tree; null until it exited or when not measured.</summary>
    public double? SystemSecs { get; init; }

    /// <summary>Peak resident memory of its process tree, in bytes; null until it exited or when not measured.</summary>
    public long? PeakRss { get; init; }

    /// <summary>Peak virtual memory of its process tree, in bytes; null until it exited or when not measured.</summary>
    public long? PeakVsz { get; init; }

    /// <summary>Tractor's <c>cpu</c>: the cores it kept busy on average, (user + system) / real seconds; null when not measured.</summary>
    public double? Cpu { get; init; }

    /// <summary>Engine clock minus the blade's clock (ms) when it exited, by which its times were corrected.</summary>
    public long? ClockSkewMs { get; init; }
}

/// <summary>
/// A blade as `tq blades` lists it: its slots (the profile's MaxSlots, else its own), what it last reported of its machine
/// (null until it has), the blade.config profile it matched (null when the site has none) and its nimby switch.
/// </summary>
public sealed record BladeRow(string Name, string Host, int Slots, int SlotsInUse, string Version, string Status, long LastContact, long RegisteredTime)
{
    /// <summary>The blade.config profile the blade matched; null when the site has none.</summary>
    public string? Profile { get; init; }

    /// <summary>
    /// The IP address the engine saw the blade register from (127.0.0.1 for a blade on the engine's host); null for a
    /// blade that has not registered since the engine started. <see cref="Host"/> is the name the blade gave itself.
    /// </summary>
    public string? Address { get; init; }

    /// <summary>True while the blade takes no new work (tq nimby).</summary>
    public bool Nimby { get; init; }

    /// <summary>What the blade last reported of its machine; null until it has.</summary>
    public BladeFigures? Figures { get; init; }

    /// <summary>Engine clock minus the blade's clock in ms (positive: the blade is behind), from its reports; null until it reports.</summary>
    public long? ClockSkewMs { get; init; }
}

/// <summary>
/// A task log decoded for display: the encoding the engine assumed (UTF-8 unless asked for another), the log's length
/// in bytes, whether the text is lossless (every byte was valid in that encoding; otherwise the invalid ones show as
/// U+FFFD), and the text. The log itself is bytes, exactly as the commands printed them.
/// </summary>
public sealed record TaskLogText(long Jid, int Tid, string Encoding, long Bytes, bool Lossless, string Text);

/// <summary>Why a task is not running: its state, the blade running it, and every reason when it waits (`tq why`).</summary>
public sealed record WhyReply(long Jid, int Tid, string Title, string State, string? RunningOn, IReadOnlyList<WhyReason> Reasons);

/// <summary>One reason: its kind (`JobPaused`, `ServiceKey`, `Limit` ...) and the words for a wrangler.</summary>
public sealed record WhyReason(string Kind, string Text);

/// <summary>Failures of a job's commands on a blade, and whether the blade no longer gets them.</summary>
public sealed record BlocklistRow(long Jid, string Blade, int Failures, bool Blocked);

/// <summary>The reply to a spool: the new job's id.</summary>
public sealed record SpoolReply(int Rc, string Msg, long Jid);

/// <summary>The reply to an operation on jobs or tasks: what it touched, and what it could not.</summary>
public sealed record OperationReply(string Operation, int Affected, IReadOnlyList<string> Items, IReadOnlyList<string> Refused)
{
    /// <summary>
    /// How many of <see cref="Refused"/> the rules refused (a read-only login, another user's lock, the job's edit
    /// policy, --force); the others could not be done as their target stands (nothing in error, nothing running).
    /// </summary>
    public int Forbidden { get; init; }
}

/// <summary>
/// An error body: an RFC 7807 problem (<c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, served as
/// <c>application/problem+json</c>) that also carries Tractor's <c>{rc, msg}</c>, so Tractor's clients read it too.
/// <see cref="Rc"/> is the HTTP status; <see cref="Msg"/> says what was wrong, naming the value at fault.
/// </summary>
public sealed record ErrorReply(int Rc, string Msg)
{
    /// <summary>RFC 7807: no problem type beyond the status's own meaning.</summary>
    public string Type => "about:blank";

    /// <summary>RFC 7807: the status's standard phrase, e.g. "Bad Request".</summary>
    public string Title => Rc switch
    {
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        >= 500 => "Server Error",
        _ => "Error",
    };

    /// <summary>RFC 7807: the HTTP status, the same as <see cref="Rc"/>.</summary>
    public int Status => Rc;

    /// <summary>RFC 7807: what was wrong, the same as <see cref="Msg"/>.</summary>
    public string Detail => Msg;
}

/// <summary>
/// Engine status: version, start time (ms since the Unix epoch), whether dispatching is paused, queue sizes, and the
/// engine process's memory: <paramref name="WorkingSetBytes"/> (resident), <paramref name="HeapBytes"/> (the managed heap
/// after the last collection), <paramref name="Collections"/> (garbage collections so far per generation, 0 to 2) and
/// <paramref name="GcPauseMs"/> (time the engine stood still for them, in total). A request that took long while
/// <paramref name="GcPauseMs"/> grew by as much waited for a collection, not for the database.
/// </summary>
public sealed record EngineStatus(string Version, long StartTime, bool DispatchPaused, int Jobs, int ReadyTasks, int ActiveTasks, int Blades, string DataDirectory,
    string Host, int Pid, int Port, long WorkingSetBytes, long HeapBytes, int[] Collections, double GcPauseMs)
{
    /// <summary>The job database's schema version (what `tractor-dbctl --schema-version` prints).</summary>
    public int? SchemaVersion { get; init; }

    /// <summary>
    /// The dispatch queue's length: ready tasks of jobs that may run now (not paused, not waiting for `-afterjids` or
    /// `-after`), what Tractor's `ctrl?q=status&amp;qlen=1` gives as qlen. <see cref="ReadyTasks"/> counts every ready task.
    /// </summary>
    public int QueuedTasks { get; init; }

    /// <summary>The job database: db.config's DBProvider and DBMode, e.g. <c>sqlite</c> or <c>postgresql (managed)</c>.</summary>
    public string? Store { get; init; }

    /// <summary>The last job id handed out (the job counter `tractor-dbctl --set-job-counter` sets); 0 before the first spool.</summary>
    public long LastJid { get; init; }
}
