using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>The task verbs <see cref="LiveFarm.OnTasks"/> runs on several tasks of a job at once.</summary>
internal enum TaskVerb
{
    Retry,
    Skip,
    Resume,
    Kill,
}

internal sealed partial class LiveFarm
{
    /// <summary>
    /// Runs one task verb on several tasks of one job as one step: under one hold of the farm and in one change set, so
    /// nothing moves between the first task and the last. Done one request per task, `tq retry jid=J` (every task of
    /// the job) let a blade finish the first retried task before the rest were retried: the job's postscript task then
    /// started its done run, and retrying it next ran its commands twice. Returns one reason per tid, in their order:
    /// null where done, else why not (<see cref="Retry"/>, <see cref="Skip"/>, <see cref="Resume"/>, <see cref="Kill"/>).
    /// With <paramref name="onlyIn"/>, a task no longer in that state (`tq retryallerrs` chose it as in error) is left.
    /// </summary>
    public string?[] OnTasks(long jid, IReadOnlyList<int> tids, TaskVerb verb, string user, ChangeSet changes, TaskState? onlyIn = null)
    {
        lock (_gate)
        {
            try
            {
                var problems = new string?[tids.Count];
                for (var i = 0; i < tids.Count; i++)
                {
                    if (onlyIn is { } wanted && (!TryGetTask(jid, tids[i], out _, out var chosen) || chosen.State != wanted))
                    {
                        problems[i] = $"J{jid} T{tids[i]} is no longer {wanted.ToString().ToLowerInvariant()}";
                        continue;
                    }
                    problems[i] = verb switch
                    {
                        TaskVerb.Retry => Retry(jid, tids[i], changes),
                        TaskVerb.Skip => Skip(jid, tids[i], changes),
                        TaskVerb.Resume => Resume(jid, tids[i], changes),
                        TaskVerb.Kill => Kill(jid, tids[i], user, changes),
                        _ => throw new ArgumentOutOfRangeException(nameof(verb), verb, "not a task verb"),
                    };
                }
                return problems;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>Reruns a task from its first command; a running command is stopped on its blade first. Null when done, else why not.</summary>
    private string? Retry(long jid, int tid, ChangeSet changes)
    {
        if (!TryGetTask(jid, tid, out var job, out var task))
            return $"J{jid} has no task T{tid}";
        if (task.State == TaskState.Blocked)
            return $"J{jid} T{tid} is blocked: {job.Graph.WhyBlocked(tid, job.IsDone)}";
        Rewind(job, task, 0, InvocationState.Retried, changes, countRetry: false);
        return null;
    }

    /// <summary>Marks a task done without running (the rest of) it, so what waits on it may go on.</summary>
    private string? Skip(long jid, int tid, ChangeSet changes)
    {
        if (!TryGetTask(jid, tid, out var job, out var task))
            return $"J{jid} T{tid} is not waiting or running";
        if (task.State == TaskState.Done)
            return $"J{jid} T{tid} is already done";
        // What ran to its end stays done: skipped are the command running or failed now and those after it, and
        // postscript commands passed over for this run (still blocked).
        var from = task.RunningIid is not null || task.State == TaskState.Error ? Math.Max(0, task.NextCommand - 1) : task.NextCommand;
        if (task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var running))
            Abandon(running, InvocationState.Skipped, changes);
        for (var i = 0; i < task.Commands.Count; i++)
            changes.Add(new SetCommandState(jid, task.Commands[i].Cid, CommandState.Skipped, OnlyFrom: i < from ? CommandState.Blocked : null));
        task.NextCommand = task.Commands.Count;
        CompleteTask(job, task, changes);
        return null;
    }

    /// <summary>
    /// Interrupts a job (Tractor's jinterrupt, `tq interrupt`): pauses it, so it starts nothing more, and stops every
    /// command it has running; each one's task goes to error, where `tq retry` reruns it and `tq resume` goes on from the
    /// stopped command once the job is unpaused (`tq unpause`; `tq restart` does not unpause). Null when done, else why
    /// not: the job is not in the queue, or it has nothing running and is paused already.
    /// </summary>
    public string? Interrupt(long jid, string user, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_jobs.TryGetValue(jid, out var job))
                    return $"J{jid} has no running command (it is not in the queue: done or deleted)";
                var stopped = 0;
                foreach (var task in job.Tasks.AsSpan(1))
                {
                    if (Kill(job, task, $"interrupted by {user} (tq interrupt)", changes))
                        stopped++;
                }
                if (stopped == 0 && job.Paused)
                    return $"J{jid} has no running command and is paused already (tq unpause lets it go on)";
                Pause(jid, true, changes);
                return null;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>
    /// Kills one task's running command (Tractor's jinterrupt with a tid, the kill task of its later clients): the task
    /// goes to error, where `tq retry` reruns it and `tq resume` goes on from the stopped command; unlike
    /// <see cref="Interrupt"/>, the job is not paused, so its other tasks go on. Null when done, else why not: the job is not
    /// in the queue, it has no such task, or the task has no command running.
    /// </summary>
    private string? Kill(long jid, int tid, string user, ChangeSet changes)
    {
        if (!TryGetTask(jid, tid, out var job, out var task))
            return $"J{jid} T{tid} has no running command (no such task in the queue)";
        return Kill(job, task, $"killed by {user}", changes) ? null : $"J{jid} T{tid} has no running command";
    }

    // Stops a task's running command, if it has one, and puts the task in error; the log says who stopped it.
    private bool Kill(LiveJob job, LiveTask task, string why, ChangeSet changes)
    {
        if (task.RunningIid is not { } iid || !_invocations.TryGetValue(iid, out var running))
            return false;
        if (running.Started || running.HeaderWritten)
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, iid, $"[furrow] {why}\n", false));
        Abandon(running, InvocationState.Killed, changes);
        changes.Add(new SetCommandState(job.Jid, running.Cid, CommandState.Error));
        task.RunningIid = null;
        Dequeue(job, task);
        if (InErrorRun(job, task))
        {
            GoOnWithErrorRun(job, task, changes);
            return true;
        }
        SetState(job, task, TaskState.Error, changes);
        RunErrorPostscripts(job, changes);
        return true;
    }

    /// <summary>
    /// Starts a job over (Tractor's jrestart, `tq restart`): running commands are stopped, every task, done ones too,
    /// waits to run again from its first command, and the job's blocklist is cleared.
    /// </summary>
    public void Restart(long jid, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_jobs.TryGetValue(jid, out var job))
                    return;
                // Every task is put back first and only then are the startable ones made ready: settled one by one,
                // a parent would see children not yet put back as done.
                foreach (var task in job.Tasks.AsSpan(1))
                {
                    if (task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var running))
                        Abandon(running, InvocationState.Retried, changes);
                    task.RunningIid = null;
                    task.ResumeCommand = null;
                    Dequeue(job, task);
                    task.NextCommand = 0;
                    foreach (var command in task.Commands)
                        changes.Add(new SetCommandState(jid, command.Cid, CommandState.Blocked));
                    if (task.Progress is not null)
                        changes.Add(new SetTaskProgress(jid, task.Tid, null));
                    task.Progress = null;
                    SetState(job, task, TaskState.Blocked, changes);
                }
                job.Failures.Clear();
                changes.Add(new ClearBlocklist(jid, null));
                foreach (var task in job.Tasks.AsSpan(1))
                    Settle(job, task.Tid, changes);
                Requeue(job);
                changes.WorkBecameAvailable = true;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>
    /// Runs a task in error again from the command that failed or was stopped (Tractor's tretry with recover, `tq
    /// resume`): the commands before it that succeeded are not run again, and the resumed command sees <c>%r</c> as 1.
    /// Null when done, else why not.
    /// </summary>
    private string? Resume(long jid, int tid, ChangeSet changes)
    {
        if (!_jobs.TryGetValue(jid, out var job))
            return $"J{jid} T{tid} is not in error: its job is not in the queue (done or deleted); tq retry reruns a task of a finished job";
        if (tid < 1 || tid >= job.Tasks.Length)
            return $"J{jid} has no task T{tid}";
        var task = job.Tasks[tid];
        if (task.State != TaskState.Error)
            return $"J{jid} T{tid} is {task.State.ToString().ToLowerInvariant()}, not in error: only a task in error resumes (tq retry reruns any)";
        var from = Math.Max(0, task.NextCommand - 1);
        Rewind(job, task, from, InvocationState.Retried, changes, countRetry: false);
        task.ResumeCommand = from;
        return null;
    }

    /// <summary>Pauses or unpauses a job: a paused job gets no new blades; what runs goes on.</summary>
    public void SetPaused(long jid, bool paused, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                Pause(jid, paused, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    // `tq pause`/`unpause`, `tq jattr -k paused` and `tq interrupt`; the caller holds _gate and seals.
    private void Pause(long jid, bool paused, ChangeSet changes)
    {
        if (_jobs.TryGetValue(jid, out var job))
        {
            job.Paused = paused;
            job.Record = job.Record with { Paused = paused };
            Requeue(job);
            if (!paused)
                changes.WorkBecameAvailable = true;
        }
        changes.Add(new SetJobPaused(jid, paused));
    }

    /// <summary>Removes a job from the queue (kept in the database, marked deleted); its running commands are stopped.</summary>
    public void Delete(long jid, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (_jobs.TryGetValue(jid, out var job))
                {
                    foreach (var task in job.Tasks.AsSpan(1))
                        if (task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var running))
                            Abandon(running, InvocationState.Deleted, changes);
                    Forget(job, changes);
                }
                changes.Add(new SetJobDeleted(jid, Now));
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>Gives a job a new priority; a job in the queue takes its new place at once, a finished one keeps it on record.</summary>
    public void SetPriority(long jid, double priority, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                Reprioritize(jid, priority, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    // `tq chpri` and `tq jattr -k priority`; the caller holds _gate and seals.
    private void Reprioritize(long jid, double priority, ChangeSet changes)
    {
        if (_jobs.TryGetValue(jid, out var job))
        {
            job.Record = job.Record with { Priority = priority };
            Requeue(job);
            changes.WorkBecameAvailable = true;
        }
        changes.Add(new SetJobPriority(jid, priority));
    }

    /// <summary>
    /// Holds a job until <paramref name="afterMs"/> (Unix ms), or lets it go at once when null (`tq delay`/`undelay`, Tractor's
    /// `set_afterTime`). What already runs goes on.
    /// </summary>
    public void SetAfterTime(long jid, long? afterMs, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                Delay(jid, afterMs, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    // `tq delay`/`undelay` and `tq jattr -k aftertime`; the caller holds _gate and seals.
    private void Delay(long jid, long? afterMs, ChangeSet changes)
    {
        if (_jobs.TryGetValue(jid, out var job))
        {
            MoveStartTime(job, afterMs);
            Requeue(job);
            changes.WorkBecameAvailable = true;
        }
        changes.Add(new SetJobAfterTime(jid, afterMs));
    }

    /// <summary>The job's tasks in <paramref name="state"/>, in tid order; empty when the job is not in the queue.</summary>
    public List<int> TasksIn(long jid, TaskState state)
    {
        lock (_gate)
        {
            return _jobs.TryGetValue(jid, out var job)
                ? job.Tasks.AsSpan(1).ToArray().Where(t => t.State == state).Select(t => t.Tid).ToList()
                : [];
        }
    }

    /// <summary>
    /// Clears a job's blocklist for one blade (or every blade when null): null when the job is not in the queue, false when
    /// it has no failures recorded on that blade (on any, for null), so there was nothing to clear.
    /// </summary>
    public bool? Unblock(long jid, string? blade, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_jobs.TryGetValue(jid, out var job))
                    return null;
                var cleared = blade is null ? job.Failures.Count > 0 : job.Failures.ContainsKey(blade);
                if (!cleared)
                    return false;
                if (blade is null)
                    job.Failures.Clear();
                else
                    job.Failures.Remove(blade);
                changes.Add(new ClearBlocklist(jid, blade));
                changes.WorkBecameAvailable = true;
                return true;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>Nimby on: the blade takes no new work (what runs goes on). False when no such blade is known.</summary>
    public bool SetNimby(string bladeName, bool nimby, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_blades.TryGetValue(bladeName, out var blade))
                    return false;
                blade.Record = blade.Record with { Nimby = nimby };
                changes.Add(new SetBladeNimby(bladeName, nimby));
                if (!nimby)
                    changes.WorkBecameAvailable = true;
                return true;
            }
            finally
            {
                Seal(changes);
            }
        }
    }
}
