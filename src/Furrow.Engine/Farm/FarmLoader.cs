using Furrow.Engine.Blades;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Farm;

/// <summary>
/// Rebuilds the <see cref="LiveFarm"/> from the job database in one pass: at start, and after a refused commit. Jobs are
/// rebuilt from their stored script the way a spool builds them, then the stored states are laid over; log
/// positions are read from disk before the farm is locked.
/// </summary>
internal sealed class FarmLoader(IJobStore store, LiveFarm farm, TaskLogStore logs, WorkSignal signal, BladeProfiles profiles,
    SiteStateStore siteState, IOptions<EngineOptions> options, ILogger<FarmLoader> logger)
{
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var live = await store.LoadLiveStateAsync(cancellationToken).ConfigureAwait(false);
        var readMs = watch.ElapsedMilliseconds;
        // The pause is site state (a restore must not undo it); an engine that never set it there kept it in the database.
        var dispatchPaused = siteState.Current.DispatchPaused
            ?? await store.GetParamAsync(DispatchSwitch.ParamName, cancellationToken).ConfigureAwait(false) == "1";
        var running = live.CurrentInvocations.ToDictionary(i => (i.Jid, i.Tid));
        var jobs = new List<LiveJob>(live.Jobs.Count);
        foreach (var rows in live.Jobs)
            jobs.Add(Build(rows, running));
        var buildMs = watch.ElapsedMilliseconds - readMs;
        var owners = live.Jobs.ToDictionary(j => j.Job.Jid, j => j.Job.Owner);
        var built = jobs.ToDictionary(j => j.Jid);
        var positions = new Dictionary<long, LogPosition>();
        foreach (var record in live.CurrentInvocations)
        {
            if (!owners.TryGetValue(record.Jid, out var owner))
                continue;
            var header = false;
            var start = record.LogStart;
            if (start is null && logs.FindOutputStart(owner, record.Jid, record.Tid, record.Iid) is { } found)
            {
                header = true;
                start = found;
            }
            var bytes = start is { } s ? Math.Max(0, logs.LengthOf(owner, record.Jid, record.Tid) - s) : 0;
            var expands = built.TryGetValue(record.Jid, out var job) && record.Tid < job.Tasks.Length
                && job.Tasks[record.Tid].Commands.Any(c => c.Cid == record.Cid && c.Expand);
            positions[record.Iid] = new LogPosition(header, start, bytes,
                expands && start is { } from ? logs.ReadFrom(owner, record.Jid, record.Tid, from, options.Value.ScriptLimits.MaxBytes + 1) : null);
        }
        var logsMs = watch.ElapsedMilliseconds - readMs - buildMs;
        var changes = farm.Replace(live, jobs, dispatchPaused, positions, profiles.Resolve);
        // Replace queued its writes in order with everything else (CommitQueue); wait until they are durable.
        await changes.WaitCommittedAsync(cancellationToken).ConfigureAwait(false);
        signal.Pulse();
        EngineLog.FarmRebuilt(logger, watch.ElapsedMilliseconds, readMs, buildMs, logsMs);
    }

    private LiveJob Build(UnfinishedJob rows, IReadOnlyDictionary<(long, int), InvocationRecord> running)
    {
        LiveJob job;
        try
        {
            job = LiveJobBuilder.Build(rows.Job, LiveJobBuilder.TasksFromRows(rows), rows.RootSerial, farm.TierRank(rows.Job.Tier), options.Value.Limits);
        }
        catch (Exception error) when (error is JobRuleException or FormatException)
        {
            throw new StoreUnavailableException($"job {rows.Job.Jid} in the job database cannot be scheduled: {error.Message}");
        }
        if (LiveJobBuilder.ApplyRows(job, rows, running) is { } mismatch)
            throw new StoreUnavailableException($"the job database does not match job {rows.Job.Jid}: {mismatch}");
        return job;
    }
}
