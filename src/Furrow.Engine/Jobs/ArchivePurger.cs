using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Jobs;

/// <summary>
/// Archive retention (tractor.config `ArchiveRetentionDays`): a deleted job older than the retention, counted from its
/// delete, is purged for good, its rows first (in one commit per job) and then its logs. Looks a tenth of the retention
/// apart, at least every 10 minutes and at most every 100 ms; does nothing when the site keeps archives forever.
/// </summary>
internal sealed partial class ArchivePurger(IJobStore store, TaskLogStore logs, IOptions<EngineOptions> options, EngineReadiness readiness,
    TimeProvider clock, Events.EventFeed events, ILogger<ArchivePurger> logger) : BackgroundService
{
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ArchiveRetention is not { } retention)
            return;
        await readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
        var every = TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(10).Ticks));
        using var timer = new PeriodicTimer(every, clock);
        do
        {
            try
            {
                await PurgeAsync(retention, stoppingToken).ConfigureAwait(false);
            }
            catch (StoreUnavailableException)
            {
                // The database is away; the next round tries again.
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // A purge that fails must not stop the engine: say so, and try again next round.
                Failed(logger, error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var before = now - (long)Math.Min(retention.TotalMilliseconds, now);
        while (true)
        {
            var jobs = await store.ListPurgeableJobsAsync(before, Batch, cancellationToken).ConfigureAwait(false);
            foreach (var (jid, owner) in jobs)
            {
                await store.CommitAsync([new PurgeJob(jid)], cancellationToken).ConfigureAwait(false);
                events.PublishCommitted([new PurgeJob(jid)]);
                // An undelete between the listing and the purge keeps the row (the purge takes deleted jobs only): then the
                // job is live again and keeps its logs too.
                if (await store.JobExistsAsync(jid, cancellationToken).ConfigureAwait(false))
                    continue;
                try
                {
                    logs.DeleteJobLogs(owner, jid);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    LogsKept(logger, jid, error.Message);
                }
                Purged(logger, jid, owner);
            }
            if (jobs.Count < Batch)
                return;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "purged deleted job {Jid} of {Owner}: past the archive retention")]
    private static partial void Purged(ILogger logger, long jid, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "archive purge failed, to be tried again: {Reason}")]
    private static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "purged deleted job {Jid}, but its logs could not be removed: {Reason}")]
    private static partial void LogsKept(ILogger logger, long jid, string reason);
}
