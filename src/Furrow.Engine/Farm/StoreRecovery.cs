using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Farm;

/// <summary>
/// After the job database was unreachable, rebuilds the scheduler's view from it before anything is served again.
/// Callers wait (up to <see cref="EngineOptions.StoreWaitTimeout"/>) for the database to come back, then get a clear error.
/// </summary>
internal sealed class StoreRecovery(LiveFarm farm, FarmLoader loader, IOptions<EngineOptions> options, ILogger<StoreRecovery> logger)
{
    private readonly SemaphoreSlim _reloading = new(1, 1);

    /// <summary>The database just failed a request: reload from it (which also proves it is back) before serving more.</summary>
    public void MarkSuspect()
    {
        farm.MarkStale();
    }

    public async Task EnsureFreshAsync(CancellationToken cancellationToken)
    {
        if (!IsStale)
            return;
        var deadline = DateTime.UtcNow + options.Value.StoreWaitTimeout;
        string? reason = null;
        while (IsStale)
        {
            await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!IsStale)
                    return;
                await loader.ReloadAsync(cancellationToken).ConfigureAwait(false);
                // Blades could not get through while the database was away: their silence then was not theirs.
                farm.RefreshBladeContacts();
                EngineLog.StoreBack(logger);
                return;
            }
            catch (StoreUnavailableException error)
            {
                reason = error.Message;
            }
            finally
            {
                _reloading.Release();
            }
            if (DateTime.UtcNow >= deadline)
                throw new StoreUnavailableException($"the job database is unreachable ({reason}); nothing was changed, try again when it is back");
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsStale => farm.IsStale;
}
