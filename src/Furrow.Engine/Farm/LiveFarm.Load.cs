using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// Where an invocation found current at a load stands in its task log (read from disk before the farm is locked), and
/// for an `-expand` command what it printed so far.
/// </summary>
internal sealed record LogPosition(bool HeaderWritten, long? LogStart, long LogBytes, byte[]? ExpandOutput = null);

internal sealed partial class LiveFarm
{
    /// <summary>
    /// Replaces the whole farm with what the database holds: <paramref name="jobs"/> were built by
    /// <see cref="LiveJobBuilder"/> with their stored states laid over. Blades keep their contact time and figures
    /// across a reload (a reload is no reason to think them gone). Returns the writes it needs (orphaned invocations,
    /// tasks that became ready).
    /// </summary>
    public ChangeSet Replace(LiveState live, IReadOnlyList<LiveJob> jobs, bool dispatchPaused,
        IReadOnlyDictionary<long, LogPosition> logPositions)
    {
        var changes = new ChangeSet();
        lock (_gate)
        {
            try
            {
                var now = Now;
                _loads++;
                _jobs.Clear();
                _ready.Clear();
                _invocations.Clear();
                _waiters.Clear();
                _startTimes.Clear();
                _activeByOwner.Clear();
                _activeByShareGroup.Clear();
                _limits = CounterFor(_rules.Limits);
                var previous = _blades.Values.ToDictionary(b => b.Name);
                _blades.Clear();
                foreach (var record in live.Blades)
                {
                    // Blades get a full silence timeout after an engine start to come back and report what they ran.
                    var known = previous.GetValueOrDefault(record.Name);
                    _blades[record.Name] = new LiveBlade(record)
                    {
                        LastContactMs = known?.LastContactMs ?? now,
                        IsLocal = known?.IsLocal ?? false,
                        Figures = known?.Figures,
                        Address = known?.Address,
                        Profile = known?.Profile ?? Blades.BladeProfiles.Resolve(_rules.Blades, record),
                    };
                }
                _dispatchPaused = dispatchPaused;
                _stale = false;
                _jobCounter = Math.Max(_jobCounter, live.JobCounter);
                // Above every id the database knows and every id handed out before (a restored database knows fewer).
                _iidCounter = Math.Max(_iidCounter, Math.Max(live.MaxIid, _siteState.Current.IidsReservedUpTo));
                _iidsReserved = _iidCounter;

                foreach (var job in jobs)
                {
                    _jobs[job.Jid] = job;
                    ClassifyIfStale(job);
                }
                foreach (var job in jobs)
                    Admit(job);
                foreach (var entry in live.Blocklist)
                {
                    if (!_jobs.TryGetValue(entry.Jid, out var job))
                        continue;
                    job.Failures[entry.Blade] = entry.Failures;
                }

                foreach (var record in live.CurrentInvocations)
                {
                    if (!_jobs.TryGetValue(record.Jid, out var job))
                    {
                        changes.Add(new FinishInvocation(record.Iid, now, null, InvocationState.Orphaned));
                        continue;
                    }
                    var task = job.Tasks[record.Tid];
                    var at = task.IndexOfCommand(record.Cid);
                    var command = at < 0 ? null : task.Commands[at];
                    task.RunningIid = record.Iid;
                    task.NextCommand = at + 1;
                    task.LastRun = (at, record.Blade);
                    var needs = command?.Class.Needs;
                    var host = _blades.TryGetValue(record.Blade, out var blade) ? blade.Record.Host : record.Blade;
                    var position = logPositions.GetValueOrDefault(record.Iid);
                    var invocation = new LiveInvocation(record.Iid, record.Jid, record.Tid, record.Cid, record.Blade, record.DispatchTimeMs)
                    {
                        Started = record.StartTimeMs is not null,
                        StartTimeMs = record.StartTimeMs ?? 0,
                        LogStart = position?.LogStart ?? record.LogStart,
                        HeaderWritten = position?.HeaderWritten ?? false,
                        LogBytes = position?.LogBytes ?? 0,
                        Slots = needs is null ? 1 : Math.Max(1, Math.Min(needs.AtMost, blade?.Slots ?? needs.AtLeast)),
                        Limits = needs?.Limits ?? [],
                        Host = host,
                        Owner = job.Owner,
                        MappedArgv = record.Argv,
                        ExpandOutput = command?.Expand == true
                            ? ExpandBuffer(position?.ExpandOutput) : null,
                    };
                    _invocations[record.Iid] = invocation;
                    Hold(job, blade, invocation);
                }

                foreach (var job in jobs)
                    foreach (var task in job.Tasks.AsSpan(1))
                        QueueOrSettle(job, task, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
        changes.WorkBecameAvailable = true;
        return changes;
    }

    /// <summary>
    /// Marks ready the tasks of a just-built job that can start at once (nothing to wait for, a command to run), before
    /// the job is committed, so their rows are written ready with it (see <see cref="InsertJob.ReadyTids"/>) and its first
    /// commands need not wait for a second write of every row. The job is not in the farm yet: only its builder holds it.
    /// A task with nothing to run is left blocked: <see cref="AddSpooled"/> finishes it, and what waited on it follows.
    /// </summary>
    /// <returns>The tids marked ready.</returns>
    public static IReadOnlySet<int> MarkReadyAtSpool(LiveJob job)
    {
        var ready = new HashSet<int>();
        foreach (var task in job.Tasks.AsSpan(1))
        {
            if (WaitIsOver(job, task) && task.NextCommand < task.Commands.Count)
            {
                task.State = TaskState.Ready;
                ready.Add(task.Tid);
            }
        }
        return ready;
    }

    /// <summary>
    /// Adds a just-committed job and makes ready whatever of it can start: the tasks it was committed with ready
    /// (<see cref="MarkReadyAtSpool"/>) are queued as they are; the others are settled, with their changes written.
    /// </summary>
    public ChangeSet AddSpooled(LiveJob job) => Add(job, []);

    /// <summary>
    /// Brings back into the queue one job read from the database on its own (a finished job retried or restarted, a
    /// deleted one undeleted), as a whole load would have: its blocklist, what it waits for, its tasks queued or
    /// settled. A job in memory already (another request brought it back first) is left as it is.
    /// </summary>
    public ChangeSet AddLoaded(LiveJob job, IReadOnlyList<BlocklistEntry> blocklist) => Add(job, blocklist);

    private ChangeSet Add(LiveJob job, IReadOnlyList<BlocklistEntry> blocklist)
    {
        var changes = new ChangeSet();
        lock (_gate)
        {
            try
            {
                if (!_jobs.TryAdd(job.Jid, job))
                    return changes;
                ClassifyIfStale(job);
                Admit(job);
                foreach (var entry in blocklist)
                    job.Failures[entry.Blade] = entry.Failures;
                foreach (var task in job.Tasks.AsSpan(1))
                    QueueOrSettle(job, task, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
        return changes;
    }

    /// <summary>True when the job is in memory (unfinished and not deleted).</summary>
    public bool IsLive(long jid)
    {
        lock (_gate)
            return _jobs.ContainsKey(jid);
    }

    // A MemoryStream made over an array cannot grow, so what the log kept is copied into one that can.
    private static MemoryStream ExpandBuffer(byte[]? kept)
    {
        var buffer = new MemoryStream();
        buffer.Write(kept ?? []);
        return buffer;
    }
}
