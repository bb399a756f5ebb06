namespace Furrow.Client.Protocol;

/// <summary>What a blade says about itself when it (re)connects to an engine.</summary>
public sealed record BladeRegistration(string Name, string Host, int Slots, string Version, string BootId, int Pid, BladeFigures? Figures = null);

/// <summary>The engine's answer to a registration: how often to report so it does not think the blade is gone.</summary>
public sealed record BladeWelcome(int ReportIntervalMs, int SilenceTimeoutMs);

/// <summary>A long-poll for work: how many slots are free and how long the engine may hold the request.</summary>
public sealed record WorkRequest(string BootId, int FreeSlots, int WaitMs);

/// <summary>Commands the engine hands a blade; empty when the long-poll timed out.</summary>
public sealed record WorkReply(IReadOnlyList<Assignment> Assignments);

/// <summary>One command to run, identified by its invocation id (iid): every report about it names that iid.</summary>
public sealed record Assignment(
    long Iid,
    long Jid,
    int Tid,
    int Cid,
    string Owner,
    IReadOnlyList<string> Argv,
    string Kind,
    IReadOnlyDictionary<string, string>? Environment);

/// <summary>
/// What a blade reports: events not yet acknowledged, and every invocation it still answers for (running, or with
/// events not yet delivered). An invocation missing from <c>Running</c> for long is taken as lost.
/// </summary>
public sealed record BladeReport(string BootId, IReadOnlyList<InvocationEvent> Events, IReadOnlyList<long> Running, int FreeSlots, BladeFigures? Figures = null);

/// <summary>
/// One thing that happened to an invocation. `Seq` orders a blade's events; the engine acknowledges up to a sequence
/// number, and output carries its byte offset so a resent chunk is never written twice. Output is the command's bytes
/// as it printed them, in `Data` (base64 in JSON); `Text` is UTF-8 output from blades older than `Data` (and the reason
/// a command could not start). `Progress` is a progress directive's percentage (0 to 100).
/// </summary>
public sealed record InvocationEvent(long Seq, long Iid, string Type, long TimeMs, int? Pid = null, long? Offset = null, string? Text = null,
    int? ExitCode = null, byte[]? Data = null, int? Progress = null);

/// <summary>Event type names.</summary>
public static class InvocationEventTypes
{
    public const string Started = "started";
    public const string Output = "output";
    public const string Exited = "exited";

    /// <summary>The command printed a progress directive (`TR_PROGRESS nn%`, `R90000 nn%` ...): Progress is set.</summary>
    public const string Progress = "progress";

    /// <summary>The command could not be started at all (missing executable, bad argv): ExitCode is set and Text says why.</summary>
    public const string Failed = "failed";
}

/// <summary>The engine's answer to a report: the highest event sequence committed, and invocations to stop.</summary>
public sealed record ReportReply(long AckedSeq, IReadOnlyList<long> Cancel);
