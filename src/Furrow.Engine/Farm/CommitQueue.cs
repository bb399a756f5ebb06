using Furrow.Engine.Events;
using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// The order changes are made durable in: the order the farm decided them. The farm hands each decision's
/// <see cref="ChangeSet"/> here before it lets go of its lock, so no later decision can be queued ahead of an earlier
/// one; its log text then goes through <see cref="TaskLogWriter"/> and its rows through the store's writer, each a
/// single queue. A row is therefore never overwritten by a change decided before the one that last wrote it. Each change
/// takes its place in the live event stream here too (<see cref="EventFeed"/>), and its events go out once it is committed.
/// </summary>
internal sealed class CommitQueue(TaskLogWriter logs, IJobStore store, EventFeed events)
{
    // A change the farm did not decide is queued from outside its lock: the ticket and the queue's place are taken
    // together, so events go out in the order the changes reach the database.
    private readonly Lock _order = new();

    /// <summary>
    /// Queues <paramref name="changes"/> (once; a second call does nothing) and sets <see cref="ChangeSet.Committed"/>.
    /// Once its log text is on disk, <paramref name="setLogStart"/> is told where each started invocation's output
    /// begins and the start's row is completed in its place among the change's writes.
    /// </summary>
    public void Enqueue(ChangeSet changes, Action<LiveInvocation, long> setLogStart)
    {
        if (changes.Committed is not null)
            return;
        long ticket;
        lock (_order)
        {
            ticket = events.Reserve();
            changes.Committed = Queue(changes, setLogStart);
        }
        // Not run inline: the farm may still hold its lock here when the commit is already over.
        changes.Committed.Unwrap().ContinueWith(done => events.Complete(ticket, changes.Writes, changes.Logs, done.IsCompletedSuccessfully),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private Task<Task> Queue(ChangeSet changes, Action<LiveInvocation, long> setLogStart) =>
        logs.AppendThenAsync(changes.Logs, outputStarts =>
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
