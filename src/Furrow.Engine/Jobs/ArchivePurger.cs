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
    TimeProvider clock, ILogger<ArchivePurger> logger) : BackgroundService
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
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = (clock.GetUtcNow() - retention).ToUnixTimeMilliseconds();
        while (true)
        {
            var jobs = await store.ListPurgeableJobsAsync(before, Batch, cancellationToken).ConfigureAwait(false);
            foreach (var (jid, owner) in jobs)
            {
                await store.CommitAsync([new PurgeJob(jid)], cancellationToken).ConfigureAwait(false);
                try
                {
                    logs.DeleteJobLogs(owner, jid);
                }
                catch (IOException error)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "purged deleted job {Jid}, but its logs could not be removed: {Reason}")]
    private static partial void LogsKept(ILogger logger, long jid, string reason);
}
