using System.Threading.Channels;
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
internal sealed class FarmLoader(IJobStore store, LiveFarm farm, TaskLogStore logs, WorkSignal signal,
    SiteStateStore siteState, IOptions<EngineOptions> options, ILogger<FarmLoader> logger)
{
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Jobs are built on another thread while the store reads the next ones: reading and building each take about as
        // long, so a farm of 100,000 tasks loads in the time of the longer one, not of both.
        var read = Channel.CreateUnbounded<UnfinishedJob>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var building = Task.Run(() => BuildAllAsync(read.Reader, cancellationToken), cancellationToken);
        LiveState live;
        try
        {
            live = await store.LoadLiveStateAsync(rows => read.Writer.TryWrite(rows), cancellationToken).ConfigureAwait(false);
            read.Writer.Complete();
        }
        catch (Exception error)
        {
            read.Writer.Complete(error);
            await building.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
            throw;
        }
        var readMs = watch.ElapsedMilliseconds;
        var jobs = await building.ConfigureAwait(false);
        var buildMs = watch.ElapsedMilliseconds - readMs;
        // The pause is site state (a restore must not undo it); an engine that never set it there kept it in the database.
        var dispatchPaused = siteState.Current.DispatchPaused
            ?? await store.GetParamAsync(DispatchSwitch.ParamName, cancellationToken).ConfigureAwait(false) == "1";
        var built = jobs.ToDictionary(j => j.Jid);
        var positions = new Dictionary<long, LogPosition>();
        foreach (var record in live.CurrentInvocations)
        {
            if (!built.TryGetValue(record.Jid, out var job))
                continue;
            var owner = job.Owner;
            var header = false;
            var start = record.LogStart;
            if (start is null && logs.FindOutputStart(owner, record.Jid, record.Tid, record.Iid) is { } found)
            {
                header = true;
                start = found;
            }
            var bytes = start is { } s ? Math.Max(0, logs.LengthOf(owner, record.Jid, record.Tid) - s) : 0;
            var expands = record.Tid < job.Tasks.Length && job.Tasks[record.Tid].Command(record.Cid)?.Expand == true;
            positions[record.Iid] = new LogPosition(header, start, bytes,
                expands && start is { } from ? logs.ReadFrom(owner, record.Jid, record.Tid, from, options.Value.ScriptLimits.MaxBytes + 1) : null);
        }
        var logsMs = watch.ElapsedMilliseconds - readMs - buildMs;
        var changes = farm.Replace(live, jobs, dispatchPaused, positions);
        // Replace queued its writes in order with everything else (CommitQueue); wait until they are durable.
        await changes.WaitCommittedAsync(cancellationToken).ConfigureAwait(false);
        signal.Pulse();
        EngineLog.FarmRebuilt(logger, watch.ElapsedMilliseconds, readMs, buildMs, logsMs);
    }

    /// <summary>
    /// Reads one unfinished job from the database and adds it to the farm (<see cref="LiveFarm.AddLoaded"/>), leaving every
    /// other job as it is: for a finished job that is retried or restarted, or a deleted one brought back. Returns the
    /// changes the farm decided for it, for the caller to wait on; null when the database holds no such unfinished job.
    /// </summary>
    public async Task<ChangeSet?> LoadJobAsync(long jid, CancellationToken cancellationToken)
    {
        if (await store.LoadUnfinishedJobAsync(jid, cancellationToken).ConfigureAwait(false) is not { } rows)
            return null;
        return farm.AddLoaded(Build(rows), rows.Blocklist);
    }

    private async Task<List<LiveJob>> BuildAllAsync(ChannelReader<UnfinishedJob> read, CancellationToken cancellationToken)
    {
        var jobs = new List<LiveJob>();
        await foreach (var rows in read.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            jobs.Add(Build(rows));
        return jobs;
    }

    private LiveJob Build(UnfinishedJob rows)
    {
        try
        {
            return LiveJobBuilder.FromRows(rows, farm.TierRank(rows.Job.Tier), farm.Rules.Limits);
        }
        catch (Exception error) when (error is JobRuleException or FormatException)
        {
            throw new StoreUnavailableException($"job {rows.Job.Jid} in the job database cannot be scheduled: {error.Message}");
        }
    }
}
