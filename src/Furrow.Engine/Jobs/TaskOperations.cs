using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Jobs;

/// <summary>
/// The operator's verbs on tasks, jobs and blades: retry, resume, skip, pause, unpause, interrupt, restart, delete, undelete,
/// chpri, delay, undelay, retryallerrs, skipallerrs, unblock, nimby.
/// </summary>
internal sealed class TaskOperations(LiveFarm farm, IJobStore store, ChangeCommitter committer, FarmLoader loader)
{
    /// <summary>Reruns a task from its first command; a running command is stopped on its blade first.</summary>
    public async Task<string?> RetryAsync(long jid, int tid, CancellationToken cancellationToken)
    {
        if (!await EnsureLiveAsync(jid, cancellationToken).ConfigureAwait(false))
            return $"job {jid} is not in the queue";
        var changes = new ChangeSet();
        var problem = farm.Retry(jid, tid, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Marks a task done without running (the rest of) it, so what waits on it may go on.</summary>
    public async Task<string?> SkipAsync(long jid, int tid, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var problem = farm.Skip(jid, tid, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Runs a task in error again from the command that failed or was stopped (`tq resume`).</summary>
    public async Task<string?> ResumeAsync(long jid, int tid, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var problem = farm.Resume(jid, tid, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Stops a job's running commands; their tasks go to error (`tq interrupt`).</summary>
    public async Task<string?> InterruptAsync(long jid, string user, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var problem = farm.Interrupt(jid, user, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Starts a job over from its first tasks, done ones too (`tq restart`); a finished job joins the queue again.</summary>
    public async Task<string?> RestartAsync(long jid, CancellationToken cancellationToken)
    {
        if (!await EnsureLiveAsync(jid, cancellationToken).ConfigureAwait(false))
            return $"job {jid} is not in the queue";
        var changes = new ChangeSet();
        farm.Restart(jid, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public async Task<string?> SetPausedAsync(long jid, bool paused, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        farm.SetPaused(jid, paused, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Removes a job from the queue (kept in the database, marked deleted); its running commands are stopped.</summary>
    public async Task<string?> DeleteAsync(long jid, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        farm.Delete(jid, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Gives a job a new priority (`tq chpri`); a queued job takes its new place at once.</summary>
    public async Task<string?> SetPriorityAsync(long jid, double priority, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        farm.SetPriority(jid, priority, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Holds a job until a time (`tq delay`), or lets it start at once (`tq undelay`, null).</summary>
    public async Task<string?> SetAfterTimeAsync(long jid, long? afterMs, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        farm.SetAfterTime(jid, afterMs, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Retries (or skips) every task of the job in error (`tq retryallerrs`, `tq skipallerrs`); a problem when it has none,
    /// or when not one of them could be.
    /// </summary>
    public async Task<string?> EachErrorAsync(long jid, bool skip, CancellationToken cancellationToken)
    {
        var errors = farm.TasksIn(jid, Core.Jobs.TaskState.Error);
        if (errors.Count == 0)
            return $"J{jid} has no task in error";
        // Each task is tried: one that changed state meanwhile (a retry of its own, a skip) does not hold back the rest.
        var problems = new List<string>();
        foreach (var tid in errors)
        {
            if ((skip ? await SkipAsync(jid, tid, cancellationToken).ConfigureAwait(false) : await RetryAsync(jid, tid, cancellationToken).ConfigureAwait(false))
                is { } problem)
                problems.Add(problem);
        }
        return problems.Count == errors.Count ? string.Join("; ", problems) : null;
    }

    /// <summary>
    /// Brings a deleted job back from the archive (`tq undelete`) with its tasks, commands, runs and logs as they were; a job
    /// with work left joins the queue again, its commands that were stopped by the delete waiting to run again.
    /// </summary>
    public async Task<string?> UndeleteAsync(long jid, CancellationToken cancellationToken)
    {
        var job = (await store.QueryJobsAsync(new Storage.Queries.ListQuery(IncludeDeleted: true) { Jid = jid }, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault();
        if (job is null)
            return $"there is no job {jid}";
        if (!job.Deleted)
            return $"J{jid} is not deleted";
        await store.CommitAsync([new SetJobUndeleted(jid)], cancellationToken).ConfigureAwait(false);
        // The archive purger may have taken the job between the read and the write; then nothing came back.
        if ((await store.QueryJobsAsync(new Storage.Queries.ListQuery(IncludeDeleted: true) { Jid = jid }, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault() is not { Deleted: false })
            return $"J{jid} was purged from the archive (ArchiveRetentionDays) before it could come back";
        if (job.StopTimeMs is null)
            await loader.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Changes one attribute of a job (`tq jattr`); see <see cref="LiveFarm.SetJobAttribute"/>.</summary>
    public async Task<string?> SetJobAttributeAsync(long jid, Core.Jobs.AttributeEdit edit, CancellationToken cancellationToken)
    {
        // As at spool: a job waits only for jobs that exist.
        foreach (var other in edit.Key == "afterjids" ? edit.Ids! : [])
            if (!await store.JobExistsAsync(other, cancellationToken).ConfigureAwait(false))
                return $"J{jid}: afterjids names job {other}, which does not exist";
        var changes = new ChangeSet();
        var problem = farm.SetJobAttribute(jid, edit, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Gives a task a new title (`tq tattr -k title`).</summary>
    public async Task<string?> SetTaskTitleAsync(long jid, int tid, Core.Jobs.AttributeEdit edit, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var problem = farm.SetTaskTitle(jid, tid, edit, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>Changes one attribute of a command (`tq cattr`, `tq chkeys`); see <see cref="LiveFarm.SetCommandAttribute"/>.</summary>
    public async Task<string?> SetCommandAttributeAsync(long jid, int tid, int cid, Core.Jobs.AttributeEdit edit, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var problem = farm.SetCommandAttribute(jid, tid, cid, edit, changes);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problem;
    }

    /// <summary>The user holding a job's lock (`tq lock`), or null when it is not locked or there is no such job.</summary>
    public async Task<string?> LockHolderAsync(long jid, CancellationToken cancellationToken) =>
        (await store.QueryJobsAsync(new Storage.Queries.ListQuery(IncludeDeleted: true) { Jid = jid }, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault()?.LockedBy;

    /// <summary>Locks a job to <paramref name="user"/> (`tq lock`), or unlocks it when null (`tq unlock`).</summary>
    public async Task SetLockAsync(long jid, string? user, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        changes.Add(new SetJobLock(jid, user));
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Clears a job's blocklist for one blade, or every blade when <paramref name="blade"/> is null.</summary>
    public async Task<string?> UnblockAsync(long jid, string? blade, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        if (!farm.Unblock(jid, blade, changes))
            return $"job {jid} is not in the queue";
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Nimby on or off for a blade (kept across engine and blade restarts).</summary>
    public async Task<string?> SetNimbyAsync(string blade, bool nimby, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        if (!farm.SetNimby(blade, nimby, changes))
            return $"no blade named {blade} has registered with this engine";
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return null;
    }

    // A finished job is not in memory; retrying one of its tasks reopens the job and reloads it from the database.
    private async Task<bool> EnsureLiveAsync(long jid, CancellationToken cancellationToken)
    {
        if (farm.IsLive(jid))
            return true;
        var job = (await store.QueryJobsAsync(new Storage.Queries.ListQuery { Jid = jid }, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        if (job is null)
            return false;
        await store.CommitAsync([new SetJobTimes(jid, null, null)], cancellationToken).ConfigureAwait(false);
        await loader.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
