using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/queue` (TRACTOR-PROTOCOL §4d, §3b's jretire, §3c's 1.x jdelete): Tractor's job, task and command operations,
/// each translated onto the native operation endpoint ("Operate", `POST /api/v1/operations/{operation}?q=CLAUSE`) with
/// the ids given (`jid=1,3,5`, `tid=`, `cid=`, comma-joined) written as a search clause. Who may do what is the native
/// endpoint's to say (crews.config, locks, JobEditAccessPolicies). Tractor's protocol carries no `--force` (tq asks its
/// user before it sends an operation on another user's job), so every operation is sent with force=1: the job edit
/// policies still decide, and a plain user is still refused another user's job under Furrow's default policy.
/// Replies: `{"rc": 0, "msg": WHAT WAS DONE, "done": [names], "refused": [why]}`; when every target was refused,
/// `{"rc": 403, "msg": WHY}` if the rules refused any of them, else `{"rc": 409, "msg": WHY}` (nothing in error to retry,
/// nothing running to kill); when the ids match nothing, `{"rc": 404, "msg": "no job N"}`; a native failure keeps its
/// status and message.
/// </summary>
internal static class TractorQueue
{
    private static readonly string[] Queries = ["jattr", "jinterrupt", "jrestart", "jretry", "tskip", "jretire", "jdelete", "jrestore", "tretry", "cattr", "ejectall"];

    /// <summary>Answers queue?q=....</summary>
    public static async Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (!Queries.Contains(call.Q))
            return call.UnknownQuery("queue", Queries);
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        if (call.Q == "ejectall")
            return TractorReply.Error(StatusCodes.Status501NotImplemented,
                $"Furrow does not serve queue?q=ejectall (blade={call.Get("blade")}): it has no operation that stops every command on a blade; " +
                "`tq nimby` the blade, then `tq interrupt` or `tq retry` what runs there");
        var targets = Targets.Read(call, out var problem);
        if (targets is null)
            return problem!;
        if (targets.Unused(call) is { } unused)
            return unused;
        return call.Q switch
        {
            "jattr" => await JobAttributesAsync(call, targets).ConfigureAwait(false),
            // With tid=: kill those tasks' running commands (they go to error; the job is not paused).
            "jinterrupt" when targets.Tids is not null => await TaskOperationAsync(call, "kill", targets).ConfigureAwait(false),
            "jinterrupt" => await OperateAsync(call, "interrupt", targets.JobClause(), targets).ConfigureAwait(false),
            "jrestart" => await OperateAsync(call, "restart", targets.JobClause(), targets).ConfigureAwait(false),
            "jretry" => call.Get("tsubset") switch
            {
                "error" => await OperateAsync(call, "retryallerrs", targets.JobClause(), targets).ConfigureAwait(false),
                // Every active task of the jobs, retried: the native retry of the tasks a clause matches.
                "active" => await OperateAsync(call, "retry", $"{targets.JobClause()} and state = active", targets with { Subset = "active" })
                    .ConfigureAwait(false),
                var other => TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"queue?q=jretry needs tsubset=error or tsubset=active, got '{other}' (one task is queue?q=tretry&jid=..&tid=..)"),
            },
            "tskip" when call.Get("tsubset") is { Length: > 0 } subset => subset == "error"
                ? await OperateAsync(call, "skipallerrs", targets.JobClause(), targets).ConfigureAwait(false)
                : TractorReply.Error(StatusCodes.Status400BadRequest, $"queue?q=tskip takes tsubset=error (or tid=), got tsubset={subset}"),
            "tskip" => await TaskOperationAsync(call, "skip", targets).ConfigureAwait(false),
            "tretry" => call.Get("recover") switch
            {
                null or "" or "0" => await TaskOperationAsync(call, "retry", targets).ConfigureAwait(false),
                "1" => await TaskOperationAsync(call, "resume", targets).ConfigureAwait(false),
                var other => TractorReply.Error(StatusCodes.Status400BadRequest, $"bad recover '{other}': expected 1 or 0"),
            },
            "jretire" or "jdelete" => await OperateAsync(call, "delete", targets.JobClause(), targets).ConfigureAwait(false),
            "jrestore" => await OperateAsync(call, "undelete", targets.JobClause(), targets with { Subset = "deleted" }).ConfigureAwait(false),
            "cattr" => await CommandAttributesAsync(call, targets).ConfigureAwait(false),
            _ => call.UnknownQuery("queue", Queries),
        };
    }

    // jattr: each set_KEY=VALUE on jobs as the native operation that makes it (InOrderAsync applies them).
    private static async Task<TractorReply> JobAttributesAsync(TractorCall call, Targets targets)
    {
        var settings = Settings(call);
        if (settings.Count == 0)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "queue?q=jattr needs at least one set_KEY=VALUE (set_priority=, set_pause=, set_afterTime= ...)");
        if (call.Get("note") is { Length: > 0 } && !settings.Any(s => s.Key.Equals("lock", StringComparison.OrdinalIgnoreCase)))
            return TractorReply.Error(StatusCodes.Status400BadRequest, "note= goes with set_lock=");
        var steps = new List<(string Setting, string Operation, List<KeyValuePair<string, string?>> Extra)>();
        foreach (var (key, value) in settings)
        {
            // As every message quotes it: a refused set_comment= of 900 KB is not echoed whole (nor one done, in the reply).
            var setting = $"set_{TractorCall.Shown(key)}={TractorCall.Shown(value)}";
            switch (key.ToLowerInvariant())
            {
                case "priority":
                    steps.Add((setting, "chpri", [new("priority", value)]));
                    break;
                case "pause":
                    if (Switch(value) is not { } pause)
                        return BadSwitch(setting);
                    steps.Add((setting, pause ? "pause" : "unpause", []));
                    break;
                case "lock":
                    if (Switch(value) is not { } locking)
                        return BadSwitch(setting);
                    if (call.Get("note") is { Length: > 0 } note)
                        return TractorReply.Error(StatusCodes.Status501NotImplemented,
                            $"Furrow's job locks carry no note (note={TractorCall.Shown(note)}): lock without one, and say why in the job's comment (set_comment=)");
                    steps.Add((setting, locking ? "lock" : "unlock", []));
                    break;
                case "aftertime":
                    // Unix seconds (tq may send a fraction); the native delay takes Unix ms; 0 lets the job start now.
                    if (!Core.Text.ValueText.IsDecimal(value, out var seconds) || seconds < 0 || seconds > 253402300799)
                        return TractorReply.Error(StatusCodes.Status400BadRequest,
                            $"bad {setting}: expected a time in Unix seconds up to the end of year 9999, or 0 to clear it");
                    steps.Add(seconds == 0
                        ? (setting, "undelay", [])
                        : (setting, "delay", [new("aftertime", ((long)Math.Round(seconds * 1000)).ToString(CultureInfo.InvariantCulture))]));
                    break;
                default:
                    // Crews too: the native jattr sets a job's crews (there is no separate chcrews operation).
                    steps.Add((setting, "jattr", [new("key", key), new("value", value)]));
                    break;
            }
        }
        return await InOrderAsync(call, targets, targets.JobClause(), steps).ConfigureAwait(false);
    }

    // cattr: set_KEY=VALUE on commands; set_service is tq chkeys (a command's service key).
    private static async Task<TractorReply> CommandAttributesAsync(TractorCall call, Targets targets)
    {
        if (targets.Cids is null)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "queue?q=cattr needs cid= (the command ids, comma-joined)");
        var settings = Settings(call);
        if (settings.Count == 0)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "queue?q=cattr needs at least one set_KEY=VALUE (set_service=, set_tags= ...)");
        if (targets.CommandClause() is not { } clause)
            return targets.PairingError("cid");
        return await InOrderAsync(call, targets, clause,
            [.. settings.Select(s => ($"set_{TractorCall.Shown(s.Key)}={TractorCall.Shown(s.Value)}", "cattr", new List<KeyValuePair<string, string?>> { new("key", s.Key), new("value", s.Value) }))])
            .ConfigureAwait(false);
    }

    // Settings applied one operation each, in the order given; the first one refused stops the rest, and the reply says
    // what was done before it.
    private static async Task<TractorReply> InOrderAsync(TractorCall call, Targets targets, string clause,
        List<(string Setting, string Operation, List<KeyValuePair<string, string?>> Extra)> steps)
    {
        var done = new List<string>();
        var refusals = new List<string>();
        Outcome? last = null;
        foreach (var (setting, operation, extra) in steps)
        {
            var outcome = await RunAsync(call, operation, clause, extra).ConfigureAwait(false);
            if (outcome.Failure(targets) is { } refusal)
            {
                var failure = await WithNotFoundAsync(call, targets, outcome, refusal).ConfigureAwait(false);
                // A refused value is named as it was sent (set_priority=abc), not only as the native operation read it.
                return done.Count > 0 ? TractorReply.Error(failure.Status, $"{string.Join(", ", done)} done; then {setting}: {failure.Message}")
                    : failure.Status == StatusCodes.Status400BadRequest ? TractorReply.Error(failure.Status, $"{setting}: {failure.Message}")
                    : failure;
            }
            done.Add(setting);
            last = outcome;
            refusals.AddRange(outcome.Refused);
        }
        var items = last?.Done ?? [];
        var notFound = last is null ? ([], [], null) : await NotFoundAsync(call, targets, last).ConfigureAwait(false);
        return notFound.Error ?? Reply($"{string.Join(", ", done)} on {Targets.Listed(items, " ")}", items, [.. refusals, .. notFound.PassedOver], notFound.Labels);
    }

    private static Task<TractorReply> TaskOperationAsync(TractorCall call, string operation, Targets targets)
    {
        if (targets.Tids is null)
            return Task.FromResult(TractorReply.Error(StatusCodes.Status400BadRequest, $"queue?q={call.Q} needs tid= (the task ids, comma-joined)"));
        return targets.TaskClause() is { } clause
            ? OperateAsync(call, operation, clause, targets)
            : Task.FromResult(targets.PairingError("tid"));
    }

    private static async Task<TractorReply> OperateAsync(TractorCall call, string operation, string clause, Targets targets)
    {
        var outcome = await RunAsync(call, operation, clause, []).ConfigureAwait(false);
        if (outcome.Failure(targets) is { } failure)
        {
            if (targets.Subset == "active" && failure.Status == StatusCodes.Status404NotFound)
                return await NoActiveTaskAsync(call, targets).ConfigureAwait(false);
            return await WithNotFoundAsync(call, targets, outcome, failure).ConfigureAwait(false);
        }
        var notFound = await NotFoundAsync(call, targets, outcome).ConfigureAwait(false);
        return notFound.Error ?? Reply($"{operation} {Targets.Listed(outcome.Done, " ")}", outcome.Done, [.. outcome.Refused, .. notFound.PassedOver],
            notFound.Labels);
    }

    // jretry&tsubset=active that found no active task: a job that is there but has none could not be retried as things
    // stand (409, as for tsubset=error); only jobs that are not there (or not the caller's to see) are not found (404).
    private static async Task<TractorReply> NoActiveTaskAsync(TractorCall call, Targets targets)
    {
        var seen = new HashSet<long>();
        var error = await MonitorParams.EachRowAsync(call, "jobs", ["jid"], targets.JobClause(), row => seen.Add(row["jid"].GetInt64()))
            .ConfigureAwait(false);
        if (error is not null)
            return error;
        if (seen.Count == 0)
            return TractorReply.Error(StatusCodes.Status404NotFound, targets.NothingMatched());
        var named = targets.Jids.Distinct().ToList();
        var there = named.Where(seen.Contains).ToList();
        var missing = named.Where(j => !seen.Contains(j)).Select(j => $"J{j}").ToList();
        return TractorReply.Error(StatusCodes.Status409Conflict,
            $"{(there.Count == 1 ? $"job {there[0]} has" : $"jobs {Targets.Listed(there)} have")} no active task to retry" +
            (missing.Count > 0 ? $"; not found: {Targets.Listed(missing)}" : ""));
    }

    // The jobs or tasks named that do not exist (or the caller cannot see), when fewer were done and refused than named:
    // read back by the clause, as the native operation found its targets, deleted jobs included (the operation may have
    // just deleted them, or restored them from there). None for the active subset (a job with no active task is no
    // unknown job) or commands.
    // Also the jobs named that the native operation passed over as things stand (PassedOver, as refusals saying so): for
    // jrestore those there but not deleted, for any other job operation those there but deleted.
    private static async Task<(List<string> Labels, List<string> PassedOver, TractorReply? Error)> NotFoundAsync(TractorCall call, Targets targets,
        Outcome outcome)
    {
        var named = targets.Named().DistinctBy(n => n.Label).ToList();
        if (targets.Subset == "active" || targets.Cids is not null || outcome.Done.Count + outcome.Refused.Count >= named.Count)
            return ([], [], null);
        var seen = new HashSet<(long, long)>();
        var live = new HashSet<long>();
        var error = targets.Tids is null
            ? await MonitorParams.EachRowAsync(call, "jobs", ["jid", "deletetime"], targets.JobClause(), row =>
            {
                seen.Add((row["jid"].GetInt64(), 0));
                if (row["deletetime"].ValueKind == JsonValueKind.Null)
                    live.Add(row["jid"].GetInt64());
            }, archived: true).ConfigureAwait(false)
            : await MonitorParams.EachRowAsync(call, "tasks", ["jid", "tid"], targets.TaskClause(),
                row => seen.Add((row["jid"].GetInt64(), row["tid"].GetInt64())), archived: true).ConfigureAwait(false);
        var done = outcome.Done.ToHashSet(StringComparer.Ordinal);
        var deleting = call.Q is "jretire" or "jdelete";
        var passedOver = targets.Subset == "deleted"
            ? named.Where(n => live.Contains(n.Jid) && !done.Contains(n.Label)).Select(n => $"{n.Label}: not deleted (only a deleted job can be restored)").ToList()
            : targets.Tids is null
            ? named.Where(n => seen.Contains((n.Jid, 0)) && !live.Contains(n.Jid) && !done.Contains(n.Label))
                .Select(n => deleting ? $"{n.Label}: already deleted" : $"{n.Label}: deleted (restore it with jrestore first)").ToList()
            : [];
        return ([.. named.Where(n => !seen.Contains((n.Jid, n.Tid)) && !done.Contains(n.Label)).Select(n => n.Label)], passedOver, error);
    }

    // Every target refused (403, 409): the ids named that matched nothing are named too, as `not found:`, as a reply that
    // did some names them.
    private static async Task<TractorReply> WithNotFoundAsync(TractorCall call, Targets targets, Outcome outcome, TractorReply failure)
    {
        // None of them in the queue (404): jobs named that are there but deleted (for jrestore, there but not deleted)
        // are refused as things stand (409), naming each, as when others were done; only ids that are no job are not found.
        if (failure.Status == StatusCodes.Status404NotFound && targets.Subset != "active" && targets.Cids is null)
        {
            var (missing, refusals, readError) = await NotFoundAsync(call, targets, outcome).ConfigureAwait(false);
            if (readError is not null || refusals.Count == 0)
                return readError ?? failure;
            return TractorReply.Error(StatusCodes.Status409Conflict,
                Targets.Listed(refusals, "; ") + (missing.Count > 0 ? $"; not found: {Targets.Listed(missing)}" : ""));
        }
        if (!outcome.Native.Ok || outcome.Refused.Count == 0)
            return failure;
        var (labels, _, error) = await NotFoundAsync(call, targets, outcome).ConfigureAwait(false);
        return error ?? (labels.Count == 0 ? failure : TractorReply.Error(failure.Status, $"{failure.Message}; not found: {Targets.Listed(labels)}"));
    }

    // Done on some, refused on others (named with why), and the ids given that matched nothing named as not found.
    private static TractorReply Reply(string message, List<string> done, List<string> refused, List<string>? notFound = null) => TractorReply.Ok(
        (refused.Count == 0 ? message : $"{message}; refused: {Targets.Listed(refused, "; ")}")
            + (notFound is { Count: > 0 } ? $"; not found: {Targets.Listed(notFound)}" : ""), w =>
        {
            if (notFound is { Count: > 0 })
            {
                w.WriteStartArray("notfound");
                foreach (var item in notFound)
                    w.WriteStringValue(item);
                w.WriteEndArray();
            }
            w.WriteStartArray("done");
            foreach (var item in done)
                w.WriteStringValue(item);
            w.WriteEndArray();
            w.WriteStartArray("refused");
            foreach (var item in refused)
                w.WriteStringValue(item);
            w.WriteEndArray();
        });

    private static async Task<Outcome> RunAsync(TractorCall call, string operation, string clause, List<KeyValuePair<string, string?>> extra)
    {
        List<KeyValuePair<string, string?>> query = [new("q", clause), new("force", "1"), .. extra];
        var native = await call.NativeAsync("Operate", query, new RouteValueDictionary { ["operation"] = operation }).ConfigureAwait(false);
        if (!native.Ok)
            return new Outcome(native, [], []);
        using var json = native.Json();
        var root = json.RootElement;
        return new Outcome(native, Strings(root, "items"), Strings(root, "refused"))
        {
            Forbidden = root.TryGetProperty("forbidden", out var forbidden) && forbidden.TryGetInt32(out var count) ? count : 0,
        };
    }

    private static List<string> Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? [.. list.EnumerateArray().Select(e => e.GetString() ?? "")] : [];

    // What the native operation answered.
    private sealed record Outcome(NativeReply Native, List<string> Done, List<string> Refused)
    {
        /// <summary>How many of <see cref="Refused"/> the rules refused.</summary>
        public int Forbidden { get; init; }

        // A native failure as it came; every target refused as a 403 (the rules) or 409 (their state) naming why;
        // nothing matched as a 404 naming the ids.
        public TractorReply? Failure(Targets targets) =>
            !Native.Ok ? TractorReply.Error(Native.Status, Native.Message)
            : Done.Count > 0 ? null
            : Refused.Count > 0 ? TractorReply.Error(Forbidden > 0 ? StatusCodes.Status403Forbidden : StatusCodes.Status409Conflict, Targets.Listed(Refused, "; "))
            : TractorReply.Error(StatusCodes.Status404NotFound, targets.NothingMatched());
    }

    private static List<KeyValuePair<string, string>> Settings(TractorCall call) =>
        [.. call.Context.Request.Query.Where(p => p.Key.StartsWith("set_", StringComparison.OrdinalIgnoreCase) && p.Key.Length > 4)
            .Select(p => KeyValuePair.Create(p.Key[4..], p.Value.ToString()))];

    private static bool? Switch(string value) => Core.Text.ValueText.Switch(value);

    private static TractorReply BadSwitch(string setting) =>
        TractorReply.Error(StatusCodes.Status400BadRequest, $"bad {setting}: expected one of {Core.Text.ValueText.SwitchWords}");

    /// <summary>The jids, tids and cids a queue call names, each list comma-joined as EngineClient sends it (§1).</summary>
    private sealed record Targets(IReadOnlyList<long> Jids, IReadOnlyList<long>? Tids, IReadOnlyList<long>? Cids)
    {
        /// <summary>Which of the jobs' tasks a subset names ("active"), or which jobs ("deleted"), for the 404's message.</summary>
        public string? Subset { get; init; }

        public static Targets? Read(TractorCall call, out TractorReply? problem)
        {
            problem = null;
            var jids = Ids(call, "jid", out problem);
            if (problem is not null)
                return null;
            if (jids is null)
            {
                problem = TractorReply.Error(StatusCodes.Status400BadRequest, $"queue?q={call.Q} needs jid= (the job ids, comma-joined)");
                return null;
            }
            var tids = Ids(call, "tid", out problem);
            if (problem is not null)
                return null;
            var cids = Ids(call, "cid", out problem);
            // A job named twice is that job once (jid=51&jid=51... is one job, not a clause of thousands of values); with
            // tid= or cid= the jids may pair with them one to one, so they are kept as given.
            if (tids is null && cids is null)
                jids = [.. jids.Distinct()];
            if (problem is null && TooMany(call, jids, tids ?? cids, tids is null ? "cid" : "tid") is { } tooMany)
                problem = tooMany;
            return problem is null ? new Targets(jids, tids, cids) : null;
        }

        // The clause these ids become is Furrow's, so a list past the search language's limits is refused in the caller's
        // terms (how many ids, and the most a call takes) rather than at a column of a clause they never wrote.
        private static TractorReply? TooMany(TractorCall call, IReadOnlyList<long> jids, IReadOnlyList<long>? other, string otherName)
        {
            const int Most = Core.Query.TractorQuery.MaxListItems;
            var (count, name) = jids.Count > Most ? (jids.Count, "job ids (jid=)") : other?.Count > Most ? (other.Count, $"ids in {otherName}=") : (0, "");
            if (count > 0)
                return TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"queue?q={call.Q} names {count} {name}: a call takes at most {Most}; send them in several calls");
            // One id per job pairs each jid with its tid or cid, two comparisons a pair in the clause.
            const int MostPairs = Core.Query.TractorQuery.MaxTests / 2;
            return other is not null && jids.Count > 1 && jids.Count == other.Count && jids.Count > MostPairs
                ? TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"queue?q={call.Q} names {jids.Count} jobs each with its own {otherName}=: a call takes at most {MostPairs} such pairs " +
                    $"(or one jid= with up to {Most} {otherName}s); send them in several calls")
                : null;
        }

        // A list of whole numbers, or null when the parameter is absent; a malformed id is a 400 naming it.
        private static List<long>? Ids(TractorCall call, string name, out TractorReply? problem)
        {
            problem = null;
            if (call.Get(name) is not { } text)
                return null;
            var ids = MonitorParams.IdList(name, text, out var bad);
            if (bad is not null)
                problem = TractorReply.Error(StatusCodes.Status400BadRequest, bad);
            return ids;
        }

        /// <summary>A 400 naming a tid= or cid= the query does not act on (whole jobs, or tasks without cid=); else null.</summary>
        public TractorReply? Unused(TractorCall call)
        {
            var onTasks = call.Q is "tretry" || (call.Q is "tskip" or "jinterrupt" && call.Get("tsubset") is not { Length: > 0 });
            var unused = call.Q == "cattr" ? null
                : Cids is not null ? "cid"
                : Tids is not null && !onTasks ? "tid"
                : null;
            return unused is null ? null : TractorReply.Error(StatusCodes.Status400BadRequest,
                $"queue?q={call.Q}{(call.Get("tsubset") is { Length: > 0 } s ? "&tsubset=" + s : "")} does not take {unused}= " +
                (unused == "tid" ? "(it acts on whole jobs; one task is tretry, tskip or jinterrupt with jid= and tid=)" : "(only cattr acts on commands)"));
        }

        public string JobClause() => $"jid in [{string.Join(", ", Jids)}]";

        public string? TaskClause() => Pairs(Tids!, "tid");

        public string? CommandClause()
        {
            if (Tids is null)
                return Pairs(Cids!, "cid");
            if (Jids.Count != 1)
                return null;
            return $"jid = {Jids[0]} and tid in [{string.Join(", ", Tids)}] and cid in [{string.Join(", ", Cids!)}]";
        }

        // One job and any number of ids in it, or as many jobs as ids, each id in its job (tq's TASK lists: jid and tid pairs).
        private string? Pairs(IReadOnlyList<long> ids, string name) =>
            Jids.Count == 1 ? $"jid = {Jids[0]} and {name} in [{string.Join(", ", ids)}]"
            : Jids.Count == ids.Count ? string.Join(" or ", Jids.Zip(ids, (j, i) => $"(jid = {j} and {name} = {i})"))
            : null;

        public TractorReply PairingError(string name) => TractorReply.Error(StatusCodes.Status400BadRequest,
            $"{name}= names ids of one job (one jid=) or one id per job (as many {name}s as jids, in the same order); got {Jids.Count} jids and " +
            $"{(name == "tid" ? Tids : Cids)!.Count} {name}s");

        /// <summary>The jobs (`J5`) or tasks (`J5 T2`) named, as the native operation names what it did or refused.</summary>
        public IEnumerable<(long Jid, long Tid, string Label)> Named() => Tids is null ? Jids.Select(j => (j, 0L, $"J{j}"))
            : Jids.Count == 1 ? Tids.Select(t => (Jids[0], t, $"J{Jids[0]} T{t}"))
            : Jids.Zip(Tids, (j, t) => (j, t, $"J{j} T{t}"));

        // Ids (or what was done or refused) as a message lists them: the first 20, then how many more. The reply's arrays
        // (done, refused, notfound) carry every one; a message of 20,000 ids helps nobody reading it.
        public static string Listed<T>(IReadOnlyList<T> ids, string separator = ", ") =>
            string.Join(separator, ids.Take(20)) + (ids.Count > 20 ? $" and {ids.Count - 20} more" : "");

        public string NothingMatched()
        {
            var jobs = Jids.Count == 1 ? $"job {Jids[0]}" : $"jobs {Listed(Jids)}";
            return Subset switch
            {
                "active" => $"no {jobs}",
                "deleted" => $"no deleted {jobs} (only a deleted job can be restored)",
                _ when Cids is not null && Tids is not null =>
                    $"no command {Listed(Cids)} in task{(Tids.Count == 1 ? "" : "s")} {Listed(Tids)} of {jobs}",
                _ when Cids is not null => $"no command {Listed(Cids)} in {jobs}",
                _ when Tids is not null => $"no task {Listed(Tids)} in {jobs}",
                _ => $"no {jobs}",
            };
        }
    }
}
