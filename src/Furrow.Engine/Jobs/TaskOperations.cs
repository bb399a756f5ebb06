using Furrow.Core.Access;
using Furrow.Engine.Access;
using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Jobs;

/// <summary>
/// The operator's verbs on tasks, jobs and blades: retry, resume, skip, kill, pause, unpause, interrupt, restart, delete, undelete,
/// chpri, delay, undelay, retryallerrs, skipallerrs, jattr, tattr, cattr, chkeys, lock, unlock, unblock, nimby; and the
/// rules every verb a search clause aims obeys (locks, crews.config's job edit policies), in <see cref="ApplyAsync"/>.
/// </summary>
internal sealed class TaskOperations(LiveFarm farm, IJobStore store, ChangeCommitter committer, FarmLoader loader, UserAccounts accounts,
    Events.EventFeed events)
{
    /// <summary>
    /// Runs an operation on each target its clause matched, under the rules every one of them obeys
    /// (<see cref="CrewRules.OperationRefusal"/>: a locked job is acted on by its lock's holder only, and who may act on
    /// a job is its crews.config policy's to say, another user's job also needing `--force`); a task's service key
    /// (`tq chkeys`, `tq tattr -k service`) is changed on each of its own commands. A target refused, or one its
    /// operation could not be done on, is named with why in the outcome; the rest go on.
    /// </summary>
    public async Task<OperationOutcome> ApplyAsync(OperationRequest request, IReadOnlyList<OperationTarget> targets,
        CancellationToken cancellationToken)
    {
        var (operation, user, force) = (request.Operation, request.User, request.Force);
        var rules = accounts.Crews;
        var done = new List<string>();
        var refused = new List<string>();
        var forbidden = 0;
        // A job's row (lock, policy) is read once, however many of its tasks match; so are its commands, for a service key.
        var lockOf = new Dictionary<long, string?>();
        var policyOf = new Dictionary<long, string?>();
        var commandsOf = new Dictionary<long, ILookup<int, int>>();
        // A task verb's targets in one job are acted on as one step (LiveFarm.OnTasks): gathered, then done together.
        var verb = TaskVerbOf(operation);
        var batch = new List<OperationTarget>();
        async Task FlushAsync()
        {
            if (batch.Count == 0)
                return;
            var problems = await OnTasksAsync(batch[0].Jid, [.. batch.Select(t => t.Tid)], verb!.Value, user, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                if (problems[i] is { } problem)
                    refused.Add(problem);
                else
                    done.Add(batch[i].Name);
            }
            batch.Clear();
        }

        foreach (var target in targets)
        {
            var (jid, tid, cid, name) = (target.Jid, target.Tid, target.Cid, target.Name);
            if (batch.Count > 0 && batch[0].Jid != jid)
                await FlushAsync().ConfigureAwait(false);
            if (!lockOf.TryGetValue(jid, out var holder))
            {
                var row = await JobRowAsync(jid, cancellationToken).ConfigureAwait(false);
                lockOf[jid] = holder = row?.LockedBy;
                policyOf[jid] = row?.EditPolicy;
            }
            if (rules.OperationRefusal(request.Caller, operation, new JobAccessFacts(target.Owner, policyOf[jid], holder), force, name) is { } refusal)
            {
                refused.Add(refusal);
                forbidden++;
                continue;
            }
            if (verb is not null)
            {
                batch.Add(target);
                continue;
            }
            string? problem;
            if (operation is "lock" or "unlock")
            {
                // Locking a job one holds, or unlocking one no one holds, is done already: a script may say it twice.
                var wanted = operation == "lock" ? user : null;
                if (holder != wanted)
                {
                    lockOf[jid] = wanted;
                    await SetLockAsync(jid, wanted, cancellationToken).ConfigureAwait(false);
                }
                problem = null;
            }
            else if (request.Edit is { Key: "service" } && cid == 0)
            {
                if (!commandsOf.TryGetValue(jid, out var byTask))
                    commandsOf[jid] = byTask = (await store.ListCommandsAsync(jid, cancellationToken).ConfigureAwait(false)).ToLookup(c => c.Tid, c => c.Cid);
                problem = byTask[tid].Any() ? null : $"{name} has no command of its own (its subtasks' commands keep their keys)";
                foreach (var each in byTask[tid])
                    problem ??= await SetCommandAttributeAsync(jid, tid, each, request.Edit, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                problem = await OperateAsync(request, target, cancellationToken).ConfigureAwait(false);
            }
            if (problem is null)
                done.Add(name);
            else
                refused.Add(problem);
        }
        await FlushAsync().ConfigureAwait(false);
        return new OperationOutcome(done, refused) { Forbidden = forbidden };
    }

    private static TaskVerb? TaskVerbOf(string operation) => operation switch
    {
        "retry" => TaskVerb.Retry,
        "skip" => TaskVerb.Skip,
        "resume" => TaskVerb.Resume,
        "kill" => TaskVerb.Kill,
        _ => null,
    };

    private async Task<string?> OperateAsync(OperationRequest request, OperationTarget target, CancellationToken cancellationToken)
    {
        var (jid, tid, cid) = (target.Jid, target.Tid, target.Cid);
        return request.Operation switch
        {
            "interrupt" => await InterruptAsync(jid, request.User, cancellationToken).ConfigureAwait(false),
            "restart" => await RestartAsync(jid, cancellationToken).ConfigureAwait(false),
            "pause" => await SetPausedAsync(jid, true, cancellationToken).ConfigureAwait(false),
            "unpause" => await SetPausedAsync(jid, false, cancellationToken).ConfigureAwait(false),
            "delete" => await DeleteAsync(jid, cancellationToken).ConfigureAwait(false),
            "undelete" => await UndeleteAsync(jid, cancellationToken).ConfigureAwait(false),
            "chpri" => await SetPriorityAsync(jid, request.Priority, cancellationToken).ConfigureAwait(false),
            "delay" => await SetAfterTimeAsync(jid, request.AfterMs, cancellationToken).ConfigureAwait(false),
            "undelay" => await SetAfterTimeAsync(jid, null, cancellationToken).ConfigureAwait(false),
            "retryallerrs" => await EachErrorAsync(jid, skip: false, cancellationToken).ConfigureAwait(false),
            "skipallerrs" => await EachErrorAsync(jid, skip: true, cancellationToken).ConfigureAwait(false),
            "jattr" => await SetJobAttributeAsync(jid, request.Edit!, accounts.Crews.ViewScope(request.Caller), cancellationToken).ConfigureAwait(false),
            "tattr" => await SetTaskTitleAsync(jid, tid, request.Edit!, cancellationToken).ConfigureAwait(false),
            "cattr" => await SetCommandAttributeAsync(jid, tid, cid, request.Edit!, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown operation '{request.Operation}'", nameof(request)),
        };
    }

    /// <summary>
    /// Runs a task verb (retry, skip, resume, kill) on some of one job's tasks as one step (<see cref="LiveFarm.OnTasks"/>);
    /// a retry first brings a finished job back into the queue. One reason per tid, in their order: null where done.
    /// </summary>
    public async Task<string?[]> OnTasksAsync(long jid, IReadOnlyList<int> tids, TaskVerb verb, string user, CancellationToken cancellationToken,
        Core.Jobs.TaskState? onlyIn = null)
    {
        if (verb == TaskVerb.Retry && !await EnsureLiveAsync(jid, cancellationToken).ConfigureAwait(false))
            return [.. tids.Select(_ => (string?)$"job {jid} is not in the queue")];
        var changes = new ChangeSet();
        var problems = farm.OnTasks(jid, tids, verb, user, changes, onlyIn);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return problems;
    }

    /// <summary>Pauses a job and stops its running commands; their tasks go to error (`tq interrupt`).</summary>
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
        // All of them in one step; one that left error meanwhile (a retry or skip of its own) is passed over, not rerun.
        var problems = (await OnTasksAsync(jid, errors, skip ? TaskVerb.Skip : TaskVerb.Retry, "", cancellationToken, Core.Jobs.TaskState.Error)
            .ConfigureAwait(false)).OfType<string>().ToList();
        return problems.Count == errors.Count ? string.Join("; ", problems) : null;
    }

    /// <summary>
    /// Brings a deleted job back from the archive (`tq undelete`) with its tasks, commands, runs and logs as they were; a job
    /// with work left joins the queue again, its commands that were stopped by the delete waiting to run again.
    /// </summary>
    public async Task<string?> UndeleteAsync(long jid, CancellationToken cancellationToken)
    {
        var job = await JobRowAsync(jid, cancellationToken).ConfigureAwait(false);
        if (job is null)
            return $"there is no job {jid}";
        if (!job.Deleted)
            return $"J{jid} is not deleted";
        await store.CommitAsync([new SetJobUndeleted(jid)], cancellationToken).ConfigureAwait(false);
        events.PublishCommitted([new SetJobUndeleted(jid)]);
        // The archive purger may have taken the job between the read and the write; then nothing came back.
        if (await JobRowAsync(jid, cancellationToken).ConfigureAwait(false) is not { Deleted: false })
            return $"J{jid} was purged from the archive (ArchiveRetentionDays) before it could come back";
        if (job.StopTimeMs is null && await loader.LoadJobAsync(jid, cancellationToken).ConfigureAwait(false) is { } loaded)
            await committer.CommitAsync(loaded, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Changes one attribute of a job (`tq jattr`); see <see cref="LiveFarm.SetJobAttribute"/>. `afterjids` may name only
    /// jobs that exist and that <paramref name="scope"/> shows (every job when null).
    /// </summary>
    public async Task<string?> SetJobAttributeAsync(long jid, Core.Jobs.AttributeEdit edit, Core.Access.JobScope? scope, CancellationToken cancellationToken)
    {
        // As at spool: a job waits only for jobs that exist (to the caller).
        foreach (var other in edit.Key == "afterjids" ? edit.Ids! : [])
            if (!await store.JobExistsAsync(other, scope, cancellationToken).ConfigureAwait(false))
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

    /// <summary>Locks a job to <paramref name="user"/> (`tq lock`), or unlocks it when null (`tq unlock`).</summary>
    private async Task SetLockAsync(long jid, string? user, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        changes.Add(new SetJobLock(jid, user));
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Clears a job's blocklist for one blade, or every blade when <paramref name="blade"/> is null: null when done, else
    /// why not (the job is not in the queue: <c>NotInQueue</c>; it has no failures recorded there: nothing to clear).
    /// </summary>
    public async Task<(string Problem, bool NotInQueue)?> UnblockAsync(long jid, string? blade, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        switch (farm.Unblock(jid, blade, changes))
        {
            case null:
                return ($"job {jid} is not in the queue", true);
            case false:
                return (blade is null ? $"J{jid} has no blocklist: no blade has failed its commands"
                    : $"J{jid} {blade} is not on its blocklist: no command of the job has failed there", false);
        }
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

    // A finished job is not in memory; retrying one of its tasks, or restarting it, reopens the job (no stop time) and
    // brings it back from the database on its own. False when there is no such job, or it is deleted.
    private async Task<bool> EnsureLiveAsync(long jid, CancellationToken cancellationToken)
    {
        if (farm.IsLive(jid))
            return true;
        if (await JobRowAsync(jid, cancellationToken).ConfigureAwait(false) is not { Deleted: false })
            return false;
        await store.CommitAsync([new SetJobTimes(jid, null, null)], cancellationToken).ConfigureAwait(false);
        events.PublishCommitted([new SetJobTimes(jid, null, null)]);
        if (await loader.LoadJobAsync(jid, cancellationToken).ConfigureAwait(false) is not { } loaded)
            return farm.IsLive(jid);
        await committer.CommitAsync(loaded, cancellationToken).ConfigureAwait(false);
        return true;
    }

    // A job's row as the database holds it, deleted or not; null when there is no such job.
    private async Task<JobRecord?> JobRowAsync(long jid, CancellationToken cancellationToken) =>
        (await store.QueryJobsAsync(new Storage.Queries.ListQuery(IncludeDeleted: true) { Jid = jid }, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault();
}
