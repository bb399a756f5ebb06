using System.Text;
using Furrow.Client.Protocol;
using Furrow.Core.Output;
using Furrow.Core.Scripts;
using Furrow.Engine.Site;
using Furrow.Engine.Farm;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Blades;

/// <summary>Takes a blade's report (its figures, and starts, output and exits of its invocations) to the farm and makes it durable.</summary>
internal sealed class ReportProcessor(LiveFarm farm, ChangeCommitter committer, IOptions<EngineOptions> options, ILogger<ReportProcessor> logger)
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
        // What an -expand command printed (UTF-8, its directive lines blanked as Tractor's blade drops them) is parsed
        // here, outside the farm's lock, then its tasks join the job: each a decision of its own, queued for commit
        // after the report's.
        List<ChangeSet> all = [changes];
        foreach (var pending in outcome.Expansions)
        {
            var parsed = AlfredParser.ParseExpansion(OutputDirectives.WithoutDirectiveLines(Encoding.UTF8.GetString(pending.Output)), $"J{pending.Jid} T{pending.Tid} expand output", options.Value.ScriptLimits);
            var expansion = new ChangeSet();
            farm.FinishExpansion(pending, parsed, expansion);
            all.Add(expansion);
        }
        foreach (var each in all)
            await committer.CommitAsync(each, cancellationToken).ConfigureAwait(false);
        return new ReportReply(outcome.AckedSeq, outcome.Cancel);
    }
}
