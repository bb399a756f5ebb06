using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// The engine's in-memory view of unfinished jobs, current invocations and blades, rebuilt from the database at start.
/// Every field is touched only under <see cref="Gate"/>; the methods here assume the caller holds it and record each
/// change in a <see cref="ChangeSet"/> for the caller to commit.
/// </summary>
internal sealed class FarmState(IDispatchPolicy policy, TimeProvider clock)
{
    public object Gate { get; } = new();

    public Dictionary<long, LiveJobState> Jobs { get; } = [];
    public SortedSet<ReadyKey> Ready { get; } = [];
    public Dictionary<long, LiveInvocation> Invocations { get; } = [];
    public Dictionary<string, LiveBlade> Blades { get; } = new(StringComparer.Ordinal);

    public long JobCounter { get; set; }
    public long IidCounter { get; set; }
    public bool DispatchPaused { get; set; }

    /// <summary>
    /// Memory may hold changes the database refused and could not be reloaded since (the database was unreachable);
    /// nothing is served from it until a reload succeeds.
    /// </summary>
    public bool Stale { get; set; }

    public long NowMs => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public ReadyKey KeyOf(LiveJobState job, int tid) => new(policy.Rank(job.Record, tid), job.Record.SpoolTimeMs, job.Jid, tid);

    public void Enqueue(LiveJobState job, LiveTask task, ChangeSet changes)
    {
        if (task.Queued || !task.WantsBlade || job.Paused)
            return;
        Ready.Add(KeyOf(job, task.Tid));
        task.Queued = true;
        changes.WorkBecameAvailable = true;
    }

    public void Dequeue(LiveJobState job, LiveTask task)
    {
        if (!task.Queued)
            return;
        Ready.Remove(KeyOf(job, task.Tid));
        task.Queued = false;
    }

    public void SetState(LiveJobState job, LiveTask task, TaskState state, ChangeSet changes, int? retryCount = null)
    {
        if (task.State == state && retryCount is null)
            return;
        if (task.State == TaskState.Done) job.DoneCount--;
        if (state == TaskState.Done) job.DoneCount++;
        task.State = state;
        changes.Add(new SetTaskState(job.Jid, task.Tid, state, NowMs, retryCount));
    }

    /// <summary>Makes a blocked task ready (or done, if it has no commands) once everything it waits for is done.</summary>
    public void Settle(LiveJobState job, int tid, ChangeSet changes)
    {
        var task = job.Tasks[tid];
        if (task.State != TaskState.Blocked || !job.Graph.CanStart(tid, job.IsDone))
            return;
        if (task.Commands.Count == 0)
        {
            CompleteTask(job, task, changes);
            return;
        }
        SetState(job, task, TaskState.Ready, changes);
        Enqueue(job, task, changes);
    }

    /// <summary>Marks a task done and lets whatever waited on it move; finishes the job when it was the last.</summary>
    public void CompleteTask(LiveJobState job, LiveTask task, ChangeSet changes)
    {
        Dequeue(job, task);
        task.RunningIid = null;
        SetState(job, task, TaskState.Done, changes);
        foreach (var dependent in job.Graph.DependentsOf(task.Tid))
            Settle(job, dependent, changes);
        if (job.AllDone)
        {
            changes.Add(new SetJobTimes(job.Jid, job.Started ? null : NowMs, NowMs));
            Jobs.Remove(job.Jid);
        }
    }

    /// <summary>Ends an invocation that will not report back (lost blade, retried or deleted task).</summary>
    public void AbandonInvocation(LiveInvocation invocation, string status, ChangeSet changes)
    {
        Invocations.Remove(invocation.Iid);
        changes.Add(new FinishInvocation(invocation.Iid, NowMs, null, status));
        if (Blades.TryGetValue(invocation.Blade, out var blade))
        {
            blade.Running.Remove(invocation.Iid);
            blade.PendingCancels.Add(invocation.Iid);
        }
    }

    /// <summary>Puts a task back to wait for a blade from <paramref name="fromCommand"/> on, stopping what runs now.</summary>
    public void Requeue(LiveJobState job, LiveTask task, int fromCommand, string abandonStatus, ChangeSet changes, bool countRetry)
    {
        if (task.RunningIid is { } iid && Invocations.TryGetValue(iid, out var running))
            AbandonInvocation(running, abandonStatus, changes);
        task.RunningIid = null;
        Dequeue(job, task);
        task.NextCommand = fromCommand;
        for (var i = fromCommand; i < task.Commands.Count; i++)
            changes.Add(new SetCommandState(job.Jid, task.Commands[i].Cid, "blocked"));
        if (countRetry)
            task.RetryCount++;
        var state = job.Graph.CanStart(task.Tid, job.IsDone) ? TaskState.Ready : TaskState.Blocked;
        SetState(job, task, state, changes, countRetry ? task.RetryCount : null);
        if (state == TaskState.Ready && task.Commands.Count == 0)
            CompleteTask(job, task, changes);
        else
            Enqueue(job, task, changes);
    }
}
