using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Tractor;

/// <summary>
/// The parameters each Tractor verb and query takes, checked before the verb runs so that none is dropped unread
/// (`monitor?q=jobs&amp;jid=2` would list every job to a caller who believes he filtered). Every call may carry `q`,
/// `tsid` (EngineClient appends it to every call once logged in) and `user` (the user a call acts as, tq's --user;
/// <see cref="TractorRequests"/>). Any other parameter a query does not take is refused 400 naming it and the query;
/// one of Tractor's that Furrow does not apply there is refused 501 naming it and what to do instead. Queries Furrow
/// does not serve are left to their verb, which refuses them by name.
/// </summary>
internal static class TractorParameters
{
    /// <summary>What every call may carry.</summary>
    public static readonly string[] Common = ["q", "tsid", "user"];

    // What a query takes: the parameters it applies, those starting with a prefix it reads (queue's set_KEY=), Tractor's
    // parameters it does not apply (to the script option or call that does it instead, "" when there is none), and a
    // hint for a parameter some other query takes.
    private sealed record Taken(string[] Applied, string? Prefix = null, Dictionary<string, string>? NotApplied = null,
        Dictionary<string, string>? Elsewhere = null);

    private static readonly Dictionary<string, string> OneJob = new(StringComparer.Ordinal)
    {
        ["jid"] = "one job's row is monitor?q=jobdetails&jid=N, its tasks monitor?q=jtree&jid=N; a search is db?q=tractorselect(...)",
        ["owner"] = "a search by owner is db?q=tractorselect('job', 'owner=NAME', ...) (tq jobs owner=NAME)",
    };

    // tractor-spool's job-wide overrides that have no native counterpart (§3b), and the script option that does it.
    private static readonly Dictionary<string, string> SpoolNotApplied = new(StringComparer.Ordinal)
    {
        ["jremoteclean"] = "give the job's -whendone in the script instead",
        ["alfescape"] = "Furrow reads the script as written",
    };

    /// <summary>
    /// Tractor's spool parameters that the native spool takes as job-wide overrides (<see cref="Api.SpoolRequestChecks.OverrideNames"/>),
    /// each with the native name it is passed on as: tractor-spool's `--jtier`, `--jprojects`, `--maxactive`, `--afterjid`,
    /// `--aftertime`, `--jsvckey` and `--jenvkey` (§3b), and the shorter names.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SpoolOverrides = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["title"] = "title", ["jtitle"] = "title", ["tier"] = "tier", ["jtier"] = "tier", ["projects"] = "projects", ["jprojects"] = "projects",
        ["maxactive"] = "maxactive", ["afterjid"] = "afterjids", ["afterjids"] = "afterjids", ["aftertime"] = "after", ["after"] = "after",
        ["svckey"] = "svckey", ["jsvckey"] = "svckey", ["envkey"] = "envkey", ["jenvkey"] = "envkey",
    };

    private static readonly Taken Spool = new(
        ["spvers", "hnm", "jobOwner", "jobFile", "jobcwd", "cwd", "priority", "paused", "blocking", "format", "expanded", .. SpoolOverrides.Keys],
        NotApplied: SpoolNotApplied);

    // tractor-spool --jdelete sends the client's host and login with jretire (§3b), the 1.x spooler its host with jdelete
    // (§3c): the tsid (or user=) says who acts, so they name nothing the operation needs.
    private static readonly string[] Sender = ["hnm", "login"];

    private static readonly Dictionary<string, Taken> ByQuery = new(StringComparer.Ordinal)
    {
        ["spool"] = Spool,
        ["jspool"] = Spool,
        ["monitor?loginscheme"] = new([]),
        ["monitor?gentoken"] = new([]),
        ["monitor?login"] = new(["c"]),
        ["monitor?logout"] = new([]),
        ["monitor?subscribe"] = new(["jids"]),
        ["monitor?blades"] = new(["filter"]),
        ["monitor?jobs"] = new(["filter"], Elsewhere: OneJob),
        ["monitor?jobdetails"] = new(["jid", "graph", "notes", "flat"]),
        ["monitor?jtree"] = new(["jid"]),
        ["monitor?taskdetails"] = new(["jid", "tid"]),
        ["monitor?tasklogs"] = new(["jid", "tid", "owner"]),
        ["monitor?tasklog"] = new(["jid", "tid", "owner"]),
        ["ctrl?status"] = new(["qlen", "enumq"]),
        ["ctrl?reconfigure"] = new(["file"]),
        ["ctrl?battribute"] = new(["b", "nimby"]),
        ["ctrl?tracer"] = new(["t", "fmt"]),
        ["ctrl?dbreconnect"] = new([]),
        ["queue?jattr"] = new(["jid", "note"], Prefix: "set_"),
        ["queue?cattr"] = new(["jid", "tid", "cid"], Prefix: "set_"),
        ["queue?jinterrupt"] = new(["jid", "tid"]),
        ["queue?jrestart"] = new(["jid"]),
        ["queue?jretry"] = new(["jid", "tsubset"]),
        ["queue?tskip"] = new(["jid", "tid", "tsubset"]),
        ["queue?tretry"] = new(["jid", "tid", "recover"]),
        ["queue?jretire"] = new(["jid", .. Sender]),
        ["queue?jdelete"] = new(["jid", .. Sender]),
        ["queue?jrestore"] = new(["jid"]),
        ["queue?ejectall"] = new(["blade"]),
        ["db"] = new([]),
        ["config"] = new(["file"]),
    };

    /// <summary>
    /// The refusal of a parameter <paramref name="verb"/>'s query does not take (400) or does not apply (501), naming it
    /// and the query; null when every parameter is taken, or when the verb or query is not one Furrow serves (its verb
    /// refuses it, as spool and jspool refuse a q= other than newjob). db's q= is its SQL, any of it.
    /// </summary>
    public static TractorReply? Refusal(string verb, TractorCall call)
    {
        verb = verb.ToLowerInvariant();
        var anyQuery = verb is "spool" or "jspool" or "db" or "config";
        if (!ByQuery.TryGetValue(anyQuery ? verb : $"{verb}?{call.Q}", out var taken) || (verb is "spool" or "jspool" && call.Q is not ("" or "newjob")))
            return null;
        var name = anyQuery ? verb : $"{verb}?q={call.Q}";
        foreach (var parameter in call.Context.Request.Query.Keys)
        {
            if (Common.Contains(parameter, StringComparer.Ordinal) || taken.Applied.Contains(parameter, StringComparer.Ordinal)
                || (taken.Prefix is { } prefix && parameter.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && parameter.Length > prefix.Length))
                continue;
            // The query string's names are looked up without regard to case, so `Q=jobs` was read as q=jobs: say so rather
            // than refuse a parameter the query seems to take.
            if (Common.Concat(taken.Applied).FirstOrDefault(known => string.Equals(known, parameter, StringComparison.OrdinalIgnoreCase)) is { } meant)
                return TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"{name}: parameter names are read as Tractor's clients write them: {meant}=, not {TractorCall.Shown(parameter)}=");
            if (taken.NotApplied?.GetValueOrDefault(parameter) is { } instead)
                return TractorReply.Error(StatusCodes.Status501NotImplemented, $"{name} does not apply {parameter}= (not supported): {instead}");
            var takes = taken.Applied.Select(a => a + "=").Concat(taken.Prefix is { } p ? [p + "KEY="] : []).ToList();
            return TractorReply.Error(StatusCodes.Status400BadRequest,
                $"{name} does not take {TractorCall.Shown(parameter)}= ({(takes.Count == 0 ? "it takes no parameters" : $"it takes {string.Join(", ", takes)}")}, " +
                $"and tsid=, user= as every call)" + (taken.Elsewhere?.GetValueOrDefault(parameter) is { } hint ? $"; {hint}" : ""));
        }
        return null;
    }
}
