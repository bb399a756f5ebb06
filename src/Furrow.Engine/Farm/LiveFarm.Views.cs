using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;

namespace Furrow.Engine.Farm;

/// <summary>What only the scheduler knows of a task: the blade running it and, briefly, why it waits.</summary>
internal sealed record TaskView(string? Blade, string? WhyWaiting);

/// <summary>What only the scheduler knows of a blade: its live use, figures, profile and nimby switch.</summary>
internal sealed record BladeView(string Name, int Slots, int SlotsInUse, long LastContactMs, string Status, BladeFigures? Figures,
    string? Profile, bool Nimby, long? ClockSkewMs, string? Address = null);

/// <summary>
/// What task views depend on besides committed rows: the dispatch switch, the earliest `-after` time still to come
/// (a task's why-waiting counts down to it), and how often the farm was rebuilt from the database.
/// </summary>
internal sealed record FarmViewState(bool DispatchPaused, long? NextStartTimeMs, long Loads);

/// <summary>
/// Counts for the engine's status. <paramref name="QueuedTasks"/>: the ready tasks dispatch may hand out now (of jobs not
/// paused, not waiting for -afterjids or -after), which Tractor's ctrl?q=status qlen counts; <paramref name="ReadyTasks"/>
/// counts every ready task.
/// </summary>
internal sealed record FarmCounts(bool DispatchPaused, int Jobs, int ReadyTasks, int ActiveTasks, int Blades, int QueuedTasks);

/// <summary>A blade a job's commands no longer go to, or failures counted towards it.</summary>
internal sealed record BlocklistView(long Jid, string Blade, int Failures, bool Blocked);

/// <summary>The answer to "why is this task not running": its state, and every reason when it waits.</summary>
internal sealed record WhyView(long Jid, int Tid, string Title, string State, string? RunningOn, IReadOnlyList<WaitReason> Reasons);

internal sealed partial class LiveFarm
{
    /// <summary>A copy of what the scheduler knows of each live task (of one job, or all); safe to use outside the lock.</summary>
    public Dictionary<(long Jid, int Tid), TaskView> TaskViews(long? jid)
    {
        var views = new Dictionary<(long, int), TaskView>();
        lock (_gate)
        {
            var now = Now;
            IEnumerable<LiveJob> jobs = jid is { } one ? (_jobs.TryGetValue(one, out var j) ? [j] : []) : _jobs.Values;
            foreach (var job in jobs)
            {
                var jobWhy = DispatchRules.JobReason(job.Situation(_options.BlocklistFailures), now)?.Text;
                foreach (var task in job.Tasks.AsSpan(1))
                    views[(job.Jid, task.Tid)] = ViewOf(job, task, jobWhy);
            }
        }
        return views;
    }

    /// <summary>
    /// The views of just these tasks (a listing's page), so a search that returns a hundred rows does not build one for every
    /// task in the farm. Tasks of jobs not in the farm (done, deleted) have none.
    /// </summary>
    public Dictionary<(long Jid, int Tid), TaskView> TaskViews(IEnumerable<(long Jid, int Tid)> tasks)
    {
        var views = new Dictionary<(long, int), TaskView>();
        var jobReasons = new Dictionary<long, string?>();
        lock (_gate)
        {
            var now = Now;
            foreach (var (jid, tid) in tasks)
            {
                if (!TryGetTask(jid, tid, out var job, out var task))
                    continue;
                if (!jobReasons.TryGetValue(jid, out var jobWhy))
                    jobReasons[jid] = jobWhy = DispatchRules.JobReason(job.Situation(_options.BlocklistFailures), now)?.Text;
                views[(jid, tid)] = ViewOf(job, task, jobWhy);
            }
        }
        return views;
    }

    private TaskView ViewOf(LiveJob job, LiveTask task, string? jobWhy)
    {
        string? blade = task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var invocation) ? invocation.Blade : null;
        var why = task.State switch
        {
            TaskState.Blocked => job.Graph.WhyBlocked(task.Tid, job.IsDone) ?? jobWhy,
            TaskState.Ready or TaskState.Active when task.QueuedAs is not null =>
                _dispatchPaused ? DispatchRules.DispatchPausedReason.Text : jobWhy
                    ?? (task.QueuedAs.Needs.SameHostBlade is { } only ? $"{DispatchRules.SameHostWait(only, null, task.QueuedAs.Needs.PinnedBy).Text} (tq why for details)"
                        : "waiting for a blade (tq why for details)"),
            _ => null,
        };
        return new TaskView(blade, why);
    }

    public Dictionary<string, BladeView> BladeViews()
    {
        lock (_gate)
            return _blades.Values.ToDictionary(b => b.Name,
                b => new BladeView(b.Name, b.Slots, b.UsedSlots, b.LastContactMs, b.Record.Status, b.Figures, b.Profile?.Name,
                    b.Record.Nimby || b.Profile?.Profile?.Nimby is { Length: > 0 } and not "0", b.ClockSkew.Ms, b.Address));
    }

    public FarmViewState ViewState()
    {
        lock (_gate)
            return new FarmViewState(_dispatchPaused, _startTimes.Count > 0 ? _startTimes.Min.AfterMs : null, _loads);
    }

    public FarmCounts Counts()
    {
        lock (_gate)
        {
            // One pass over the jobs, under the lock dispatch also takes: status is polled (the Dashboard, ctrl?q=status),
            // and two LINQ passes cost a 10,000-job farm about a millisecond of that lock per call.
            var now = Now;
            var (ready, queued) = (0, 0);
            foreach (var job in _jobs.Values)
            {
                ready += job.ReadyCount;
                if (job.Dispatchable(now))
                    queued += job.ReadyCount;
            }
            return new FarmCounts(_dispatchPaused, _jobs.Count, ready, _invocations.Count, _blades.Count, queued);
        }
    }

    /// <summary>The last job id handed out (0 before the first): the job counter, which only moves up.</summary>
    public long LastJid()
    {
        lock (_gate)
            return _jobCounter;
    }

    /// <summary>The owner of a live job, or null when the job is not in memory.</summary>
    public string? OwnerOf(long jid)
    {
        lock (_gate)
            return _jobs.TryGetValue(jid, out var job) ? job.Owner : null;
    }

    /// <summary>
    /// The blades live jobs' commands failed on: of job <paramref name="jid"/> (every job when null), and only of jobs
    /// <paramref name="scope"/> shows (every job when null).
    /// </summary>
    public List<BlocklistView> Blocklists(long? jid, Core.Access.JobScope? scope = null)
    {
        lock (_gate)
            return _jobs.Values.Where(j => (jid is null || j.Jid == jid) && (scope is null || scope.Shows(j.Owner, j.Record.Crews)))
                .SelectMany(j => j.Failures.Select(f => new BlocklistView(j.Jid, f.Key, f.Value, f.Value >= _options.BlocklistFailures)))
                .OrderBy(v => v.Jid).ThenBy(v => v.Blade, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every reason a live task is not running now, from the same rules dispatch uses. Null when the job is not in
    /// memory (done, deleted or unknown: the caller says which, from the database).
    /// </summary>
    public WhyView? Why(long jid, int tid)
    {
        lock (_gate)
        {
            if (!TryGetTask(jid, tid, out var job, out var task))
                return null;
            var now = Now;
            var reasons = new List<WaitReason>();
            string? runningOn = task.RunningIid is { } iid && _invocations.TryGetValue(iid, out var invocation) ? invocation.Blade : null;
            if (task.State is TaskState.Done or TaskState.Error || runningOn is not null)
                return new WhyView(jid, tid, task.Title, task.State.ToName(), runningOn, reasons);
            var prerequisite = task.State == TaskState.Blocked ? job.Graph.WhyBlocked(tid, job.IsDone) : null;
            // A task of subtasks only has no command of its own: it waits for them (and its job), never for a blade.
            var command = task.Commands.Count == 0 ? null : task.Commands[Math.Min(task.NextCommand, task.Commands.Count - 1)];
            var needs = task.QueuedAs?.Needs ?? command?.Class.Needs;
            var situation = job.Situation(_options.BlocklistFailures);
            // DispatchRules.Check's parts, in its order: the farm's and the job's reasons once, the blade's per blade.
            if (_dispatchPaused)
                reasons.Add(DispatchRules.DispatchPausedReason);
            DispatchRules.JobReason(situation, now, reasons);
            if (prerequisite is not null)
                reasons.Add(new(WaitKind.Prerequisite, prerequisite));
            if (needs is null)
                return new WhyView(jid, tid, task.Title, task.State.ToName(), null, reasons);
            if (needs.SameHostBlade is { } only)
            {
                reasons.Add(SameHostWhy(situation, needs, only));
                return new WhyView(jid, tid, task.Title, task.State.ToName(), null, reasons);
            }
            var up = _blades.Values.Where(b => b.Record.Status == "up").OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
            if (up.Count == 0)
            {
                reasons.Add(new(WaitKind.NoBladeUp, _blades.Count == 0 ? "no blade has registered with the engine" : "no blade is up"));
                return new WhyView(jid, tid, task.Title, task.State.ToName(), null, reasons);
            }
            var perBlade = new List<WaitReason>();
            var anyFits = false;
            foreach (var blade in up)
            {
                var before = perBlade.Count;
                var free = Math.Max(0, blade.Slots - blade.UsedSlots);
                DispatchRules.FitsBlade(situation, needs, SituationOf(blade, free), _limits, perBlade);
                anyFits |= perBlade.Count == before;
            }
            // When some blade could take it now, nothing blade-related holds it back: no reasons means "next in line".
            if (!anyFits)
                reasons.AddRange(Group(perBlade, up.Count));
            return new WhyView(jid, tid, task.Title, task.State.ToName(), null, reasons);
        }
    }

    /// <summary>
    /// What the scheduler would do with a blade's next request for work (Tractor's blade tracer, `tq trace`), in words:
    /// the blade's own state, then each job with work waiting, in queue order (tier, priority, spool time), and either the
    /// task it would get or every reason it would not. At most <paramref name="maxJobs"/> jobs are shown, and only jobs
    /// <paramref name="scope"/> shows (every job when null). Null when no blade of that name has registered.
    /// </summary>
    public List<string>? Trace(string bladeName, int maxJobs, Core.Access.JobScope? scope = null)
    {
        lock (_gate)
        {
            if (!_blades.TryGetValue(bladeName, out var blade))
                return null;
            var now = Now;
            var free = Math.Max(0, blade.Slots - blade.UsedSlots);
            var situation = SituationOf(blade, free);
            var lines = new List<string>
            {
                $"blade {blade.Name} ({blade.Record.Host}): {blade.Record.Status}, profile {blade.Profile?.Name ?? "(no blade.config)"}, " +
                $"{free} of {blade.Slots} slot(s) free, {blade.Running.Count} command(s) running",
            };
            if (_dispatchPaused)
                lines.Add($"  {DispatchRules.DispatchPausedReason.Text}");
            var bladeReasons = new List<WaitReason>();
            DispatchRules.BladeReason(situation, bladeReasons);
            foreach (var reason in bladeReasons)
                lines.Add($"  the blade {reason.Text}");
            var waiting = _jobs.Values.Where(j => j.ReadyCount > 0 && (scope is null || scope.Shows(j.Owner, j.Record.Crews)))
                .OrderBy(j => Dispatch.DispatchPolicy.QueueKey(j.Record, j.TierRank)).ThenBy(j => j.Jid).ToList();
            if (waiting.Count == 0)
                lines.Add("no job has a task waiting for a blade");
            foreach (var job in waiting.Take(maxJobs))
            {
                var head = $"J{job.Jid} \"{job.Record.Title}\" ({job.Owner}, priority {job.Record.Priority.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)})";
                var jobSituation = job.Situation(_options.BlocklistFailures);
                var reasons = new List<WaitReason>();
                if (DispatchRules.JobReason(jobSituation, now, reasons) is not null)
                {
                    lines.Add($"{head}: waits: {string.Join("; ", reasons.Select(r => r.Text))}");
                    continue;
                }
                // One line per class of waiting command: what this blade lacks for it (its own state is said once, above),
                // or the task it would get.
                foreach (var (classId, tids) in job.Ready.OrderBy(r => r.Value.Min))
                {
                    var needs = job.Classes[classId].Needs;
                    var refusals = new List<WaitReason>();
                    DispatchRules.FitsBlade(jobSituation, needs, situation, _limits, refusals);
                    var which = tids.Count == 1 ? $"T{tids.Min}" : $"T{tids.Min} and {tids.Count - 1} more";
                    var own = refusals.Where(r => !bladeReasons.Any(b => b.Text == r.Text)).Select(r => r.Text).ToList();
                    lines.Add(own.Count > 0 ? $"{head}: {which}: {string.Join("; ", own)}"
                        : refusals.Count > 0 ? $"{head}: {which}: nothing of its own holds it back; the blade itself does (above)"
                        : $"{head}: {which} could run here now");
                }
            }
            if (waiting.Count > maxJobs)
                lines.Add($"... and {waiting.Count - maxJobs} more job(s) with work waiting");
            return lines;
        }
    }

    // A -samehost or -refersto command looks at one blade only: the reason names it and the option, with what holds that blade back.
    private WaitReason SameHostWhy(JobSituation job, CommandNeeds needs, string only)
    {
        if (!_blades.TryGetValue(only, out var blade))
            return DispatchRules.SameHostWait(only, "is not registered with the engine", needs.PinnedBy);
        var refusals = new List<WaitReason>();
        DispatchRules.FitsBlade(job, needs, SituationOf(blade, Math.Max(0, blade.Slots - blade.UsedSlots)), _limits, refusals);
        return DispatchRules.SameHostWait(only, refusals.Count == 0 ? null : string.Join("; ", refusals.Select(r => r.Text)), needs.PinnedBy);
    }

    // "render01, render02: provides none of Nuke" instead of one line per blade.
    private static IEnumerable<WaitReason> Group(List<WaitReason> perBlade, int bladeCount) =>
        perBlade.GroupBy(r => (r.Kind, r.Text)).Select(g =>
        {
            var names = g.Select(r => r.Blade!).Distinct().ToList();
            var who = names.Count == bladeCount && bladeCount > 1 ? $"every blade up ({bladeCount})"
                : names.Count > 5 ? $"{string.Join(", ", names.Take(5))} and {names.Count - 5} more" : string.Join(", ", names);
            return new WaitReason(g.Key.Kind, $"{who}: {g.Key.Text}");
        });
}
