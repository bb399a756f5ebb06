using System.Diagnostics.CodeAnalysis;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Farm;

/// <summary>
/// The one owner of the engine's in-memory farm: unfinished jobs, the ready queue, current invocations, blades and
/// the counts the scheduler keeps (slots, limits, shares). Every change is a method here, taken under the farm's own
/// lock, and fills a <see cref="ChangeSet"/> that it queues for commit (<see cref="CommitQueue"/>) before it lets go of the
/// lock, so changes reach the database in the order they were decided; the caller waits for it to be durable
/// (<see cref="ChangeCommitter"/>) before it answers anyone. Readers get snapshots. Nothing outside this type sees the lock or the collections. The decision
/// "may this command run on this blade now" is <see cref="DispatchRules.Check"/>, shared with `tq why`.
/// </summary>
internal sealed partial class LiveFarm
{
    private readonly object _gate = new();
    private readonly Dictionary<long, LiveJob> _jobs = [];
    private readonly ReadyQueue _ready = new();
    private readonly Dictionary<long, LiveInvocation> _invocations = [];
    private readonly Dictionary<string, LiveBlade> _blades = new(StringComparer.Ordinal);

    // jid -> unfinished jobs whose -afterjids name it.
    private readonly Dictionary<long, List<long>> _waiters = [];

    // Jobs whose -after start time is still to come, by that time.
    private readonly SortedSet<(long AfterMs, long Jid)> _startTimes = [];

    private readonly Dictionary<string, int> _activeByOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _activeByShareGroup = new(StringComparer.Ordinal);
    private readonly CommitQueue _commits;
    private readonly SiteStateStore _siteState;
    private readonly DispatchPolicy _policy;
    private readonly TimeProvider _clock;
    private readonly EngineOptions _options;
    private LimitCounter? _limits;

    // limits.config and blade.config as the farm schedules by them; swapped whole by Reconfigure, read by anyone.
    private SiteRules _rules;
    private TaskCompletionSource _startTimeAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _jobCounter;
    private long _iidCounter;
    private long _iidsReserved;
    private long _tasksForgotten;

    // Invocation ids are reserved in the site state this many at a time, so a restore never hands one out twice.
    private const long IidReservation = 10_000;
    private bool _dispatchPaused;
    private bool _stale;

    // How often the farm was rebuilt from the database (Replace): a rebuild can change what is in memory without a write.
    private long _loads;

    public LiveFarm(DispatchPolicy policy, TimeProvider clock, IOptions<EngineOptions> options, CommitQueue commits, SiteStateStore siteState)
    {
        _commits = commits;
        _siteState = siteState;
        _policy = policy;
        _clock = clock;
        _options = options.Value;
        _rules = new SiteRules(_options.Limits, _options.Blades, _options.LimitsFingerprint);
        _limits = CounterFor(_rules.Limits);
    }

    /// <summary>
    /// The site's limits.config and blade.config as the farm schedules by them now: whoever builds a job's classes or
    /// matches a profile reads this, so a config reload (<see cref="Reconfigure"/>) reaches them all.
    /// </summary>
    public SiteRules Rules => Volatile.Read(ref _rules);

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>How many tasks have left memory with their jobs (finished or deleted) since the engine started.</summary>
    public long TasksForgotten => Interlocked.Read(ref _tasksForgotten);

    /// <summary>How many tasks the jobs in memory (unfinished, not deleted) have.</summary>
    public long TasksInMemory()
    {
        lock (_gate)
        {
            long count = 0;
            foreach (var job in _jobs.Values)
                count += job.Tasks.Length - 1;
            return count;
        }
    }

    /// <summary>The policy's rank of a `-tier` name; jobs are built with it.</summary>
    public int TierRank(string? tier) => _policy.TierRank(tier);

    /// <summary>
    /// Memory may hold changes the database refused and could not be reloaded since (the database was unreachable);
    /// nothing is served from it until a reload succeeds.
    /// </summary>
    public bool IsStale
    {
        get
        {
            lock (_gate)
                return _stale;
        }
    }

    public void MarkStale()
    {
        lock (_gate)
            _stale = true;
    }

    /// <summary>Takes the next job id (ids only move up; a spool that then fails leaves a gap, as Tractor's do).</summary>
    public long NextJid()
    {
        lock (_gate)
            return ++_jobCounter;
    }

    public void SetDispatchPaused(bool paused)
    {
        lock (_gate)
            _dispatchPaused = paused;
    }

    /// <summary>The earliest `-after` start time still to come (Unix ms), or null when no job waits for one.</summary>
    public long? NextStartTime()
    {
        lock (_gate)
            return _startTimes.Count > 0 ? _startTimes.Min.AfterMs : null;
    }

    /// <summary>Completes when a job with a start time still to come joins the farm (the earliest time may have moved).</summary>
    public Task StartTimeAdded
    {
        get
        {
            lock (_gate)
                return _startTimeAdded.Task;
        }
    }

    /// <summary>Lets jobs whose `-after` time has come into the ready queue; true when any did.</summary>
    public bool ReleaseStartTimes()
    {
        lock (_gate)
        {
            var now = Now;
            var any = false;
            while (_startTimes.Count > 0 && _startTimes.Min.AfterMs <= now)
            {
                var (_, jid) = _startTimes.Min;
                _startTimes.Remove(_startTimes.Min);
                if (_jobs.TryGetValue(jid, out var job))
                {
                    Requeue(job);
                    any |= job.QueueKey is not null;
                }
            }
            return any;
        }
    }

    /// <summary>Records where an invocation's output begins in its task log, once the header is on disk.</summary>
    public void SetLogStart(LiveInvocation invocation, long logStart)
    {
        lock (_gate)
            invocation.LogStart = logStart;
    }

    // Every method that changes the farm queues its change set here before it lets go of the lock (in a finally, so an
    // early return cannot skip it): the database then takes changes in the order they were decided.
    private void Seal(ChangeSet changes)
    {
        if (!changes.IsEmpty)
            _commits.Enqueue(changes, SetLogStart);
    }

    // The next invocation id. Past the reserved block, the next block is written to the site state first (once per
    // IidReservation dispatches), so that ids survive a restore of an older database.
    private long NextIid()
    {
        var iid = ++_iidCounter;
        if (iid > _iidsReserved)
        {
            var upTo = iid + IidReservation - 1;
            _siteState.Update(s => s with { IidsReservedUpTo = upTo });
            _iidsReserved = upTo;
        }
        return iid;
    }

    // ---- the state machine; callers hold _gate ----

    // The task jid/tid names, when its job is in memory and has it (tids count from 1; slot 0 holds no task of the job).
    private bool TryGetTask(long jid, int tid, [NotNullWhen(true)] out LiveJob? job, [NotNullWhen(true)] out LiveTask? task)
    {
        task = _jobs.TryGetValue(jid, out job) && tid >= 1 && tid < job.Tasks.Length ? job.Tasks[tid] : null;
        return task is not null;
    }

    private void Requeue(LiveJob job) => _ready.Refresh(job, Now, DispatchPolicy.QueueKey(job.Record, job.TierRank));

    private void Enqueue(LiveJob job, LiveTask task, ChangeSet changes)
    {
        SkipPostscripts(job, task);
        // A postscript task ready with nothing left for now (only -when error commands, for a job that is done) is done.
        if (task.HoldsPostscript && task.State == TaskState.Ready && task.RunningIid is null && task.NextCommand >= task.Commands.Count
            && job.Graph.CanStart(task.Tid, job.IsDone))
        {
            CompleteTask(job, task, changes);
            return;
        }
        if (task.QueuedAs is not null || !task.WantsBlade)
            return;
        // A -samehost or -refersto command waits in a class of its own blade's, which other blades skip as they skip a
        // service key they do not provide: the task holds up nothing else, and nothing polls for it but that blade.
        var (pinned, pinnedBy) = PinOf(job, task);
        var cls = LiveJobBuilder.OnBlade(job, task.Commands[task.NextCommand].Class, pinned, pinnedBy);
        if (!job.Ready.TryGetValue(cls.Id, out var tids))
            job.Ready[cls.Id] = tids = [];
        tids.Add(task.Tid);
        job.ReadyCount++;
        task.QueuedAs = cls;
        Requeue(job);
        changes.WorkBecameAvailable = true;
        if (!task.HoldsPostscript)
            EndErrorRun(job, changes);
    }

    private void Dequeue(LiveJob job, LiveTask task)
    {
        if (task.QueuedAs is not { } cls)
            return;
        if (job.Ready.TryGetValue(cls.Id, out var tids) && tids.Remove(task.Tid) && tids.Count == 0)
            job.Ready.Remove(cls.Id);
        job.ReadyCount--;
        task.QueuedAs = null;
        Requeue(job);
    }

    private void SetState(LiveJob job, LiveTask task, TaskState state, ChangeSet changes, int? retryCount = null)
    {
        if (task.State == state && retryCount is null)
            return;
        if (task.State == TaskState.Done) job.DoneCount--;
        if (state == TaskState.Done) job.DoneCount++;
        if (task.State == TaskState.Error) job.ErrorCount--;
        if (state == TaskState.Error) job.ErrorCount++;
        task.State = state;
        changes.Add(new SetTaskState(job.Jid, task.Tid, state, Now, retryCount));
    }

    /// <summary>Makes a blocked task ready (or done, if it has no commands left) once everything it waits for is done.</summary>
    private void Settle(LiveJob job, int tid, ChangeSet changes)
    {
        var task = job.Tasks[tid];
        if (!WaitIsOver(job, task))
            return;
        SkipPostscripts(job, task);
        if (task.NextCommand >= task.Commands.Count)
        {
            CompleteTask(job, task, changes);
            return;
        }
        SetState(job, task, TaskState.Ready, changes);
        Enqueue(job, task, changes);
    }

    /// <summary>
    /// A task of a job just put into memory (loaded, or spooled with its startable tasks already ready): a blocked one is
    /// settled; any other is queued as it is, if it wants a blade.
    /// </summary>
    private void QueueOrSettle(LiveJob job, LiveTask task, ChangeSet changes)
    {
        if (task.State == TaskState.Blocked)
            Settle(job, task.Tid, changes);
        else
            Enqueue(job, task, changes);
    }

    /// <summary>
    /// Moves the postscript task (<see cref="LiveTask.HoldsPostscript"/>) past the commands that are not for now. Once
    /// every task it waits for is done, the job is done: everything but `-when error` runs (-cleanup, `-when done`,
    /// `-when always`). While it still waits, it runs only because the job is in error (<see cref="RunErrorPostscripts"/>):
    /// just `-when error` and `-when always` run.
    /// </summary>
    private static void SkipPostscripts(LiveJob job, LiveTask task)
    {
        if (!task.HoldsPostscript)
            return;
        var inError = !job.Graph.CanStart(task.Tid, job.IsDone);
        while (task.NextCommand < task.Commands.Count && !RunsNow(task.Commands[task.NextCommand].RunType, inError))
            task.NextCommand++;

        static bool RunsNow(CommandRunType type, bool inError) =>
            inError ? type is CommandRunType.PostError or CommandRunType.PostAlways : type != CommandRunType.PostError;
    }

    /// <summary>
    /// A task of the job just went into error or finished. When a task is in error and nothing can run any more (no task
    /// waits for a blade, no command runs: each task left is done, in error, or waits for one in error), the job is in
    /// error as Tractor means it, and its `-when error` and `-when always` postscript commands (and `-whenerror`) run,
    /// once each time the job gets there: a retried task that errors again runs them again. Constant time, as it is
    /// asked at every task's end.
    /// </summary>
    private void RunErrorPostscripts(LiveJob job, ChangeSet changes)
    {
        if (job.ErrorPostscriptTid == 0 || !InError(job))
            return;
        var post = job.Tasks[job.ErrorPostscriptTid];
        if (post.State != TaskState.Blocked || post.RunningIid is not null)
            return;
        post.NextCommand = 0;
        SkipPostscripts(job, post);
        if (post.NextCommand >= post.Commands.Count)
            return;
        SetState(job, post, TaskState.Ready, changes);
        Enqueue(job, post, changes);
    }

    // In error as Tractor means it: a task is in error, and no task waits for a blade and no command runs.
    private static bool InError(LiveJob job) => job.ErrorCount > 0 && job.ReadyCount == 0 && job.ActiveCount == 0;

    // Whether the task is the postscript task in the middle of an error run (it runs while it still waits for the job).
    private static bool InErrorRun(LiveJob job, LiveTask task) => task.HoldsPostscript && !job.Graph.CanStart(task.Tid, job.IsDone);

    /// <summary>
    /// A task of the job waits for a blade again (retried, resumed, or released), so the job is no longer in error: an
    /// error run of the postscript task that waits for a blade is over, and the task waits again, from its first command,
    /// for the job. A command of the run that is running now ends as it ends, and the run stops there
    /// (<see cref="GoOnWithErrorRun"/>).
    /// </summary>
    private void EndErrorRun(LiveJob job, ChangeSet changes)
    {
        if (job.ErrorPostscriptTid == 0)
            return;
        var post = job.Tasks[job.ErrorPostscriptTid];
        if (post.State == TaskState.Blocked || post.RunningIid is not null || !InErrorRun(job, post))
            return;
        Dequeue(job, post);
        post.NextCommand = 0;
        SetState(job, post, TaskState.Blocked, changes);
    }

    /// <summary>
    /// After one command of an error run of the postscript task (done, failed or killed): while the job is still in
    /// error, the next `-when error` or `-when always` command is queued; with none left, or once a task of the job waits
    /// for a blade again, the task waits again, from its first command, for the job to be done. A failed or killed error command does not put the task in error: it is in the command's state and the
    /// task log, and the job's failed tasks stay what the job is in error for, so once they are retried and done the
    /// job's done commands run and the job is done.
    /// </summary>
    private void GoOnWithErrorRun(LiveJob job, LiveTask task, ChangeSet changes)
    {
        SkipPostscripts(job, task);
        if (task.NextCommand < task.Commands.Count && InError(job))
        {
            Enqueue(job, task, changes);
            return;
        }
        task.NextCommand = 0;
        SetState(job, task, TaskState.Blocked, changes);
    }

    private static bool WaitIsOver(LiveJob job, LiveTask task) =>
        task.State == TaskState.Blocked && job.Graph.CanStart(task.Tid, job.IsDone);

    /// <summary>Marks a task done and lets whatever waited on it move; finishes the job when it was the last.</summary>
    private void CompleteTask(LiveJob job, LiveTask task, ChangeSet changes)
    {
        Dequeue(job, task);
        task.RunningIid = null;
        // The job is done, so `-when error` postscript commands that never ran are not for it: skipped, not left blocked in
        // a done job as if something still held them. One that ran in an error run keeps how that run ended.
        if (task.HoldsPostscript && job.Graph.CanStart(task.Tid, job.IsDone))
        {
            foreach (var command in task.Commands)
            {
                if (command.RunType == CommandRunType.PostError)
                    changes.Add(new SetCommandState(job.Jid, command.Cid, CommandState.Skipped, OnlyFrom: CommandState.Blocked));
            }
        }
        SetState(job, task, TaskState.Done, changes);
        foreach (var dependent in job.Graph.DependentsOf(task.Tid))
            Settle(job, dependent, changes);
        if (job.AllDone)
        {
            changes.Add(new SetJobTimes(job.Jid, job.Started ? null : Now, Now));
            Forget(job, changes);
        }
        else
            RunErrorPostscripts(job, changes);
    }

    /// <summary>Takes a finished or deleted job out of memory and releases the jobs that waited for it (`-afterjids`).</summary>
    private void Forget(LiveJob job, ChangeSet changes)
    {
        _jobs.Remove(job.Jid);
        Interlocked.Add(ref _tasksForgotten, job.Tasks.Length - 1);
        _ready.Remove(job);
        if (job.Record.AfterTimeMs is { } after)
            _startTimes.Remove((after, job.Jid));
        foreach (var waitedFor in job.WaitingFor)
            if (_waiters.TryGetValue(waitedFor, out var list))
                list.Remove(job.Jid);
        if (!_waiters.Remove(job.Jid, out var waiters))
            return;
        foreach (var jid in waiters)
        {
            if (!_jobs.TryGetValue(jid, out var waiter) || !waiter.WaitingFor.Remove(job.Jid))
                continue;
            Requeue(waiter);
            changes.WorkBecameAvailable = true;
        }
    }

    /// <summary>Counts what a new invocation holds: blade slots, limits, the job's and its owner's active commands.</summary>
    private void Hold(LiveJob job, LiveBlade? blade, LiveInvocation invocation)
    {
        if (blade is not null)
        {
            blade.UsedSlots += invocation.Slots;
            blade.Running.Add(invocation.Iid);
        }
        _limits?.Acquire(invocation.Limits, invocation.Host, invocation.Owner);
        job.ActiveCount++;
        Bump(_activeByOwner, job.Owner, 1);
        Bump(_activeByShareGroup, job.ShareGroup, 1);
    }

    /// <summary>
    /// Gives back what an invocation held; it is over, whatever ended it. Its blade is told it may take work again, and
    /// what came free farm-wide (a limit's count, a -maxactive place) is offered to the blades waiting longest, so a
    /// finish does not wake the whole farm to find one slot.
    /// </summary>
    private void Release(LiveInvocation invocation, ChangeSet changes)
    {
        if (!_invocations.Remove(invocation.Iid))
            return;
        if (_blades.TryGetValue(invocation.Blade, out var blade) && blade.Running.Remove(invocation.Iid))
        {
            blade.UsedSlots = Math.Max(0, blade.UsedSlots - invocation.Slots);
            blade.SlotsFreed += invocation.Slots;
            changes.SlotsFreedOn.Add(invocation.Blade);
        }
        _limits?.Release(invocation.Limits, invocation.Host, invocation.Owner);
        foreach (var limit in invocation.Limits)
            changes.FarmWideFreed.Add(new FreedUnit(limit, null));
        if (!_jobs.TryGetValue(invocation.Jid, out var job))
            return;
        if (job.Record.MaxActive is not null)
            changes.FarmWideFreed.Add(new FreedUnit(null, job.Jid));
        job.ActiveCount = Math.Max(0, job.ActiveCount - 1);
        Bump(_activeByOwner, job.Owner, -1);
        Bump(_activeByShareGroup, job.ShareGroup, -1);
        Requeue(job);
    }

    /// <summary>
    /// Whether a unit given back earlier is still there for another blade: the limit is below its site-wide cap, or the
    /// job still has room under its -maxactive and tasks waiting. Asked before a blade that could not use it passes it on.
    /// </summary>
    public bool IsStillFree(FreedUnit unit)
    {
        lock (_gate)
        {
            if (unit.Limit is { } limit)
                return _limits?.BelowSiteCap(limit) ?? true;
            return unit.Jid is { } jid && _jobs.TryGetValue(jid, out var job) && job.ReadyCount > 0
                && (job.Record.MaxActive is not { } max || job.ActiveCount < max);
        }
    }

    private static void Bump(Dictionary<string, int> counts, string key, int delta)
    {
        var value = counts.GetValueOrDefault(key) + delta;
        if (value <= 0)
            counts.Remove(key);
        else
            counts[key] = value;
    }

    /// <summary>
    /// Ends an invocation that will not report back (lost blade, killed, retried, skipped or deleted task) and asks its
    /// blade to stop it. It ends now, as the record says: one that had started ran until now (elapsedreal), as an exit
    /// that brought no figures would have.
    /// </summary>
    private void Abandon(LiveInvocation invocation, InvocationState status, ChangeSet changes)
    {
        Release(invocation, changes);
        var now = Now;
        _blades.TryGetValue(invocation.Blade, out var blade);
        if (invocation.Started)
            invocation.Usage ??= invocation.ElapsedTo(now, blade?.ClockSkew.Ms);
        changes.Add(new FinishInvocation(invocation.Iid, now, null, status, invocation.Usage));
        blade?.PendingCancels.Add(invocation.Iid);
    }

    /// <summary>Puts a task back to wait for a blade from <paramref name="fromCommand"/> on, stopping what runs now.</summary>
    private void Rewind(LiveJob job, LiveTask task, int fromCommand, InvocationState abandonStatus, ChangeSet changes, bool countRetry)
    {
        if (task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var running))
            Abandon(running, abandonStatus, changes);
        var cutOff = task.RunningIid is not null
            && abandonStatus is InvocationState.Interrupted or InvocationState.BladeSilent or InvocationState.BladeRestarted or InvocationState.Vanished;
        task.ResumeCommand = cutOff ? task.NextCommand - 1 : null;
        task.RunningIid = null;
        Dequeue(job, task);
        task.NextCommand = fromCommand;
        for (var i = fromCommand; i < task.Commands.Count; i++)
            changes.Add(new SetCommandState(job.Jid, task.Commands[i].Cid, CommandState.Blocked));
        if (countRetry)
            task.RetryCount++;
        // Progress belongs to a run; a task that starts over has none until its new run reports some.
        task.Progress = null;
        changes.Add(new SetTaskProgress(job.Jid, task.Tid, null));
        var state = job.Graph.CanStart(task.Tid, job.IsDone) ? TaskState.Ready : TaskState.Blocked;
        // An error run of the postscript task that is cut off (its blade stopped, restarted or lost it) or retried goes on from
        // that command while the job is still in error; once it is not (a failed task was retried), the run is over and
        // the task waits, from its first command, for the job.
        if (state == TaskState.Blocked && task.HoldsPostscript)
        {
            if (InError(job))
                state = TaskState.Ready;
            else
                task.NextCommand = 0;
        }
        SetState(job, task, state, changes, countRetry ? task.RetryCount : null);
        if (state == TaskState.Ready && task.Commands.Count == 0)
            CompleteTask(job, task, changes);
        else
            Enqueue(job, task, changes);
    }

    /// <summary>
    /// Links a job (already in memory) to the unfinished jobs its `-afterjids` name and registers its start time. A
    /// named job that is not in memory is over (done or deleted), so there is nothing to wait for.
    /// </summary>
    private void Admit(LiveJob job)
    {
        foreach (var waitedFor in job.Record.AfterJids)
        {
            if (waitedFor == job.Jid || !_jobs.ContainsKey(waitedFor) || !job.WaitingFor.Add(waitedFor))
                continue;
            if (!_waiters.TryGetValue(waitedFor, out var list))
                _waiters[waitedFor] = list = [];
            list.Add(job.Jid);
        }
        MoveStartTime(job, job.Record.AfterTimeMs);
    }

    /// <summary>
    /// Gives a job in memory its `-after` start time (Unix ms; null for none), the one place that rule lives: at spool
    /// and load (<see cref="Admit"/>), `tq delay`/`undelay` and `tq jattr -k aftertime`. A time still to come holds the job
    /// out of the ready queue until <see cref="ReleaseStartTimes"/> lets it in, and wakes whoever waits for the earliest
    /// one; a time past (or none) holds nothing. The caller requeues the job.
    /// </summary>
    private void MoveStartTime(LiveJob job, long? afterMs)
    {
        if (job.Record.AfterTimeMs is { } old)
            _startTimes.Remove((old, job.Jid));
        if (job.Record.AfterTimeMs != afterMs)
            job.Record = job.Record with { AfterTimeMs = afterMs };
        if (afterMs is not { } after || after <= Now)
            return;
        _startTimes.Add((after, job.Jid));
        _startTimeAdded.TrySetResult();
        _startTimeAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
