using System.Globalization;
using System.Text.Json;
using Furrow.Engine.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Tractor;

/// <summary>What the monitor queries share: their parameters, and reading native listings a page at a time.</summary>
internal static class MonitorParams
{
    /// <summary>
    /// Calls <paramref name="each"/> with every row of the native column query (/api/v1/query/TABLE) of
    /// <paramref name="columns"/> matching <paramref name="clause"/> (all rows when null), sorted by
    /// <paramref name="sortBy"/> (the table's ids when null), following its pages; the native failure as a Tractor
    /// error, else null. A row's values are valid only during the call.
    /// </summary>
    public static async Task<TractorReply?> EachRowAsync(TractorCall call, string table, string[] columns, string? clause, Action<ColumnRow> each,
        string? sortBy = null, bool archived = false)
    {
        var offset = 0;
        var names = ColumnRow.Index(columns);
        while (true)
        {
            var query = new List<KeyValuePair<string, string?>>
            {
                new("cols", string.Join(',', columns)), new("limit", "0"), new("offset", offset.ToString(CultureInfo.InvariantCulture)),
            };
            if (clause is not null)
                query.Add(new("q", clause));
            if (sortBy is not null)
                query.Add(new("sortby", sortBy));
            if (archived)
                query.Add(new("archived", "1"));
            var native = await call.NativeAsync("QueryColumns", query, new RouteValueDictionary { ["table"] = table }).ConfigureAwait(false);
            if (!native.Ok)
                return TractorReply.Error(native.Status, native.Message);
            using var json = native.Json();
            var rows = json.RootElement.GetProperty("rows");
            foreach (var row in rows.EnumerateArray())
                each(new ColumnRow(row, names));
            if (json.RootElement.GetProperty("next").ValueKind == JsonValueKind.Null)
                return null;
            offset += rows.GetArrayLength();
        }
    }

    /// <summary>
    /// Calls <paramref name="each"/> with every row of native listing <paramref name="endpoint"/> (ListTasks, ListBlades
    /// ...) given <paramref name="query"/>, a page of <see cref="ListPage.MaxSize"/> rows at a time; the native failure as
    /// a Tractor error, else null.
    /// </summary>
    public static async Task<TractorReply?> EachListedAsync(TractorCall call, string endpoint, IEnumerable<KeyValuePair<string, string?>> query,
        Action<JsonElement> each)
    {
        var offset = 0;
        while (true)
        {
            var page = query.Append(new("limit", ListPage.MaxSize.ToString(CultureInfo.InvariantCulture)))
                .Append(new("offset", offset.ToString(CultureInfo.InvariantCulture)));
            var native = await call.NativeAsync(endpoint, page).ConfigureAwait(false);
            if (!native.Ok)
                return TractorReply.Error(native.Status, native.Message);
            using var json = native.Json();
            foreach (var row in json.RootElement.EnumerateArray())
                each(row);
            var count = json.RootElement.GetArrayLength();
            if (count < ListPage.MaxSize)
                return null;
            offset += count;
        }
    }

    /// <summary>
    /// One job, task or command id as every Tractor verb reads it: ASCII digits only (no sign, space or separator), a
    /// whole number above 0 (<see cref="Core.Text.ValueText.IsId"/>, the native API's and the command line's rule too). The one parser of ids under /Tractor/, lists (<see cref="IdList"/>) included.
    /// </summary>
    public static bool IsId(string? text, out long value) => Core.Text.ValueText.IsId(text, out value);

    /// <summary>
    /// A comma-joined list of ids (`51,52`, each read by <see cref="IsId"/>; no empty item, space or other separator), or
    /// null with <paramref name="problem"/> naming the bad item.
    /// </summary>
    public static List<long>? IdList(string name, string text, out string? problem)
    {
        problem = null;
        var ids = new List<long>();
        foreach (var part in text.Split(','))
        {
            if (!IsId(part, out var id))
            {
                problem = $"bad {name} '{TractorCall.Shown(part)}' in {name}={TractorCall.Shown(text)}: expected whole numbers above 0, comma-joined";
                return null;
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>Parameter <paramref name="name"/> as one id (<see cref="IsId"/>); a 400 naming it when it is missing or not one.</summary>
    public static TractorReply? Id(TractorCall call, string name, out long value)
    {
        var text = call.Get(name);
        if (IsId(text, out value))
            return null;
        return TractorReply.Error(StatusCodes.Status400BadRequest, text is null
            ? $"monitor?q={call.Q} needs {name}= (a whole number)"
            : $"bad {name} '{TractorCall.Shown(text)}' for monitor?q={call.Q}: expected a whole number above 0");
    }

    /// <summary>The `jid` and `tid` parameters; a 400 naming the first missing or bad one.</summary>
    public static TractorReply? TaskIds(TractorCall call, out long jid, out int tid)
    {
        tid = 0;
        if (Id(call, "jid", out jid) is { } badJid)
            return badJid;
        if (Id(call, "tid", out var t) is { } badTid)
            return badTid;
        if (t > int.MaxValue)
            return TractorReply.Error(StatusCodes.Status400BadRequest, $"bad tid '{t}' for monitor?q={call.Q}: no task has so large an id");
        tid = (int)t;
        return null;
    }

    /// <summary>A 404 (naming the job or task) when the caller sees no task <paramref name="tid"/> of job <paramref name="jid"/>; else null.</summary>
    public static async Task<TractorReply?> TaskExistsAsync(TractorCall call, long jid, int tid)
    {
        var (job, error) = await JobInfo.ReadAsync(call, jid).ConfigureAwait(false);
        if (error is not null)
            return error;
        var found = false;
        error = await EachRowAsync(call, "tasks", ["tid"], $"jid={jid} and tid={tid}", _ => found = true).ConfigureAwait(false);
        return error ?? (found ? null : TractorReply.Error(StatusCodes.Status404NotFound, $"job {job!.Jid} has no task {tid}"));
    }

    /// <summary>
    /// A 501 for `filter=`: Tractor's dashboard filters are files saved by its dashboard, which Furrow has not;
    /// answering without the filter would list what was not asked for.
    /// </summary>
    public static TractorReply? RefuseFilter(TractorCall call) => call.Get("filter") is { Length: > 0 } filter
        ? TractorReply.Error(StatusCodes.Status501NotImplemented,
            $"Furrow does not serve monitor?q={call.Q}&filter={filter}: it keeps no dashboard filters; list without filter= " +
            "or search with /Tractor/db (tractorselect) or tq")
        : null;

    /// <summary>Unix milliseconds (a column query's time) as whole Unix seconds; null stays null.</summary>
    public static long? Seconds(object? ms) => ms is null ? null : Convert.ToInt64(ms, CultureInfo.InvariantCulture) / 1000;

    /// <summary>Bytes as GB (2^30 bytes); null stays null.</summary>
    public static double? Gigabytes(object? bytes) => bytes is null ? null : Convert.ToDouble(bytes, CultureInfo.InvariantCulture) / (1L << 30);

    /// <summary>Writes a value read by <see cref="ColumnRow.ToDictionary"/> (or a number, string, bool, list or null) as JSON.</summary>
    public static void WriteValue(Utf8JsonWriter w, string name, object? value)
    {
        w.WritePropertyName(name);
        WriteValue(w, value);
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case double d when double.IsFinite(d):
                w.WriteNumberValue(d);
                break;
            case double:
                w.WriteNullValue();
                break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list)
                    WriteValue(w, item);
                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}

/// <summary>One row of a native column query's reply: its values in the order the columns were asked for.</summary>
internal readonly struct ColumnRow(JsonElement values, Dictionary<string, int> names)
{
    /// <summary>Column name to position.</summary>
    public static Dictionary<string, int> Index(string[] columns) =>
        columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);

    /// <summary>The value of column <paramref name="name"/>.</summary>
    public JsonElement this[string name] => values[names[name]];

    /// <summary>
    /// The row as CLR values that outlive the reply: whole numbers as long, others as double, strings, bools, lists as
    /// List&lt;object?&gt;, null.
    /// </summary>
    public Dictionary<string, object?> ToDictionary()
    {
        var result = new Dictionary<string, object?>(names.Count, StringComparer.Ordinal);
        foreach (var (name, at) in names)
            result[name] = Value(values[at]);
        return result;
    }

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(Value).ToList(),
        _ => null,
    };
}
