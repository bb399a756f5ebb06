using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Furrow.Core.Query;
using Furrow.Engine.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/db` (TRACTOR-PROTOCOL §4a-§4c): the query API's and tq's
/// <c>tractorselect('TABLE', 'WHERE', 'COLS', 'SORT', LIMIT, 't'|'f', 'ALIASES')</c>, answered by the native column query
/// ("QueryColumns", GET /api/v1/query/{table}) run as the caller and reshaped into Tractor's
/// <c>{"rc": 0, "msg": "", "rows": [{"COLUMN": value, ...}, ...]}</c>. Keys are the column names as asked (every column
/// Furrow keeps of the table when none are); times are text as Tractor's database renders a timestamp
/// (<c>2026-12-02 04:35:12.345+00</c>, in the engine's time zone), lists are arrays, a value a row lacks is null.
/// A NULL limit is the native listing's default page, <see cref="ListPage.DefaultSize"/> rows (Furrow's equivalent of the
/// param row `maxrecords`); 0 is no limit (every page is read). A bad clause, column or sort answers 400 with `rows` as a
/// text whose last line names the token, which is what EngineClient shows. Any other SQL, and TractorJobDump, is refused 501.
/// </summary>
internal static class TractorDb
{
    private static readonly string[] Served = ["tractorselect(...)"];

    /// <summary>Answers db?q=....</summary>
    public static async Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        var q = call.Q;
        if (!TractorSelectCall.IsCall(q))
        {
            if (q.TrimStart().StartsWith("TractorJobDump", StringComparison.OrdinalIgnoreCase))
            {
                return TractorReply.Error(StatusCodes.Status501NotImplemented,
                    $"Furrow does not serve TractorJobDump (db?q={Shorten(q)}): read the job with GET /api/v1/jobs/JID and its tasks with GET /api/v1/tasks?jid=JID");
            }
            return q.Length == 0
                ? call.UnknownQuery("db", Served)
                : TractorReply.Error(StatusCodes.Status501NotImplemented,
                    $"Furrow does not serve the Tractor query db?q={Shorten(q)}: it serves only tractorselect('table', 'where', 'columns', 'sort', limit, 'archive', 'aliases'), and runs no other SQL");
        }
        var parsed = TractorSelectCall.Parse(q);
        if (parsed.Error is { } error)
            return Refused("", $"bad tractorselect call: {error.Message}: '{error.Token}'");
        var select = parsed.Call!;
        var where = select.ExpandedWhere(out var aliasError);
        if (where is null)
            return Refused(select.Where, $"bad aliases: {aliasError!.Message}: '{aliasError.Token}'");
        return await SelectAsync(call, select, where).ConfigureAwait(false);
    }

    private static async Task<TractorReply> SelectAsync(TractorCall call, TractorSelectCall select, string where)
    {
        var schema = select.Schema;
        var asked = select.Columns.Count > 0 ? select.Columns : [.. schema.Columns.Where(c => c.Recorded).Select(c => c.Name)];
        // The native params listing always answers name and value; the columns asked for are picked from those here.
        int[]? pick = null;
        if (schema.Table == QueryTable.Params)
        {
            pick = new int[asked.Count];
            for (var i = 0; i < asked.Count; i++)
            {
                pick[i] = asked[i].ToLowerInvariant() switch
                {
                    "name" => 0,
                    "value" => 1,
                    _ => -1,
                };
                if (pick[i] < 0)
                    return Refused(where, $"bad column: unknown column '{asked[i]}' of params (expected name or value): '{asked[i]}'");
            }
        }

        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("rc", 0);
            writer.WriteString("msg", "");
            writer.WriteStartArray("rows");
            var keys = asked.Select(k => JsonEncodedText.Encode(k)).ToArray();
            long offset = 0;
            long remaining = select.Limit is > 0 and var l ? l : long.MaxValue;
            while (true)
            {
                var query = new List<KeyValuePair<string, string?>>
                {
                    new("cols", string.Join(',', asked)),
                    new("q", where),
                };
                if (select.Sort.Length > 0)
                    query.Add(new("sortby", select.Sort));
                if (select.Limit is not null)
                    query.Add(new("limit", (select.Limit == 0 ? 0 : Math.Min(remaining, ListPage.MaxSize)).ToString(CultureInfo.InvariantCulture)));
                if (offset > 0)
                    query.Add(new("offset", offset.ToString(CultureInfo.InvariantCulture)));
                if (select.Archive)
                    query.Add(new("archived", "1"));
                var native = await call.NativeAsync("QueryColumns", query, new RouteValueDictionary { ["table"] = schema.PluralName }).ConfigureAwait(false);
                if (native.Status == StatusCodes.Status400BadRequest)
                    return Refused(where, native.Message);
                if (!native.Ok)
                    return TractorReply.Error(native.Status, native.Message);
                var (returned, more) = CopyRows(native.Body, writer, keys, pick, remaining);
                remaining -= returned;
                offset += returned;
                // NULL is one page, the native default; a limit or 0 reads on while the native listing has more.
                if (select.Limit is null || !more || remaining <= 0 || returned == 0)
                    break;
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return new TractorReply(StatusCodes.Status200OK, buffer.WrittenSpan.ToArray());
    }

    // Reads one native page ({"columns": [{"name", "type"}], "rows": [[...]], "next"}) forward once and writes each row
    // as an object; at most `most` rows. Returns the rows written and whether the native listing has more.
    private static (long Returned, bool More) CopyRows(byte[] body, Utf8JsonWriter writer, JsonEncodedText[] keys, int[]? pick, long most)
    {
        var reader = new Utf8JsonReader(body);
        var isTime = new List<bool>();
        long returned = 0;
        var more = false;
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "columns":
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var type = "";
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var field = reader.GetString();
                            reader.Read();
                            if (field == "type")
                                type = reader.GetString() ?? "";
                        }
                        isTime.Add(type == "time");
                    }
                    break;
                case "rows":
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                    {
                        if (returned >= most)
                        {
                            reader.Skip();
                            more = true;
                            continue;
                        }
                        returned++;
                        if (pick is null)
                        {
                            writer.WriteStartObject();
                            var column = 0;
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                writer.WritePropertyName(keys[column]);
                                CopyValue(ref reader, writer, column < isTime.Count && isTime[column]);
                                column++;
                            }
                            writer.WriteEndObject();
                        }
                        else
                        {
                            // params: a handful of rows of two strings, picked by name.
                            var row = new List<string?>();
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                                row.Add(reader.TokenType == JsonTokenType.Null ? null : reader.GetString());
                            writer.WriteStartObject();
                            for (var i = 0; i < keys.Length; i++)
                                writer.WriteString(keys[i], row[pick[i]]);
                            writer.WriteEndObject();
                        }
                    }
                    break;
                case "next":
                    more |= reader.TokenType == JsonTokenType.String;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return (returned, more);
    }

    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer, bool time)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when time:
                writer.WriteStringValue(TimeText(reader.GetInt64()));
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped:
                writer.WriteStringValue(reader.ValueSpan);
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            case JsonTokenType.True or JsonTokenType.False:
                writer.WriteBooleanValue(reader.GetBoolean());
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    CopyValue(ref reader, writer, time: false);
                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>
    /// A time (Unix ms) as Tractor's database renders a timestamp with time zone: `YYYY-MM-DD HH:MM:SS[.fff]±HH[:MM]` in
    /// the engine's zone, the fraction without trailing zeros and left out when zero.
    /// </summary>
    internal static string TimeText(long unixMs)
    {
        var utc = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        var local = TimeZoneInfo.ConvertTime(utc, TimeZoneInfo.Local);
        var text = new StringBuilder(32);
        text.Append(local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        if (local.Millisecond != 0)
            text.Append('.').Append(local.Millisecond.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        var offset = local.Offset;
        text.Append(offset < TimeSpan.Zero ? '-' : '+').Append(Math.Abs(offset.Hours).ToString("00", CultureInfo.InvariantCulture));
        if (offset.Minutes != 0)
            text.Append(':').Append(Math.Abs(offset.Minutes).ToString("00", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    // Tractor's failed select: rows is a text (a traceback on Tractor's engine) whose last line is the message its
    // clients print (EngineClient.dbexec); rc and the status say it failed.
    private static TractorReply Refused(string where, string message) => TractorReply.Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("rc", StatusCodes.Status400BadRequest);
        w.WriteString("msg", message);
        w.WriteString("rows", $"tractorselect refused the search{(where.Length == 0 ? "" : $" '{Shorten(where).ReplaceLineEndings(" ")}'")}:\n{message.ReplaceLineEndings(" ")}");
        w.WriteEndObject();
    }, StatusCodes.Status400BadRequest);

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
