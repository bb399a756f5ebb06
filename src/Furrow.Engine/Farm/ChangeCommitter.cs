using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Storage;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Farm;

/// <summary>
/// Waits for a <see cref="ChangeSet"/> to be durable: the farm queued it (<see cref="CommitQueue"/>) when it decided it,
/// log text first, then the database, in the order decisions were made. If either refuses, the in-memory view is
/// rebuilt from the database (the truth) so memory never runs ahead of what was committed.
/// </summary>
/// <remarks>
/// Waiting blades are woken (<see cref="WorkSignal"/>) as soon as a change that freed work is queued, not once it is
/// durable: what they take is decided after it and so queued behind it, committed with it or after it, and their
/// replies still wait for their own commit. A dependant is so dispatched without waiting out its prerequisite's two
/// syncs.
/// </remarks>
internal sealed class ChangeCommitter(CommitQueue commits, LiveFarm farm, FarmLoader loader, WorkSignal signal,
    ILogger<ChangeCommitter> logger)
{
    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken)
    {
        try
        {
            // A change set the farm did not decide (a site setting) is queued here; the farm's own are queued already.
            if (changes.Committed is null && !changes.IsEmpty)
                commits.Enqueue(changes, farm.SetLogStart);
            if (changes.WorkBecameAvailable)
            {
                signal.Pulse();
            }
            else
            {
                foreach (var blade in changes.SlotsFreedOn)
                    signal.PulseBlade(blade);
                foreach (var unit in changes.FarmWideFreed)
                    signal.PulseOne(() => farm.IsStillFree(unit));
            }
            await changes.WaitCommittedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is StoreUnavailableException or IOException or UnauthorizedAccessException)
        {
            EngineLog.CommitFailed(logger, error.Message);
            try
            {
                await loader.ReloadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (StoreUnavailableException unreachable)
            {
                farm.MarkStale();
                EngineLog.StoreUnreachable(logger, unreachable.Message);
            }
            throw error as StoreUnavailableException ?? new StoreUnavailableException($"could not write a task log: {error.Message}", error);
        }
    }
}
