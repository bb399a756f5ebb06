using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Dispatch;

/// <summary>Answers a blade's long-poll for work: the farm picks what it may run (policy order, the
/// scheduling rules); the assignments are committed before the reply.</summary>
internal sealed class WorkDispatcher(LiveFarm farm, ChangeCommitter committer, WorkSignal signal, IHostApplicationLifetime lifetime)
{
    private const int MaxWaitMs = 30_000;

    /// <summary>Null when the blade is unknown or has restarted since it registered: it must register again.</summary>
    public async Task<WorkReply?> PollAsync(string bladeName, WorkRequest request, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + Math.Clamp(request.WaitMs, 0, MaxWaitMs);
        // The blade counted its free slots when it asked; what its commands give back while it waits is free too.
        var freedMark = farm.SlotsFreedMark(bladeName);
        WorkSignal.Waiter? woken = null;
        while (true)
        {
            // Registered before looking, so a wake that comes while this poll looks is not missed.
            var waiter = signal.Wait(bladeName);
            try
            {
                var changes = new ChangeSet();
                var taken = farm.Assign(bladeName, request.BootId, request.FreeSlots, freedMark, changes);
                if (woken is not null && taken is not { Count: > 0 })
                    signal.TookNothing(woken);
                woken = null;
                if (taken is null)
                    return null;
                if (taken.Count > 0)
                {
                    await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
                    return new WorkReply(taken);
                }
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                    return new WorkReply([]);
                farm.NotePollWaiting(bladeName, request.BootId, waiting: true);
                try
                {
                    // A stopping engine answers its waiting blades at once instead of holding its shutdown for their polls.
                    using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
                    await waiter.Woken.WaitAsync(TimeSpan.FromMilliseconds(remaining), waiting.Token).ConfigureAwait(false);
                    woken = waiter;
                }
                catch (TimeoutException)
                {
                    return new WorkReply([]);
                }
                catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    return new WorkReply([]);
                }
                finally
                {
                    farm.NotePollWaiting(bladeName, request.BootId, waiting: false);
                }
            }
            finally
            {
                // Out of the queue whichever way this pass ends; a unit handed to it untried goes on to the next poll.
                if (woken != waiter)
                    signal.Forget(waiter);
            }
        }
    }
}
