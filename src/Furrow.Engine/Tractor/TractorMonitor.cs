using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/monitor` (TRACTOR-PROTOCOL §2, §5, §4d): the login queries (<see cref="TractorLogin"/>) and the dashboard
/// queries: `blades` (§5a), `jobs` (§5b), `jtree` (§5c, <see cref="TractorJobTree"/>), `taskdetails` (§5d), `tasklogs`
/// (§4d: where a task's log is), `tasklog` (the log itself, where `tasklogs` points) and `jobdetails` (§5e, the job's
/// row only). Each is read from the native listings (run as the caller, so crews.config's view rules are theirs) and
/// reshaped. `subscribe` (§5e's long poll) is refused by name.
/// </summary>
internal static class TractorMonitor
{
    private static readonly Dictionary<string, Func<TractorCall, Task<TractorReply>>> Dashboard = new(StringComparer.Ordinal)
    {
        ["blades"] = TractorBlades.BladesAsync,
        ["jobs"] = JobsAsync,
        ["jobdetails"] = JobDetailsAsync,
        ["jtree"] = TractorJobTree.JobTreeAsync,
        ["taskdetails"] = TaskDetailsAsync,
        ["tasklogs"] = TaskLogsAsync,
        ["tasklog"] = TaskLogAsync,
    };

    /// <summary>The monitor queries served.</summary>
    public static IEnumerable<string> Queries => TractorLogin.Queries.Concat(Dashboard.Keys);

    /// <summary>Answers monitor?q=....</summary>
    public static async Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (TractorLogin.Queries.Contains(call.Q))
            return await TractorLogin.HandleAsync(call).ConfigureAwait(false);
        if (call.Q == "subscribe")
            return TractorReply.Error(StatusCodes.Status501NotImplemented,
                "Furrow does not serve monitor?q=subscribe (the dashboard's long poll of command state changes): follow /api/v1/events " +
                "(server-sent events) or poll monitor?q=jobs and q=jtree");
        if (!Dashboard.TryGetValue(call.Q, out var query))
            return call.UnknownQuery("monitor", Queries);
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        return await query(call).ConfigureAwait(false);
    }

    // monitor?q=jobs: {"users": {OWNER: {"JID": {"data": JOBINFO}}}}, every job not deleted, in jid order.
    private static async Task<TractorReply> JobsAsync(TractorCall call)
    {
        if (MonitorParams.RefuseFilter(call) is { } refused)
            return refused;
        var jobs = new List<JobInfo>();
        var error = await MonitorParams.EachRowAsync(call, "jobs", JobInfo.Columns, null, row => jobs.Add(JobInfo.From(row))).ConfigureAwait(false);
        return error ?? WriteUsers(jobs, call);
    }

    // monitor?q=jobdetails&jid=N: the job's row as q=jobs gives it. The newer dashboard's graph, notes and flat forms are
    // refused by name rather than answered without what they ask for.
    private static async Task<TractorReply> JobDetailsAsync(TractorCall call)
    {
        foreach (var name in new[] { "graph", "notes", "flat" })
        {
            if (call.Get(name) is not { } value)
                continue;
            // A switch by the one rule (Core.Text.ValueText.Switch): off is answered, on refused by name, anything else is no switch.
            var on = Core.Text.ValueText.Switch(value);
            if (on is null)
                return TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"bad {name} '{TractorCall.Shown(value)}' for monitor?q=jobdetails: expected one of {Core.Text.ValueText.SwitchWords}");
            if (on == true)
                return TractorReply.Error(StatusCodes.Status501NotImplemented,
                    $"Furrow does not serve monitor?q=jobdetails&{name}={TractorCall.Shown(value)}: it gives the job's row only (without {name}=); the task graph is monitor?q=jtree");
        }
        if (MonitorParams.Id(call, "jid", out var jid) is { } bad)
            return bad;
        var (job, error) = await JobInfo.ReadAsync(call, jid).ConfigureAwait(false);
        return error ?? WriteUsers([job!], call);
    }

    private static TractorReply WriteUsers(List<JobInfo> jobs, TractorCall call)
    {
        var now = call.Service<TimeProvider>().GetUtcNow();
        return TractorReply.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("users");
            foreach (var owner in jobs.GroupBy(j => j.Owner, StringComparer.Ordinal))
            {
                w.WriteStartObject(owner.Key);
                foreach (var job in owner)
                {
                    w.WriteStartObject(job.Jid.ToString(CultureInfo.InvariantCulture));
                    w.WritePropertyName("data");
                    job.Write(w, now);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static readonly string[] CommandColumns =
        ["cid", "argv", "service", "kind", "runtype", "expand", "tags", "envkey", "state", "minslots", "maxslots"];

    private static readonly string[] InvocationColumns =
        ["cid", "blade", "current", "starttime", "stoptime", "rcode", "elapsedapp", "elapsedsys", "rss", "vsz", "cpu"];

    // monitor?q=taskdetails&jid&tid: {"cmds": [...]} (§5d), each command with what its current run (else its last) did.
    private static async Task<TractorReply> TaskDetailsAsync(TractorCall call)
    {
        if (MonitorParams.TaskIds(call, out var jid, out var tid) is { } bad)
            return bad;
        if (await MonitorParams.TaskExistsAsync(call, jid, tid).ConfigureAwait(false) is { } missing)
            return missing;
        var clause = $"jid={jid} and tid={tid}";
        var commands = new List<Dictionary<string, object?>>();
        var error = await MonitorParams.EachRowAsync(call, "commands", CommandColumns, clause, row => commands.Add(row.ToDictionary()), "cid").ConfigureAwait(false);
        var runs = new List<Dictionary<string, object?>>();
        error ??= await MonitorParams.EachRowAsync(call, "invocations", InvocationColumns, clause, row => runs.Add(row.ToDictionary()), "iid").ConfigureAwait(false);
        if (error is not null)
            return error;
        var runsOf = runs.ToLookup(r => Convert.ToInt64(r["cid"], CultureInfo.InvariantCulture));
        return TractorReply.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("cmds");
            foreach (var c in commands)
            {
                var cid = Convert.ToInt64(c["cid"], CultureInfo.InvariantCulture);
                var mine = runsOf[cid].ToList();
                var run = mine.LastOrDefault(r => r["current"] is true) ?? mine.LastOrDefault();
                w.WriteStartObject();
                MonitorParams.WriteValue(w, "argv", c["argv"]);
                w.WriteNumber("cid", cid);
                w.WriteString("service", c["service"] as string ?? "");
                w.WriteString("type", CommandType(c["kind"] as string, c["runtype"] as string, c["expand"] is true));
                MonitorParams.WriteValue(w, "tags", c["tags"] ?? Array.Empty<object>());
                MonitorParams.WriteValue(w, "envkey", c["envkey"] ?? Array.Empty<object>());
                w.WriteStartArray("blades");
                foreach (var blade in mine.Select(r => r["blade"] as string).OfType<string>().Distinct(StringComparer.Ordinal))
                    w.WriteStringValue(blade);
                w.WriteEndArray();
                w.WriteString("state", CommandState(c["state"] as string));
                if (run?["rcode"] is { } rcode)
                    w.WriteString("exitcode", Convert.ToString(rcode, CultureInfo.InvariantCulture));
                else
                    w.WriteNull("exitcode");
                MonitorParams.WriteValue(w, "t0", MonitorParams.Seconds(run?["starttime"]));
                MonitorParams.WriteValue(w, "t1", MonitorParams.Seconds(run?["stoptime"]));
                MonitorParams.WriteValue(w, "elapsedapp", run?["elapsedapp"]);
                MonitorParams.WriteValue(w, "elapsedsys", run?["elapsedsys"]);
                MonitorParams.WriteValue(w, "rss", MonitorParams.Gigabytes(run?["rss"]));
                MonitorParams.WriteValue(w, "vsz", MonitorParams.Gigabytes(run?["vsz"]));
                MonitorParams.WriteValue(w, "cpu", run?["cpu"]);
                if (c["minslots"] is { } min)
                    MonitorParams.WriteValue(w, "minSlots", min);
                if (c["maxslots"] is { } max)
                    MonitorParams.WriteValue(w, "maxSlots", max);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // §5d's type: R (remote) or L (local), then C regular, D cleanup, P/PE/PD post always/error/done, then X for an expand.
    private static string CommandType(string? kind, string? runType, bool expand) =>
        (kind == "local" ? "L" : "R") + runType switch
        {
            "cleanup" => "D",
            "post_always" => "P",
            "post_error" => "PE",
            "post_done" => "PD",
            _ => "C",
        } + (expand ? "X" : "");

    private static string CommandState(string? state) => state switch
    {
        "active" => "Active",
        "error" => "Error",
        "done" => "Done",
        "skipped" => "Skipped",
        _ => "Blocked",
    };

    // monitor?q=tasklogs&jid&tid[&owner]: {"LoggingRedirect": [URL]}. Tractor's clients GET each entry as it is (after
    // http://host:port), without adding their tsid: the URL carries it, and points at monitor?q=tasklog, which reads the
    // log through the native endpoint (one copy of who may read which log).
    private static async Task<TractorReply> TaskLogsAsync(TractorCall call)
    {
        if (MonitorParams.TaskIds(call, out var jid, out var tid) is { } bad)
            return bad;
        if (await MonitorParams.TaskExistsAsync(call, jid, tid).ConfigureAwait(false) is { } missing)
            return missing;
        var query = new List<KeyValuePair<string, string?>>
        {
            new("q", "tasklog"), new("jid", jid.ToString(CultureInfo.InvariantCulture)), new("tid", tid.ToString(CultureInfo.InvariantCulture)),
        };
        if (call.Get("owner") is { Length: > 0 } owner)
            query.Add(new("owner", owner));
        if (TractorRequests.Tsid(call.Context.Request) is { } tsid)
            query.Add(new("tsid", tsid));
        var url = TractorRequests.Prefix + "/monitor" + QueryString.Create(query);
        return TractorReply.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("LoggingRedirect");
            w.WriteStringValue(url);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // monitor?q=tasklog&jid&tid[&owner]: the task's log as stored (the native ReadTaskLog), or its 404 saying why there is none.
    private static async Task<TractorReply> TaskLogAsync(TractorCall call)
    {
        if (MonitorParams.TaskIds(call, out var jid, out var tid) is { } bad)
            return bad;
        var query = new List<KeyValuePair<string, string?>>();
        if (call.Get("owner") is { Length: > 0 } owner)
            query.Add(new("owner", owner));
        var native = await call.NativeAsync("ReadTaskLog", query, new RouteValueDictionary
        {
            ["jid"] = jid.ToString(CultureInfo.InvariantCulture), ["tid"] = tid.ToString(CultureInfo.InvariantCulture),
        }).ConfigureAwait(false);
        return native.Ok
            ? new TractorReply(StatusCodes.Status200OK, native.Body, native.ContentType ?? "application/octet-stream")
            : TractorReply.Error(native.Status, native.Message);
    }
}

/// <summary>
/// A job as Tractor's dashboard lists it (§5b's jobinfo, camelCase keys), read from the native column query. Keys Furrow
/// keeps no value for carry Tractor's empty value: elapsedTaskSecs and estTotalTaskSecs null, spooladdr ""; metadata is
/// the job's -metadata ("" when it gave none).
/// </summary>
internal sealed class JobInfo
{
    /// <summary>The job columns read for a jobinfo, in the order the column query returns them.</summary>
    public static readonly string[] Columns =
    [
        "jid", "owner", "spoolcwd", "envkey", "spooltime", "starttime", "stoptime", "minslots", "maxslots", "maxactive", "priority",
        "paused", "spoolfile", "spoolhost", "title", "tags", "service", "projects", "tier", "comment", "crews", "serialsubtasks", "dirmap",
        "aftertime", "afterjids", "numtasks", "numactive", "numdone", "numerror", "metadata",
    ];

    private Dictionary<string, object?> _values = [];

    /// <summary>The job's id.</summary>
    public long Jid { get; private set; }

    /// <summary>The job's owner.</summary>
    public string Owner { get; private set; } = "";

    /// <summary>A job from a column query row of <see cref="Columns"/>.</summary>
    public static JobInfo From(ColumnRow row)
    {
        var values = row.ToDictionary();
        return new JobInfo { _values = values, Jid = Convert.ToInt64(values["jid"], CultureInfo.InvariantCulture), Owner = values["owner"] as string ?? "" };
    }

    /// <summary>One job by its id; a 404 (the native API's words) when the caller cannot see it or it does not exist.</summary>
    public static async Task<(JobInfo? Job, TractorReply? Error)> ReadAsync(TractorCall call, long jid)
    {
        JobInfo? job = null;
        var error = await MonitorParams.EachRowAsync(call, "jobs", Columns, $"jid={jid}", row => job = From(row)).ConfigureAwait(false);
        if (error is not null)
            return (null, error);
        return job is null
            ? (null, TractorReply.Error(StatusCodes.Status404NotFound, $"no job {jid} (it does not exist, was deleted, or is not yours to see)"))
            : (job, null);
    }

    /// <summary>Writes the jobinfo object; <paramref name="now"/> is jtimes' first entry.</summary>
    public void Write(Utf8JsonWriter w, DateTimeOffset now)
    {
        object? V(string name) => _values[name];
        long Count(string name) => Convert.ToInt64(V(name) ?? 0L, CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteString("cwd", V("spoolcwd") as string ?? "");
        MonitorParams.WriteValue(w, "envkey", V("envkey") ?? Array.Empty<object>());
        w.WriteNumber("jid", Jid);
        // Times are whole epoch seconds; 0 for one that has not happened.
        w.WriteStartArray("jtimes");
        w.WriteNumberValue(now.ToUnixTimeSeconds());
        foreach (var name in new[] { "spooltime", "starttime", "stoptime" })
            w.WriteNumberValue(MonitorParams.Seconds(V(name)) ?? 0);
        w.WriteEndArray();
        w.WriteNull("elapsedTaskSecs");
        w.WriteNull("estTotalTaskSecs");
        MonitorParams.WriteValue(w, "maxSlots", V("maxslots"));
        MonitorParams.WriteValue(w, "minSlots", V("minslots"));
        w.WriteString("metadata", V("metadata") as string ?? "");
        MonitorParams.WriteValue(w, "maxActive", V("maxactive"));
        MonitorParams.WriteValue(w, "priority", V("priority"));
        w.WriteNumber("paused", V("paused") is true ? 1 : 0);
        w.WriteString("sourcefile", V("spoolfile") as string ?? "");
        w.WriteString("spooladdr", "");
        var spooled = MonitorParams.Seconds(V("spooltime"));
        w.WriteString("spooldate", spooled is { } s
            ? TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(s), TimeZoneInfo.Local).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "");
        w.WriteString("spoolhost", V("spoolhost") as string ?? "");
        w.WriteNumber("tid", 0);
        w.WriteString("title", V("title") as string ?? "");
        w.WriteString("user", Owner);
        MonitorParams.WriteValue(w, "tags", V("tags") ?? Array.Empty<object>());
        w.WriteString("service", V("service") as string ?? "");
        MonitorParams.WriteValue(w, "projects", V("projects") ?? Array.Empty<object>());
        w.WriteString("tier", V("tier") as string ?? "");
        w.WriteString("comment", V("comment") as string ?? "");
        MonitorParams.WriteValue(w, "crews", V("crews") ?? Array.Empty<object>());
        w.WriteBoolean("serialsubtasks", V("serialsubtasks") is true);
        WriteDirmaps(w, V("dirmap") as string);
        w.WriteNumber("afterTime", MonitorParams.Seconds(V("aftertime")) ?? 0);
        MonitorParams.WriteValue(w, "afterJids", V("afterjids") ?? Array.Empty<object>());
        var (tasks, done) = (Count("numtasks"), Count("numdone"));
        w.WriteString("state", tasks > 0 && done == tasks ? "-D" : "-B");
        w.WriteStartArray("tdh");
        w.WriteEndArray();
        w.WriteStartArray("nTasks");
        foreach (var n in new[] { tasks, Count("numactive"), done, Count("numerror") })
            w.WriteNumberValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // The job's dirmaps are kept as the JSON the job gave them in: passed on as JSON, [] when none.
    private static void WriteDirmaps(Utf8JsonWriter w, string? dirmap)
    {
        w.WritePropertyName("dirmaps");
        if (string.IsNullOrWhiteSpace(dirmap))
        {
            w.WriteStartArray();
            w.WriteEndArray();
            return;
        }
        try
        {
            using var json = JsonDocument.Parse(dirmap);
            json.RootElement.WriteTo(w);
        }
        catch (JsonException)
        {
            w.WriteStringValue(dirmap);
        }
    }
}
