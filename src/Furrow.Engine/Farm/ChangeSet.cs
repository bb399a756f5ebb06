using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// What one engine decision changes: the rows to commit and the log text to append. Built under the farm's lock,
/// applied outside it: logs first, then the database, and only then is the caller answered.
/// </summary>
internal sealed class ChangeSet
{
    public List<StoreWrite> Writes { get; } = [];

    public List<LogAppend> Logs { get; } = [];

    /// <summary>Set when a task became ready, so waiting blades should look again.</summary>
    public bool WorkBecameAvailable { get; set; }

    /// <summary>Invocations whose start is recorded once their log header is on disk and its position known.</summary>
    public List<PendingStart> Starts { get; } = [];

    public void Add(StoreWrite write) => Writes.Add(write);
}

/// <summary>A blade's report that it started an invocation's process.</summary>
internal sealed record PendingStart(LiveInvocation Invocation, int? Pid, long TimeMs, long? KnownLogStart = null);

/// <summary>Text to append to a task's log; <paramref name="IsHeader"/> marks the line Furrow writes before an invocation's output.</summary>
internal sealed record LogAppend(string Owner, long Jid, int Tid, long Iid, string Text, bool IsHeader);
