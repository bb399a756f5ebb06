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
/// A NULL limit is the param row `maxrecords` as Tractor has it: the native listing's default page,
/// <see cref="ListPage.DefaultSize"/> rows; when more rows match, the reply's msg says so (<see cref="MaxRecordsMessage"/>).
/// 0 is no limit (every page is read). A bad clause, column or sort answers 400 with `rows` as a
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
                    $"Furrow does not serve TractorJobDump (db?q={Shorten(q)}): read the job's script with GET /api/v1/jobs/JID/script and its tasks with GET /api/v1/tasks?jid=JID");
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

        if (pick is not null)
            return await ParamsAsync(call, select, where, asked, pick).ConfigureAwait(false);

        // The native reply is asked for in Tractor's shape ({"rc": 0, "msg": "", "rows": [{...}]}), written once as the rows
        // are read and handed over in the memory it was written to: a select of one page is sent as it came, and pages are
        // joined without re-writing or copying rows.
        long offset = 0;
        long remaining = select.Limit is > 0 and var l ? l : long.MaxValue;
        var cut = false;
        using var rows = new TractorRows();
        call.Context.Items[ColumnTableReply.TractorRowsKey] = rows;
        try
        {
            while (true)
            {
                var native = await call.NativeAsync("QueryColumns", NativeQuery(select, where, asked, remaining, offset),
                    new RouteValueDictionary { ["table"] = schema.PluralName }).ConfigureAwait(false);
                if (native.Status == StatusCodes.Status400BadRequest)
                    return Refused(where, native.Message);
                if (!native.Ok)
                    return TractorReply.Error(native.Status, native.Message);
                var page = rows.Pages[^1];
                // NULL is one page, the native default; a limit or 0 reads on while the native listing has more.
                var last = select.Limit is null || !page.More || page.Returned == 0 || remaining - page.Returned <= 0;
                cut = select.Limit is null && page.More;
                remaining -= page.Returned;
                offset += page.Returned;
                if (last)
                    break;
            }
        }
        finally
        {
            call.Context.Items.Remove(ColumnTableReply.TractorRowsKey);
        }
        var pages = rows.TakePages();
        void ReleaseAll()
        {
            foreach (var page in pages)
                page.Release();
        }
        if (pages.Count == 1 && !cut)
            return TractorReply.Pieces([pages[0].Body], ReleaseAll);
        // A NULL limit that left rows behind says so (Tractor's maxrecords), never cuts silently.
        var pieces = new List<ReadOnlySequence<byte>>
        {
            new(cut ? Encoding.UTF8.GetBytes($"{{\"rc\":0,\"msg\":\"{MaxRecordsMessage}\",\"rows\":[") : ColumnTableReply.TractorHead.ToArray()),
        };
        foreach (var page in pages.Where(p => p.RowsEnd > p.RowsStart))
        {
            if (pieces.Count > 1)
                pieces.Add(new ReadOnlySequence<byte>(","u8.ToArray()));
            pieces.Add(page.Body.Slice(page.RowsStart, page.RowsEnd - page.RowsStart));
        }
        pieces.Add(new ReadOnlySequence<byte>(ColumnTableReply.TractorTail.ToArray()));
        return TractorReply.Pieces(pieces, ReleaseAll);
    }

    /// <summary>The msg of a NULL-limit reply that stopped at maxrecords rows with more matching.</summary>
    public static string MaxRecordsMessage { get; } =
        $"stopped at maxrecords ({ListPage.DefaultSize} rows) and more match: give a limit, or 0 for every row";

    private static List<KeyValuePair<string, string?>> NativeQuery(TractorSelectCall select, string where, IReadOnlyList<string> asked, long remaining, long offset)
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
        return query;
    }

    // The params table: the native listing always answers name and value (a handful of rows), in that order; the columns
    // asked for are picked from those here, at most the limit of them.
    private static async Task<TractorReply> ParamsAsync(TractorCall call, TractorSelectCall select, string where, IReadOnlyList<string> asked, int[] pick)
    {
        var keys = asked.Select(k => JsonEncodedText.Encode(k)).ToArray();
        var most = select.Limit is > 0 and var l ? l : long.MaxValue;
        var rows = new List<string?[]>();
        var failure = await MonitorParams.EachRowAsync(call, select.Schema.PluralName, ["name", "value"], where, row =>
        {
            if (rows.Count < most)
                rows.Add([row["name"].GetString(), row["value"].GetString()]);
        }, select.Sort.Length > 0 ? select.Sort : null).ConfigureAwait(false);
        if (failure is not null)
            return failure.Status == StatusCodes.Status400BadRequest ? Refused(where, failure.Message) : failure;
        return TractorReply.Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("rc", 0);
            writer.WriteString("msg", "");
            writer.WriteStartArray("rows");
            foreach (var row in rows)
            {
                writer.WriteStartObject();
                for (var i = 0; i < keys.Length; i++)
                    writer.WriteString(keys[i], row[pick[i]]);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    // Tractor's failed select: rows is a text (a traceback on Tractor's engine) whose last line is the message its
    // clients print (EngineClient.dbexec); rc and the status say it failed.
    private static TractorReply Refused(string where, string message) => TractorReply.Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("rc", StatusCodes.Status400BadRequest);
        w.WriteString("msg", message);
        w.WriteString("rows", $"tractorselect refused{(where.Length == 0 ? "" : $" (the search '{Shorten(where).ReplaceLineEndings(" ")}')")}:\n{message.ReplaceLineEndings(" ")}");
        w.WriteEndObject();
    }, StatusCodes.Status400BadRequest);

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
