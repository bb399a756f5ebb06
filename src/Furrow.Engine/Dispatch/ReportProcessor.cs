using System.Globalization;
using System.Text;
using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// Applies a blade's report: starts, output and exits of its invocations. Every event is idempotent (a blade resends
/// what was not acknowledged, and after an engine restart the engine knows only what was committed), so a resent
/// start, chunk or exit changes nothing twice.
/// </summary>
internal sealed class ReportProcessor(FarmState farm, ChangeCommitter committer, IOptions<EngineOptions> options,
    ILogger<ReportProcessor> logger)
{
    /// <summary>Null when the blade must register again.</summary>
    public async Task<ReportReply?> ProcessAsync(string bladeName, BladeReport report, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        long maxSeq = 0;
        List<long> cancel;
        lock (farm.Gate)
        {
            if (!farm.Blades.TryGetValue(bladeName, out var blade) || blade.Record.BootId != report.BootId)
                return null;
            var now = farm.NowMs;
            blade.LastContactMs = now;
            if (blade.Record.Status != "up")
            {
                blade.Record = blade.Record with { Status = "up", LastContactMs = now };
                changes.Add(new UpsertBlade(blade.Record));
            }
            var mentioned = new HashSet<long>(report.Running);
            foreach (var ev in report.Events.OrderBy(e => e.Seq))
            {
                maxSeq = Math.Max(maxSeq, ev.Seq);
                mentioned.Add(ev.Iid);
                if (!farm.Invocations.TryGetValue(ev.Iid, out var invocation) || invocation.Blade != bladeName
                    || !farm.Jobs.TryGetValue(invocation.Jid, out var job))
                {
                    EngineLog.StaleReport(logger, bladeName, ev.Iid);
                    continue;
                }
                Apply(job, invocation, ev, changes);
            }
            ReconcileRunning(blade, mentioned, now, changes);
            foreach (var iid in report.Running)
                if (!farm.Invocations.TryGetValue(iid, out var current) || current.Blade != bladeName)
                    blade.PendingCancels.Add(iid);
            blade.PendingCancels.IntersectWith(report.Running);
            cancel = [.. blade.PendingCancels];
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return new ReportReply(maxSeq, cancel);
    }

    private void Apply(LiveJobState job, LiveInvocation invocation, InvocationEvent ev, ChangeSet changes)
    {
        var owner = job.Record.Owner;
        switch (ev.Type)
        {
            case InvocationEventTypes.Started:
                if (!invocation.Started)
                    MarkStarted(job, invocation, ev.Pid, ev.TimeMs, changes);
                break;
            case InvocationEventTypes.Output when ev.Text is { Length: > 0 } text:
                if (!invocation.Started)
                    MarkStarted(job, invocation, null, ev.TimeMs, changes);
                var bytes = Encoding.UTF8.GetBytes(text);
                var offset = ev.Offset ?? invocation.LogBytes;
                var skip = invocation.LogBytes - offset;
                if (skip >= bytes.Length)
                    break; // already written before a lost acknowledgement
                var fresh = skip > 0 ? Encoding.UTF8.GetString(bytes, (int)skip, bytes.Length - (int)skip) : text;
                changes.Logs.Add(new LogAppend(owner, job.Jid, invocation.Tid, invocation.Iid, fresh, false));
                invocation.LogBytes = offset + bytes.Length;
                break;
            case InvocationEventTypes.Exited or InvocationEventTypes.Failed:
                if (!invocation.Started)
                    MarkStarted(job, invocation, ev.Pid, ev.TimeMs, changes);
                if (ev.Type == InvocationEventTypes.Failed && ev.Text is { } why)
                    changes.Logs.Add(new LogAppend(owner, job.Jid, invocation.Tid, invocation.Iid, $"[furrow] could not start: {why}\n", false));
                Finish(job, invocation, ev.ExitCode ?? -1, ev.TimeMs, changes);
                break;
        }
    }

    private static void MarkStarted(LiveJobState job, LiveInvocation invocation, int? pid, long timeMs, ChangeSet changes)
    {
        invocation.Started = true;
        if (invocation.HeaderWritten)
        {
            // The header (and maybe output) reached the log before a crash lost the start's commit: keep what is there.
            changes.Starts.Add(new PendingStart(invocation, pid, timeMs, invocation.LogStart));
            return;
        }
        invocation.LogBytes = 0;
        var when = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var argv = string.Join(' ', job.Tasks[invocation.Tid].Commands.First(c => c.Cid == invocation.Cid).Argv);
        var header = $"====[{when} J{job.Jid} T{invocation.Tid} C{invocation.Cid} {TaskLogStore.InvocationMarker(invocation.Iid)} on {invocation.Blade} pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {argv}]====\n";
        changes.Logs.Add(new LogAppend(job.Record.Owner, job.Jid, invocation.Tid, invocation.Iid, header, true));
        changes.Starts.Add(new PendingStart(invocation, pid, timeMs));
    }

    private void Finish(LiveJobState job, LiveInvocation invocation, int exitCode, long timeMs, ChangeSet changes)
    {
        farm.Invocations.Remove(invocation.Iid);
        if (farm.Blades.TryGetValue(invocation.Blade, out var blade))
            blade.Running.Remove(invocation.Iid);
        var task = job.Tasks[invocation.Tid];
        var ok = exitCode == 0;
        changes.Logs.Add(new LogAppend(job.Record.Owner, job.Jid, invocation.Tid, invocation.Iid,
            $"====[exit code {exitCode.ToString(CultureInfo.InvariantCulture)}]====\n", false));
        changes.Add(new FinishInvocation(invocation.Iid, timeMs, exitCode, ok ? "done" : "error"));
        changes.Add(new SetCommandState(job.Jid, invocation.Cid, ok ? "done" : "error"));
        if (task.RunningIid != invocation.Iid)
            return;
        task.RunningIid = null;
        if (ok)
        {
            if (task.NextCommand < task.Commands.Count)
                farm.Enqueue(job, task, changes);
            else
                farm.CompleteTask(job, task, changes);
            return;
        }
        var command = task.Commands[task.NextCommand - 1];
        if (command.RetryRc.Contains(exitCode) && task.RetryCount < options.Value.MaxAutoRetries)
        {
            farm.Requeue(job, task, task.NextCommand - 1, "retried", changes, countRetry: true);
            return;
        }
        farm.SetState(job, task, TaskState.Error, changes);
    }

    // An invocation the engine handed out but the blade no longer mentions was lost in transit or died with a blade
    // restart; after a grace period (the reply may still be on its way) its task goes back to ready.
    private void ReconcileRunning(LiveBlade blade, HashSet<long> mentioned, long now, ChangeSet changes)
    {
        var graceMs = options.Value.VanishedGraceMs;
        foreach (var iid in blade.Running.ToList())
        {
            if (mentioned.Contains(iid) || !farm.Invocations.TryGetValue(iid, out var invocation)
                || now - invocation.DispatchTimeMs < graceMs || !farm.Jobs.TryGetValue(invocation.Jid, out var job))
                continue;
            var task = job.Tasks[invocation.Tid];
            farm.Requeue(job, task, task.NextCommand - 1, "vanished", changes, countRetry: false);
        }
    }
}
