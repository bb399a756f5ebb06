namespace Furrow.Client.Protocol;

/// <summary>
/// What a blade says about itself when it (re)connects to an engine. `Journal` names the invocations an earlier process
/// of this blade left in its on-disk journal (still running, or with results it never delivered); the engine keeps
/// those that are still this blade's instead of putting them back to ready.
/// </summary>
public sealed record BladeRegistration(string Name, string Host, int Slots, string Version, string BootId, int Pid, BladeFigures? Figures = null,
    IReadOnlyList<long>? Journal = null);

/// <summary>
/// The engine's answer to a registration: how often to report so it does not think the blade is gone, and which of
/// the registration's journal invocations are still this blade's (the blade ends every other one it finds running).
/// <c>OpenPollIsContact</c>: this engine counts a waiting long poll as contact while nothing runs on the blade, so an
/// idle blade may report seldom (an engine before it leaves it out: false). <c>Key</c>: the key issued to a blade that
/// enrolled with this registration (it showed the site's enrolment secret); the blade keeps it and sends it in
/// <see cref="BladeCredentialHeaders.Key"/> from then on. Null when the blade showed the key it already had.
/// </summary>
public sealed record BladeWelcome(int ReportIntervalMs, int SilenceTimeoutMs, IReadOnlyList<long>? Kept = null, bool OpenPollIsContact = false,
    string? Key = null);

/// <summary>A long-poll for work: how many slots are free and how long the engine may hold the request.</summary>
public sealed record WorkRequest(string BootId, int FreeSlots, int WaitMs);

/// <summary>Commands the engine hands a blade; empty when the long-poll timed out.</summary>
public sealed record WorkReply(IReadOnlyList<Assignment> Assignments);

/// <summary>
/// One command to run, identified by its invocation id (iid): every report about it names that iid. <c>Slots</c> is how
/// many of the blade's slots it holds (<c>-atleast</c>/<c>-atmost</c>; 1 from an engine that does not say).
/// </summary>
public sealed record Assignment(
    long Iid,
    long Jid,
    int Tid,
    int Cid,
    string Owner,
    IReadOnlyList<string> Argv,
    string Kind,
    IReadOnlyDictionary<string, string>? Environment,
    int Slots = 1);

/// <summary>
/// What a blade reports: events not yet acknowledged, and every invocation it still answers for (running, or with
/// events not yet delivered). An invocation missing from <c>Running</c> for long is taken as lost. <c>SentMs</c> is the
/// blade's clock when it sent the report (Unix ms), from which the engine reckons the blade's clock skew and puts the
/// events' times on its own clock; null from a blade that does not send it (its times are then taken as they are).
/// </summary>
public sealed record BladeReport(string BootId, IReadOnlyList<InvocationEvent> Events, IReadOnlyList<long> Running, int FreeSlots,
    BladeFigures? Figures = null, long? SentMs = null);

/// <summary>
/// One thing that happened to an invocation. `Seq` orders a blade's events; the engine acknowledges up to a sequence
/// number, and output carries its byte offset so a resent chunk is never written twice. Output is the command's bytes
/// as it printed them, in `Data` (base64 in JSON); `Text` is UTF-8 output from blades older than `Data` (and the reason
/// a command could not start). `Progress` is a progress directive's percentage (0 to 100).
/// </summary>
public sealed record InvocationEvent(long Seq, long Iid, string Type, long TimeMs, int? Pid = null, long? Offset = null, string? Text = null,
    int? ExitCode = null, byte[]? Data = null, int? Progress = null, ProcessUsage? Usage = null);

/// <summary>
/// What a command's process tree used, as its blade measured it, sent with its exit: the real time from start to exit
/// in seconds, on the blade's monotonic clock (so a blade clock that is off does not change it); CPU seconds in user
/// and system mode, summed over the tree; and the tree's peak resident and virtual memory in bytes (the most its
/// processes held at once, as far as the blade's sampling saw). CPU and memory are null when the blade could not
/// measure them (a command the blade runs itself, or a system without <c>/proc</c>).
/// </summary>
public sealed record ProcessUsage(double ElapsedSecs, double? UserSecs, double? SystemSecs, long? PeakRssBytes, long? PeakVszBytes = null);

/// <summary>Event type names.</summary>
public static class InvocationEventTypes
{
    /// <summary>The command's process started: Pid is set.</summary>
    public const string Started = "started";

    /// <summary>The command printed something: Data (or Text) holds it, Offset says where it goes in the output.</summary>
    public const string Output = "output";

    /// <summary>The command's process ended: ExitCode is set, and Usage when the blade measured it.</summary>
    public const string Exited = "exited";

    /// <summary>The command printed a progress directive (`TR_PROGRESS nn%`, `R90000 nn%` ...): Progress is set.</summary>
    public const string Progress = "progress";

    /// <summary>The command could not be started at all (missing executable, bad argv): ExitCode is set and Text says why.</summary>
    public const string Failed = "failed";

    /// <summary>
    /// The blade ended the command before it finished (the blade was stopped, or restarted and found it still running):
    /// the engine puts the task back to ready at once, not counting it as a failure. Text says why.
    /// </summary>
    public const string Interrupted = "interrupted";
}

/// <summary>
/// "This blade process is alive", sent on its own schedule beside reports: the engine notes it without taking the
/// farm's lock or waiting for a commit, so a blade whose reports are slow (a busy engine or database) is not taken for
/// a dead one. The engine answers with the same record.
/// </summary>
public sealed record BladeHeartbeat(string BootId);

/// <summary>
/// "This blade process is going away", sent by a blade stopped cleanly once it has delivered what it could: the engine
/// shows it as <c>stopped</c> at once instead of waiting out the silence timeout, and puts back to ready any command it
/// still counted as this process's. Ignored when <see cref="BootId"/> is not the blade's current process (a newer one
/// has registered since). The engine answers with how many commands went back to ready.
/// </summary>
public sealed record BladeLeaving(string BootId);

/// <summary>The engine's answer to <see cref="BladeLeaving"/>: how many of the blade's commands went back to ready.</summary>
public sealed record BladeLeft(int Requeued);

/// <summary>The engine's answer to a report: the highest event sequence committed, and invocations to stop.</summary>
public sealed record ReportReply(long AckedSeq, IReadOnlyList<long> Cancel);
