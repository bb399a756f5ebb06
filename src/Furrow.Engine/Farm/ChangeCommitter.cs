using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Storage;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Farm;

/// <summary>
/// Makes a <see cref="ChangeSet"/> durable: log text first, then the database, each stage taking changes in the order
/// they were handed in. If either refuses, the in-memory view is rebuilt from the database (the truth) so memory never
/// runs ahead of what was committed.
/// </summary>
/// <remarks>
/// Waiting blades are woken (<see cref="WorkSignal"/>) as soon as a change that freed work is queued, not once it is durable: what they take is
/// decided after it and queued behind it, so it is committed with it or after it, and their replies still wait for
/// their own commit. A dependant is so dispatched without waiting out its prerequisite's two syncs.
/// </remarks>
internal sealed class ChangeCommitter(IJobStore store, TaskLogWriter logs, LiveFarm farm, FarmLoader loader, WorkSignal signal,
    ILogger<ChangeCommitter> logger)
{
    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken)
    {
        try
        {
            var stored = logs.AppendThenAsync(changes.Logs, outputStarts =>
            {
                foreach (var start in changes.Starts)
                {
                    var logStart = start.KnownLogStart ?? outputStarts.GetValueOrDefault(start.Invocation.Iid);
                    farm.SetLogStart(start.Invocation, logStart);
                    changes.Add(new MarkInvocationStarted(start.Invocation.Iid, start.Pid, start.TimeMs, logStart));
                }
                return store.CommitAsync(changes.Writes, CancellationToken.None).AsTask();
            });
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
            await (await stored.ConfigureAwait(false)).WaitAsync(cancellationToken).ConfigureAwait(false);
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

