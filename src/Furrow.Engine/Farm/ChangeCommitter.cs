using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Storage;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Farm;

/// <summary>
/// Makes a <see cref="ChangeSet"/> durable: log text first, then the database. If the database refuses, the in-memory
/// view is rebuilt from the database (the truth) so memory never runs ahead of what was committed.
/// </summary>
internal sealed class ChangeCommitter(IJobStore store, TaskLogStore logs, LiveFarm farm, FarmLoader loader, WorkSignal signal,
    ILogger<ChangeCommitter> logger)
{
    public async Task CommitAsync(ChangeSet changes, CancellationToken cancellationToken)
    {
        try
        {
            var outputStarts = changes.Logs.Count > 0 ? logs.Append(changes.Logs) : [];
            foreach (var start in changes.Starts)
            {
                var logStart = start.KnownLogStart ?? outputStarts.GetValueOrDefault(start.Invocation.Iid);
                farm.SetLogStart(start.Invocation, logStart);
                changes.Add(new MarkInvocationStarted(start.Invocation.Iid, start.Pid, start.TimeMs, logStart));
            }
            await store.CommitAsync(changes.Writes, cancellationToken).ConfigureAwait(false);
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
        if (changes.WorkBecameAvailable)
            signal.Pulse();
    }
}
