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
        var changes = new ChangeSet { WorkBecameAvailable = !paused };
        changes.Add(new SetParam(ParamName, paused ? "1" : "0"));
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        farm.SetDispatchPaused(paused);
    }
}
