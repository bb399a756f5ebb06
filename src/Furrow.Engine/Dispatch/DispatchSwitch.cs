using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>The "pause dispatching" switch of the Dashboard admin panel and `tq pause-dispatch`, kept in the database.</summary>
internal sealed class DispatchSwitch(LiveFarm farm, ChangeCommitter committer)
{
    public const string ParamName = "dispatchpaused";

    public async Task SetPausedAsync(bool paused, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet { WorkBecameAvailable = !paused };
        changes.Add(new SetParam(ParamName, paused ? "1" : "0"));
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        farm.SetDispatchPaused(paused);
    }
}
