using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// The order changes are made durable in: the order the farm decided them. The farm hands each decision's
/// <see cref="ChangeSet"/> here before it lets go of its lock, so no later decision can be queued ahead of an earlier
/// one; its log text then goes through <see cref="TaskLogWriter"/> and its rows through the store's writer, each a
/// single queue. A row is therefore never overwritten by a change decided before the one that last wrote it.
/// </summary>
internal sealed class CommitQueue(TaskLogWriter logs, IJobStore store)
{
    /// <summary>
    /// Queues <paramref name="changes"/> (once; a second call does nothing) and sets <see cref="ChangeSet.Committed"/>.
    /// Once its log text is on disk, <paramref name="setLogStart"/> is told where each started invocation's output
    /// begins and the start's row is completed in its place among the change's writes.
    /// </summary>
    public void Enqueue(ChangeSet changes, Action<LiveInvocation, long> setLogStart)
    {
        if (changes.Committed is not null)
            return;
        changes.Committed = logs.AppendThenAsync(changes.Logs, outputStarts =>
        {
            foreach (var start in changes.Starts)
            {
                var logStart = start.KnownLogStart ?? outputStarts.GetValueOrDefault(start.Invocation.Iid);
                setLogStart(start.Invocation, logStart);
                changes.Writes[start.WriteIndex] = new MarkInvocationStarted(start.Invocation.Iid, start.Pid, start.TimeMs, logStart);
            }
            return changes.Writes.Count == 0 ? Task.CompletedTask : store.CommitAsync(changes.Writes, CancellationToken.None).AsTask();
        });
    }
}
