using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Blades;

/// <summary>Checks once a second for blades that stopped reporting.</summary>
internal sealed class BladeSweeper(BladeRegistry registry, EngineReadiness readiness, Farm.StoreRecovery recovery, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                // Blades cannot report while the database is away; their silence then is not theirs.
                await recovery.EnsureFreshAsync(stoppingToken).ConfigureAwait(false);
                await registry.SweepSilentAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Furrow.Storage.StoreUnavailableException)
            {
                // Already logged by the committer, and the next tick tries again.
            }
        }
    }
}
