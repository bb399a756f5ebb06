using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;
using Furrow.Engine.Access;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Farm;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Jobs;

/// <summary>A job script arriving at the engine, with who sent it and from where.</summary>
internal sealed record SpoolRequest(string Text, bool IsJson, string Owner, string? FileName, string? Host, string? Cwd)
{
    /// <summary>The jobs the spooling caller may see (crews.config's RestrictedViewLogins); null for every job.</summary>
    public Core.Access.JobScope? Scope { get; init; }

    /// <summary>Job-wide values given beside the script (tractor-spool's --title, --tier, --priority, --paused ...); null for none.</summary>
    public Core.Scripts.JobWideValues? Overrides { get; init; }
}

/// <summary>The new job's id, or why the script was refused (with file, line and column for syntax errors).</summary>
internal sealed record SpoolResult(long Jid, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Parses, compiles and checks a spooled job against what the site can schedule (service keys, start time, jobs it
/// waits for, options Furrow cannot honour yet), commits it, then hands it to the farm.
/// </summary>
internal sealed class SpoolService(LiveFarm farm, IJobStore store, ChangeCommitter committer, TaskLogStore logs, TimeProvider clock,
    DispatchPolicy policy, IOptions<EngineOptions> options, Events.EventFeed events, ILogger<SpoolService> logger)
{
    public async Task<SpoolResult> SpoolAsync(SpoolRequest request, CancellationToken cancellationToken)
    {
        var fileName = string.IsNullOrEmpty(request.FileName) ? "<spooled script>" : request.FileName;
        var limits = options.Value.ScriptLimits;
        if (request.Text.Length > limits.MaxBytes)
            return new SpoolResult(0, $"{fileName}: the script is larger than the engine's limit of {limits.MaxBytes} bytes (ScriptMaxBytes)");
        // Tractor's own JSON job form (tractor-spool's jspool, `tractor-spool --in-json`) is read by its own reader into the same job.
        var parsed = !request.IsJson ? AlfredParser.Parse(request.Text, fileName, limits)
            : TractorJobJson.IsTractorForm(request.Text) ? TractorJobJson.Read(request.Text, fileName, limits, options.Value.TimeZone)
            : JobJson.Deserialize(request.Text, fileName, limits);
        if (parsed.Error is { } syntax)
        {
            // Alfred text sent as JSON (Content-Type application/json) fails at its first letter: say what it is.
            var start = request.Text.TrimStart();
            var hint = request.IsJson && (start.StartsWith("Job", StringComparison.Ordinal) || start.StartsWith("##AlfredToDo", StringComparison.Ordinal))
                ? " (this is an alfred script sent as JSON: send it as application/tractor-spool, text/plain or application/x-alfred)"
                // And the other way round: a JSON job read as alfred fails at its opening brace.
                : !request.IsJson && start.StartsWith('{') && (JobJson.IsJobForm(start) || TractorJobJson.IsTractorForm(start))
                ? " (this is a JSON job sent as an alfred script: send it as application/json or application/tractor-spool-json, with format=json, or to Tractor's /Tractor/jspool)"
                : "";
            return new SpoolResult(0, syntax + hint);
        }
        var spec = parsed.Job!;
        // The job-wide values given beside the script, the spool's priority and paused among them, each written over the
        // script's and marked as not in it.
        request.Overrides?.ApplyTo(spec);
        // NaN and the infinities cannot be ordered, stored (NaN) or listed as JSON, and 1e308 outranks anything a wrangler
        // could set: refused like any malformed value, by the one rule every path uses.
        // A priority the spooler gave (tractor-spool -p) is not in the script, so the refusal names no place there.
        if (spec.Priority is { } given && JobPriority.Refusal(given) is { } badPriority)
            return new SpoolResult(0, spec.Refusal(spec, "priority", badPriority));
        // The parsed job knows where its parts were written, so these refusals name file, line and column already.
        if (UnsupportedOptions.Find(spec) is { } unsupported)
            return new SpoolResult(0, unsupported);
        var compiled = JobCompiler.Compile(spec);
        if (compiled.Error is { } logic)
            return new SpoolResult(0, logic);

        var now = clock.GetUtcNow();
        var terms = await TermsAsync(spec, now, request.Scope, cancellationToken).ConfigureAwait(false);
        if (terms.Error is { } termsError)
            return new SpoolResult(0, termsError);
        var record = new JobRecord(0, request.Owner, spec.Title, spec.Priority ?? 1, now.ToUnixTimeMilliseconds(), request.Host,
            request.FileName, request.Cwd ?? spec.SpoolCwd, spec.Paused ?? false, false, null, null, spec.Comment)
        {
            AfterTimeMs = terms.AfterMs,
            MaxActive = spec.MaxActive is > 0 ? spec.MaxActive : null,
            AfterJids = terms.AfterJids,
            Tier = string.IsNullOrWhiteSpace(spec.Tier) ? null : spec.Tier.Trim(),
            Projects = spec.Projects,
            Service = string.IsNullOrWhiteSpace(spec.Service) ? null : spec.Service,
            Tags = spec.Tags,
            AtLeast = spec.AtLeast,
            AtMost = spec.AtMost,
            EnvKey = spec.EnvKey,
            DirMaps = spec.DirMaps,
            Crews = spec.Crews,
            // The alfred parser keeps -editpolicy as written; crews.config decides what the name means when someone acts.
            EditPolicy = spec.Kept.LastOrDefault(k => k.Name == "editpolicy")?.Value.Trim() is { Length: > 0 } policyName ? policyName : null,
        };
        LiveJob job;
        try
        {
            job = LiveJobBuilder.Build(record, compiled.Job!.Tasks, spec.SerialSubtasks, policy.TierRank(record.Tier), farm.Rules.Limits);
        }
        catch (JobRuleException error)
        {
            return new SpoolResult(0, $"{fileName}: {error.Message}");
        }

        var jid = farm.NextJid();
        job.Record = record = record with { Jid = jid };
        var script = new JobScript(request.IsJson ? JobScript.Json : JobScript.Alfred, request.Text);
        var insert = new InsertJob(record, compiled.Job!, script) { ReadyTids = LiveFarm.MarkReadyAtSpool(job) };
        await store.CommitAsync([insert], cancellationToken).ConfigureAwait(false);
        events.PublishCommitted([insert]);
        foreach (var aside in logs.MoveAsideReused(jid, now))
            EngineLog.ReusedJobLogsMoved(logger, jid, aside);
        await committer.CommitAsync(farm.AddSpooled(job), cancellationToken).ConfigureAwait(false);
        EngineLog.JobSpooled(logger, jid, spec.Title, request.Owner, compiled.Job!.Tasks.Count);
        return new SpoolResult(jid, null);
    }

    private sealed record Terms(long? AfterMs, IReadOnlyList<long> AfterJids, string? Error);

    // What the script says about when the job may start, checked against the clock and the queue. A job the caller may
    // not see (scope) is one that does not exist to it: waiting for it would tell that it does.
    private async Task<Terms> TermsAsync(JobSpec spec, DateTimeOffset now, Core.Access.JobScope? scope, CancellationToken cancellationToken)
    {
        long? afterMs = null;
        if (!string.IsNullOrWhiteSpace(spec.After))
        {
            var after = AfterTime.Parse(spec.After, now, options.Value.TimeZone);
            if (after.Error is { } error)
                return new Terms(null, [], spec.Refusal(spec, "after", $"-after {{{spec.After}}}: {error}"));
            afterMs = after.When?.ToUnixTimeMilliseconds();
        }
        if (!policy.KnowsTier(spec.Tier))
            return new Terms(null, [], spec.Refusal(spec, "tier", $"-tier {spec.Tier}: not one of this site's DispatchTiers ({string.Join(", ", options.Value.DispatchTiers)})"));
        spec.Tier = policy.TierName(spec.Tier);
        if (spec.AfterJids.Count == 0)
            return new Terms(afterMs, [], null);
        var jids = spec.AfterJids.Select(j => (long)j).Distinct().ToList();
        var missing = new List<long>();
        foreach (var jid in jids)
            if (scope is not null || !farm.IsLive(jid))
                missing.Add(jid);
        if (missing.Count > 0)
        {
            // Not in the queue: done, deleted, or never spooled. Only the last is an error; the others are over.
            var unknown = new List<long>();
            foreach (var jid in missing)
                if (!await store.JobExistsAsync(jid, scope, cancellationToken).ConfigureAwait(false))
                    unknown.Add(jid);
            if (unknown.Count > 0)
                return new Terms(null, [], spec.Refusal(spec, "afterjids", $"-afterjids names job(s) {string.Join(", ", unknown)}, which do not exist"));
        }
        return new Terms(afterMs, jids, null);
    }
}
