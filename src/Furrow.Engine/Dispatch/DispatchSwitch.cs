using Furrow.Engine.Site;
using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// The "pause dispatching" switch of the Dashboard admin panel and `tq pause-dispatch`. It is site state
/// (<see cref="SiteStateStore"/>), so restoring a backup does not undo an operator's pause; the job database keeps a copy
/// for an older engine after a downgrade.
/// </summary>
internal sealed class DispatchSwitch(LiveFarm farm, ChangeCommitter committer, SiteStateStore siteState)
{
    public const string ParamName = "dispatchpaused";

    public async Task SetPausedAsync(bool paused, CancellationToken cancellationToken)
    {
        siteState.Update(s => s with { DispatchPaused = paused });
        // The farm follows the switch before the commit wakes the blades waiting in their polls: woken while it still
        // said paused, they found nothing and waited out the rest of their poll (20 s by default) with work ready.
        farm.SetDispatchPaused(paused);
        var changes = new ChangeSet { WorkBecameAvailable = !paused };
        changes.Add(new SetParam(ParamName, paused ? "1" : "0"));
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
    }
}
