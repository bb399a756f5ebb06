using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// What one engine decision changes: the rows to commit and the log text to append, in the order they happened. Built
/// under the farm's lock and queued for commit (<see cref="CommitQueue"/>) before the lock is let go; applied outside
/// it: logs first, then the database, and only then is the caller answered. One decision, one change set.
/// </summary>
internal sealed class ChangeSet
{
    public List<StoreWrite> Writes { get; } = [];

    public List<LogAppend> Logs { get; } = [];

    /// <summary>Set when a task became ready or something farm-wide came free, so every waiting blade should look again.</summary>
    public bool WorkBecameAvailable { get; set; }

    /// <summary>Blades on which a slot came free: each of them (only) should look again.</summary>
    public HashSet<string> SlotsFreedOn { get; } = new(StringComparer.Ordinal);

    /// <summary>What came free farm-wide (a limit's count, a job's -maxactive place), each to be offered to a waiting blade.</summary>
    public List<FreedUnit> FarmWideFreed { get; } = [];

    /// <summary>Invocations whose start is recorded once their log header is on disk and its position known.</summary>
    public List<PendingStart> Starts { get; } = [];

    /// <summary>Set once the change set is queued for commit: completes with the database commit's task once the logs are on disk.</summary>
    public Task<Task>? Committed { get; set; }

    public bool IsEmpty => Writes.Count == 0 && Logs.Count == 0;

    /// <summary>Completes once the queued change set is durable (at once if it was never queued); throws what its commit threw.</summary>
    public async Task WaitCommittedAsync(CancellationToken cancellationToken)
    {
        if (Committed is { } stored)
            await (await stored.ConfigureAwait(false)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Add(StoreWrite write) => Writes.Add(write);
}

/// <summary>One unit of something farm-wide that an invocation gave back: a count of <paramref name="Limit"/>, or a
/// -maxactive place of job <paramref name="Jid"/> (exactly one of the two is set).</summary>
internal sealed record FreedUnit(string? Limit, long? Jid);

/// <summary>
/// A blade's report that it started an invocation's process. Its row is written at <paramref name="WriteIndex"/> of the
/// change's writes, where the start happened among them, once its log header's position is known.
/// </summary>
internal sealed record PendingStart(LiveInvocation Invocation, int? Pid, long TimeMs, int WriteIndex, long? KnownLogStart = null);

/// <summary>
/// Bytes to append to a task's log: a command's output as it printed it, or Furrow's own lines (UTF-8);
/// <paramref name="IsHeader"/> marks the line Furrow writes before an invocation's output.
/// </summary>
internal sealed record LogAppend(string Owner, long Jid, int Tid, long Iid, ReadOnlyMemory<byte> Bytes, bool IsHeader)
{
    /// <summary>Furrow's own text for the log, written as UTF-8.</summary>
    public LogAppend(string owner, long jid, int tid, long iid, string text, bool isHeader)
        : this(owner, jid, tid, iid, System.Text.Encoding.UTF8.GetBytes(text), isHeader)
    {
    }
}
