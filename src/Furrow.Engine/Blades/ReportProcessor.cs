using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Blades;

/// <summary>Takes a blade's report (its figures, and starts, output and exits of its invocations) to the farm and makes it durable.</summary>
internal sealed class ReportProcessor(LiveFarm farm, ChangeCommitter committer, ILogger<ReportProcessor> logger)
{
    /// <summary>Null when the blade must register again.</summary>
    public async Task<ReportReply?> ProcessAsync(string bladeName, BladeReport report, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var outcome = farm.ApplyReport(bladeName, report, changes);
        if (outcome is null)
            return null;
        foreach (var iid in outcome.StaleIids)
            EngineLog.StaleReport(logger, bladeName, iid);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return new ReportReply(outcome.AckedSeq, outcome.Cancel);
    }
}
