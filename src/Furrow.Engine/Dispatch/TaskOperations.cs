using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>The operator's verbs on tasks and jobs: retry, skip, pause, unpause, delete.</summary>
internal sealed class TaskOperations(FarmState farm, IJobStore store, ChangeCommitter committer, FarmLoader loader)
{
    /// <summary>Reruns a task from its first command; a running command is stopped on its blade first.</summary>
    public async Task<string?> RetryAsync(long jid, int tid, CancellationToken cancellationToken)
    {
        if (!await EnsureLiveAsync(jid, cancellationToken).ConfigureAwait(false))
            return $"job {jid} is not in the queue";
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            if (!farm.Jobs.TryGetValue(jid, out var job) || tid < 1 || tid >= job.Tasks.Length)
                return $"J{jid} has no task T{tid}";
            var task = job.Tasks[tid];
            if (task.State == TaskState.Blocked)
                return $"J{jid} T{tid} is blocked: {job.Graph.WhyBlocked(tid, job.IsDone)}";
            farm.Requeue(job, task, 0, "retried", changes, countRetry: false);
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Marks a task done without running (the rest of) it, so what waits on it may go on.</summary>
    public async Task<string?> SkipAsync(long jid, int tid, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            if (!farm.Jobs.TryGetValue(jid, out var job) || tid < 1 || tid >= job.Tasks.Length)
                return $"J{jid} T{tid} is not waiting or running";
            var task = job.Tasks[tid];
            if (task.State == TaskState.Done)
                return $"J{jid} T{tid} is already done";
            if (task.RunningIid is { } iid && farm.Invocations.TryGetValue(iid, out var running))
                farm.AbandonInvocation(running, "skipped", changes);
            for (var i = 0; i < task.Commands.Count; i++)
                changes.Add(new SetCommandState(jid, task.Commands[i].Cid, "skipped"));
            task.NextCommand = task.Commands.Count;
            farm.CompleteTask(job, task, changes);
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public async Task<string?> SetPausedAsync(long jid, bool paused, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            if (farm.Jobs.TryGetValue(jid, out var job))
            {
                job.Paused = paused;
                foreach (var task in job.Tasks.Skip(1))
                {
                    if (paused)
                        farm.Dequeue(job, task);
                    else
                        farm.Enqueue(job, task, changes);
                }
            }
            changes.Add(new SetJobPaused(jid, paused));
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Removes a job from the queue (kept in the database, marked deleted); its running commands are stopped.</summary>
    public async Task<string?> DeleteAsync(long jid, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            if (farm.Jobs.Remove(jid, out var job))
            {
                foreach (var task in job.Tasks.Skip(1))
                {
                    farm.Dequeue(job, task);
                    if (task.RunningIid is { } iid && farm.Invocations.TryGetValue(iid, out var running))
                        farm.AbandonInvocation(running, "deleted", changes);
                }
            }
            changes.Add(new SetJobDeleted(jid, farm.NowMs));
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    // A finished job is not in memory; retrying one of its tasks reopens the job and reloads it from the database.
    private async Task<bool> EnsureLiveAsync(long jid, CancellationToken cancellationToken)
    {
        lock (farm.Gate)
            if (farm.Jobs.ContainsKey(jid))
                return true;
        var job = (await store.ListJobsAsync(false, cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.Jid == jid);
        if (job is null)
            return false;
        await store.CommitAsync([new SetJobTimes(jid, null, null)], cancellationToken).ConfigureAwait(false);
        await loader.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
