using Furrow.Engine.Farm;
using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// Lets jobs with an `-after` start time into the ready queue the moment it comes: it sleeps until the earliest such
/// time (waking early when a job with a start time joins, which may bring an earlier one), never scanning the queue.
/// </summary>
internal sealed class StartTimeReleaser(LiveFarm farm, WorkSignal signal, EngineReadiness readiness, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan LongestSleep = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            var added = farm.StartTimeAdded;
            if (farm.ReleaseStartTimes())
                signal.Pulse();
            var sleep = LongestSleep;
            if (farm.NextStartTime() is { } next)
            {
                // Compared in milliseconds: a start time far in the future (a stored value near long.MaxValue) must not
                // overflow a TimeSpan and stop the engine.
                var untilMs = next - clock.GetUtcNow().ToUnixTimeMilliseconds();
                sleep = untilMs <= 0 ? TimeSpan.Zero : untilMs < LongestSleep.TotalMilliseconds ? TimeSpan.FromMilliseconds(untilMs) : LongestSleep;
            }
            if (sleep == TimeSpan.Zero)
                continue;
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(sleep, clock, wake.Token);
            await Task.WhenAny(delay, added.WaitAsync(stoppingToken)).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
        }
    }
}
