using System.Globalization;
using System.Text;
using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>
/// What a blade's report changed: the highest event applied, the invocations to stop, events for gone invocations, and
/// `-expand` commands that exited 0 whose output is to be read (outside the farm's lock) and then
/// <see cref="LiveFarm.FinishExpansion"/>ed.
/// </summary>
internal sealed record ReportOutcome(long AckedSeq, IReadOnlyList<long> Cancel, IReadOnlyList<long> StaleIids, IReadOnlyList<PendingExpansion> Expansions);

/// <summary>An `-expand` command's exit, waiting for its output (the bytes it printed; a script is UTF-8) to be parsed.</summary>
internal sealed record PendingExpansion(long Iid, long Jid, int Tid, byte[] Output, long TimeMs);

internal sealed partial class LiveFarm
{
    /// <summary>
    /// Applies a blade's report: its figures, then the starts, output and exits of its invocations, then reconciles what
    /// it says it still runs. Every event is idempotent (a blade resends what was not acknowledged), so a resent start,
    /// chunk or exit changes nothing twice. Null when the blade must register again.
    /// </summary>
    public ReportOutcome? ApplyReport(string bladeName, BladeReport report, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_blades.TryGetValue(bladeName, out var blade) || blade.Record.BootId != report.BootId)
                    return null;
                var now = Now;
                blade.LastContactMs = now;
                if (report.SentMs is { } sent)
                    blade.ClockSkew.Add(now, sent);
                if (report.Figures is { } figures)
                {
                    // A blade over MaxLoad or under MinRAM/MinDisk gets work again the moment its figures recover.
                    var heldBefore = DispatchRules.BladeReason(SituationOf(blade, 1)) is not null;
                    blade.Figures = figures;
                    if (heldBefore && DispatchRules.BladeReason(SituationOf(blade, 1)) is null)
                        changes.WorkBecameAvailable = true;
                }
                if (blade.Record.Status != "up")
                {
                    blade.Record = blade.Record with { Status = "up", LastContactMs = now };
                    changes.Add(new UpsertBlade(blade.Record));
                    changes.WorkBecameAvailable = true;
                }
                long maxSeq = 0;
                var stale = new List<long>();
                var expansions = new List<PendingExpansion>();
                var mentioned = new HashSet<long>(report.Running);
                foreach (var ev in report.Events.OrderBy(e => e.Seq))
                {
                    maxSeq = Math.Max(maxSeq, ev.Seq);
                    mentioned.Add(ev.Iid);
                    if (!_invocations.TryGetValue(ev.Iid, out var invocation) || invocation.Blade != bladeName
                        || !_jobs.TryGetValue(invocation.Jid, out var job))
                    {
                        stale.Add(ev.Iid);
                        continue;
                    }
                    if (Apply(job, invocation, ev, blade.ClockSkew, now, changes) is { } expansion)
                        expansions.Add(expansion);
                }
                ReconcileRunning(blade, mentioned, now, changes);
                foreach (var iid in report.Running)
                    if (!_invocations.TryGetValue(iid, out var current) || current.Blade != bladeName)
                        blade.PendingCancels.Add(iid);
                blade.PendingCancels.IntersectWith(report.Running);
                return new ReportOutcome(maxSeq, [.. blade.PendingCancels], stale, expansions);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    // Event times are the blade's clock: put on the engine's, a start no earlier than its dispatch and an exit no
    // earlier than its start, neither later than now, so a blade whose clock is off still leaves a consistent record.
    private PendingExpansion? Apply(LiveJob job, LiveInvocation invocation, InvocationEvent ev, Core.Scheduling.ClockSkew skew, long now,
        ChangeSet changes)
    {
        var owner = job.Owner;
        var startTime = skew.ToEngine(ev.TimeMs, invocation.DispatchTimeMs, now);
        switch (ev.Type)
        {
            case InvocationEventTypes.Started:
                if (!invocation.Started)
                    MarkStarted(job, invocation, ev.Pid, startTime, changes);
                break;
            // Output is bytes, written as they came (Data); a blade older than Data sends UTF-8 text, whose bytes the
            // offsets count the same way.
            case InvocationEventTypes.Output when (ev.Data ?? (ev.Text is { } text ? Encoding.UTF8.GetBytes(text) : null)) is { Length: > 0 } bytes:
                if (!invocation.Started)
                    MarkStarted(job, invocation, null, startTime, changes);
                var offset = ev.Offset ?? invocation.LogBytes;
                var skip = invocation.LogBytes - offset;
                if (skip >= bytes.Length)
                    break; // already written before a lost acknowledgement
                var fresh = bytes.AsMemory((int)Math.Max(0, skip));
                changes.Logs.Add(new LogAppend(owner, job.Jid, invocation.Tid, invocation.Iid, fresh, false));
                invocation.LogBytes = offset + bytes.Length;
                // An expand command's output is kept up to one byte past the script limit, so parsing refuses it by size.
                if (invocation.ExpandOutput is { } script && script.Length <= _options.ScriptLimits.MaxBytes)
                    script.Write(fresh.Span[..(int)Math.Min(fresh.Length, _options.ScriptLimits.MaxBytes + 1 - script.Length)]);
                break;
            case InvocationEventTypes.Progress when ev.Progress is >= 0 and <= 100 && job.Tasks[invocation.Tid] is var task
                && task.RunningIid == invocation.Iid && task.Progress != ev.Progress:
                task.Progress = ev.Progress;
                changes.Add(new SetTaskProgress(job.Jid, task.Tid, ev.Progress));
                break;
            case InvocationEventTypes.Exited or InvocationEventTypes.Failed:
                if (!invocation.Started)
                    MarkStarted(job, invocation, ev.Pid, startTime, changes);
                var stopTime = skew.ToEngine(ev.TimeMs, invocation.StartTimeMs, now);
                invocation.Usage = UsageOf(invocation, ev, stopTime, skew);
                if (ev.Type == InvocationEventTypes.Failed && ev.Text is { } why)
                    changes.Logs.Add(new LogAppend(owner, job.Jid, invocation.Tid, invocation.Iid, $"[furrow] could not start: {why}\n", false));
                if (ev.Type == InvocationEventTypes.Exited && ev.ExitCode == 0 && invocation.ExpandOutput is { } output
                    && job.Tasks[invocation.Tid].RunningIid == invocation.Iid)
                    return new PendingExpansion(invocation.Iid, job.Jid, invocation.Tid, output.ToArray(), stopTime);
                Finish(job, invocation, ev.ExitCode ?? -1, stopTime, changes);
                break;
            case InvocationEventTypes.Interrupted:
                var endTime = skew.ToEngine(ev.TimeMs, invocation.Started ? invocation.StartTimeMs : invocation.DispatchTimeMs, now);
                if (invocation.Started)
                    invocation.Usage = UsageOf(invocation, ev, endTime, skew);
                Interrupt(job, invocation, ev, endTime, changes);
                break;
        }
        return null;
    }

    // The blade's own measure of the real time is kept when it sends one: it does not depend on either clock.
    private static InvocationUsage UsageOf(LiveInvocation invocation, InvocationEvent ev, long stopTime, Core.Scheduling.ClockSkew skew) =>
        ev.Usage is { } usage
            ? new InvocationUsage(usage.ElapsedSecs, usage.UserSecs, usage.SystemSecs, usage.PeakRssBytes, usage.PeakVszBytes, skew.Ms)
            : invocation.ElapsedTo(stopTime, skew.Ms);

    // The blade ended the command itself (it is stopping, or came back and could not keep it): nothing about the command
    // failed, so the task goes back to ready at once for any blade, with no retry or blocklist count against it.
    private void Interrupt(LiveJob job, LiveInvocation invocation, InvocationEvent ev, long endTime, ChangeSet changes)
    {
        if (invocation.Started || invocation.HeaderWritten)
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, invocation.Tid, invocation.Iid,
                $"[furrow] ended by blade {invocation.Blade}: {ev.Text ?? "the blade stopped"}\n", false));
        var task = job.Tasks[invocation.Tid];
        if (task.RunningIid == invocation.Iid)
        {
            Rewind(job, task, task.NextCommand - 1, InvocationState.Interrupted, changes, countRetry: false);
            return;
        }
        Release(invocation, changes);
        changes.Add(new FinishInvocation(invocation.Iid, endTime, null, InvocationState.Interrupted, invocation.Usage));
    }

    /// <summary>
    /// Ends an `-expand` command that exited 0: the tasks its output describes join the job under its task (which
    /// then waits for them), or, when the output is not a valid script, the task errors with the parse error and its
    /// position written to the task log.
    /// </summary>
    /// <param name="parsed">The output parsed by <see cref="Core.Scripts.AlfredParser.ParseExpansion"/>, outside the lock.</param>
    public void FinishExpansion(PendingExpansion pending, Core.Scripts.ScriptParseResult parsed, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_invocations.TryGetValue(pending.Iid, out var invocation) || !_jobs.TryGetValue(pending.Jid, out var job))
                    return;
                var task = job.Tasks[invocation.Tid];
                string? problem = parsed.Error?.ToString();
                if (problem is null && Core.Scheduling.UnsupportedOptions.Find(parsed.Job!) is { } unsupported)
                    problem = unsupported; // placed in the output: "J1 T2 expand output:LINE:COLUMN: ..."
                Core.Jobs.CompileResult? compiled = null;
                if (problem is null)
                {
                    compiled = JobCompiler.CompileExpansion(parsed.Job!, task.Tid, job.Tasks.Length, job.MaxCid + 1,
                        job.Record.AtLeast, job.Record.AtMost, job.Record.EnvKey);
                    problem = compiled.Error;
                }
                if (problem is null)
                {
                    try
                    {
                        LiveJobBuilder.Extend(job, task.Tid, compiled!.Job!.Tasks, _rules.Limits);
                    }
                    catch (JobRuleException error)
                    {
                        problem = $"expand output of J{job.Jid} T{task.Tid}: {error.Message}";
                    }
                }
                if (problem is not null)
                {
                    changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, invocation.Iid, $"[furrow] expand failed: {problem}\n", false));
                    Finish(job, invocation, 0, pending.TimeMs, changes, expandFailed: true);
                    return;
                }
                var added = compiled!.Job!.Tasks;
                changes.Add(new InsertTasks(job.Jid, added, Now));
                changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, invocation.Iid,
                    $"[furrow] expand added {added.Count} task(s): T{added[0].Tid}..T{added[^1].Tid}\n", false));
                Finish(job, invocation, 0, pending.TimeMs, changes);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    private static void MarkStarted(LiveJob job, LiveInvocation invocation, int? pid, long timeMs, ChangeSet changes)
    {
        invocation.Started = true;
        invocation.StartTimeMs = timeMs;
        if (invocation.HeaderWritten)
        {
            // The header (and maybe output) reached the log before a crash lost the start's commit: keep what is there.
            StartRow(invocation, pid, timeMs, invocation.LogStart, changes);
            return;
        }
        invocation.LogBytes = 0;
        var when = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        // The command line as the blade ran it (dirmaps put in its zone), not as the script wrote it.
        var argv = string.Join(' ', invocation.MappedArgv ?? job.Tasks[invocation.Tid].Command(invocation.Cid)!.Argv);
        var header = $"====[{when} J{job.Jid} T{invocation.Tid} C{invocation.Cid} {TaskLogStore.InvocationMarker(invocation.Iid)} on {invocation.Blade} pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {argv}]====\n";
        changes.Logs.Add(new LogAppend(job.Owner, job.Jid, invocation.Tid, invocation.Iid, header, true));
        StartRow(invocation, pid, timeMs, null, changes);
    }

    // The start's row takes its place among the writes now, so an exit in the same report is written after it; the
    // log position it records is filled in once the header is on disk (CommitQueue).
    private static void StartRow(LiveInvocation invocation, int? pid, long timeMs, long? knownLogStart, ChangeSet changes)
    {
        changes.Starts.Add(new PendingStart(invocation, pid, timeMs, changes.Writes.Count, knownLogStart));
        changes.Add(new MarkInvocationStarted(invocation.Iid, pid, timeMs, knownLogStart ?? 0));
    }

    // A null exit code is a command the engine failed without handing it to its blade (Start): its log already says why,
    // and, as for a failed expansion, the blade is not to blame and no -retryrc applies.
    private void Finish(LiveJob job, LiveInvocation invocation, int? exitCode, long timeMs, ChangeSet changes, bool expandFailed = false)
    {
        Release(invocation, changes);
        var task = job.Tasks[invocation.Tid];
        expandFailed |= exitCode is null;
        var ok = exitCode == 0 && !expandFailed;
        if (exitCode is { } code)
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, invocation.Tid, invocation.Iid,
                $"====[exit code {code.ToString(CultureInfo.InvariantCulture)}]====\n", false));
        changes.Add(new FinishInvocation(invocation.Iid, timeMs, exitCode, ok ? InvocationState.Done : InvocationState.Error, invocation.Usage));
        changes.Add(new SetCommandState(job.Jid, invocation.Cid, ok ? CommandState.Done : CommandState.Error));
        if (!ok && !expandFailed)
            CountFailure(job, invocation.Blade, changes);
        if (task.RunningIid != invocation.Iid)
            return;
        task.RunningIid = null;
        if (ok)
        {
            // New subtasks from an expand come first; the task goes on (or completes) once they are done.
            foreach (var child in job.Graph.ChildrenOf(task.Tid))
                Settle(job, child, changes);
            SkipPostscripts(job, task);
            if (InErrorRun(job, task))
                GoOnWithErrorRun(job, task, changes);
            else if (!job.Graph.CanStart(task.Tid, job.IsDone))
                SetState(job, task, TaskState.Blocked, changes);
            else if (task.NextCommand < task.Commands.Count)
                Enqueue(job, task, changes);
            else
                CompleteTask(job, task, changes);
            return;
        }
        if (expandFailed)
        {
            SetState(job, task, TaskState.Error, changes);
            RunErrorPostscripts(job, changes);
            return;
        }
        var command = task.Commands[task.NextCommand - 1];
        if (command.RetryRc.Contains(exitCode!.Value) && task.RetryCount < _options.MaxAutoRetries)
        {
            Rewind(job, task, task.NextCommand - 1, InvocationState.Retried, changes, countRetry: true);
            return;
        }
        if (InErrorRun(job, task))
        {
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, invocation.Iid,
                "[furrow] an error postscript command failed; the job's other error commands still run, and this task waits for the job again\n", false));
            GoOnWithErrorRun(job, task, changes);
            return;
        }
        SetState(job, task, TaskState.Error, changes);
        RunErrorPostscripts(job, changes);
    }

    // A blade on which this job's commands keep failing stops getting them: after BlocklistFailures failures there.
    private void CountFailure(LiveJob job, string bladeName, ChangeSet changes)
    {
        var failures = job.Failures.GetValueOrDefault(bladeName) + 1;
        job.Failures[bladeName] = failures;
        changes.Add(new SetBlocklist(job.Jid, bladeName, failures));
    }

    // An invocation the engine handed out but the blade no longer mentions was lost in transit or died with a blade
    // restart; after a grace period (the reply may still be on its way) its task goes back to ready.
    private void ReconcileRunning(LiveBlade blade, HashSet<long> mentioned, long now, ChangeSet changes)
    {
        var graceMs = _options.VanishedGraceMs;
        foreach (var iid in blade.Running.ToList())
        {
            if (mentioned.Contains(iid) || !_invocations.TryGetValue(iid, out var invocation)
                || now - invocation.DispatchTimeMs < graceMs || !_jobs.TryGetValue(invocation.Jid, out var job))
                continue;
            var task = job.Tasks[invocation.Tid];
            Rewind(job, task, task.NextCommand - 1, InvocationState.Vanished, changes, countRetry: false);
        }
    }
}
