using Furrow.Core.Query;
using Furrow.Engine.Farm;
using Furrow.Storage;
using Furrow.Storage.Queries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Api;

/// <summary>
/// `GET /api/v1/query/{table}`: any columns of any listing, by Tractor's names (tq's `-c`). The reply is
/// <c>{"table": "jobs", "columns": [{"name": "jid", "type": "int"}, ...], "rows": [[1, ...], ...], "next": null}</c>:
/// each row's values in the columns' order; times are Unix milliseconds, lists are arrays, a value the row lacks is null.
/// Parameters: `cols` (comma-separated names, aliases and `table.column`), `q`, `sortby`, `limit`, `offset`, `archived=1`,
/// `user` (for `mine`), `jid`, and `distinct=1` (each different row once, in first-seen order, before the limit). A reply
/// is one page (<see cref="ListPage"/>); its <c>"next"</c> is the next page's URL, or null after the last.
/// </summary>
internal static class ColumnQueryEndpoints
{
    // Values only the scheduler holds, listed beside the database's: why a task waits; a blade's slots in use
    // and clock skew. They can be listed, not searched.
    private static readonly Dictionary<QueryTable, (string Name, QueryColumnType Type)[]> Extras = new()
    {
        [QueryTable.Tasks] = [("why", QueryColumnType.String)],
        [QueryTable.Blades] = [("inuse", QueryColumnType.Int), ("clockskew", QueryColumnType.Float)],
    };

    /// <summary>Maps the query group under <paramref name="v1"/>.</summary>
    public static void MapColumnQueryApi(this IEndpointRouteBuilder v1) =>
        v1.MapGroup("/query").WithTags("Query")
            .MapGet("/{table}", QueryAsync).WithName("QueryColumns").WithQueryParameters(QueryParameters.ColumnQuery)
            .Produces<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK, "application/json").Produces(StatusCodes.Status304NotModified).Errors(400)
            .WithPathValues("table", "jobs", "tasks", "commands", "invocations", "blades", "params")
            .WithSummary("Chosen columns of jobs, tasks, commands, invocations, blades or params (tq's -c), a page at a time.")
            .WithDescription("The reply is {\"table\", \"columns\": [{\"name\", \"type\"}], \"rows\": [[...]], \"next\"}: each row's values in " +
                "the columns' order (times in Unix ms, lists as arrays, null where a row has none); `next` is the next page's URL " +
                "(also in a Link header), or null after the last.");

    private static async Task<IResult> QueryAsync(string table, HttpContext context, IJobStore store, LiveFarm farm, QueueRows rows,
        ListingETags tags, TimeProvider clock, CancellationToken ct)
    {
        if (!QuerySchema.TryGet(table, out var schema) || schema.Table is QueryTable.Notes)
            return ApiResults.BadRequest($"unknown table '{table}': expected jobs, tasks, commands, invocations, blades or params");
        if (schema.Table == QueryTable.Params)
            return await ParamsAsync(context, store, tags, clock, ct);
        var colsText = context.Request.Query["cols"].FirstOrDefault() ?? "";
        if (Core.Text.ValueText.MissingItem(colsText) is { } missing)
            return ApiResults.BadRequest($"cols '{colsText}': {missing} (expected column names, separated by commas, e.g. cols=jid,owner,title)");
        var names = colsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
            return ApiResults.BadRequest("cols names no column: give one or more, separated by commas (e.g. cols=jid,owner,title)");
        var columns = new List<Column>();
        foreach (var name in names)
        {
            var extra = Extras.GetValueOrDefault(schema.Table)?.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
            if (extra is { Name: not null } found)
            {
                columns.Add(new Column(name.ToLowerInvariant(), found.Name, found.Type, IsExtra: true));
                continue;
            }
            if (TractorQuery.ResolveColumn(schema.Table, name, out var key, out var column) is { } error)
            {
                var hint = error.Hint ?? (TractorQuery.Suggest(name, Extras.GetValueOrDefault(schema.Table)?.Select(e => e.Name) ?? []) is { } s
                    ? $"did you mean '{s}'?" : null);
                return ApiResults.BadRequest($"bad column: {error.Problem}{(hint is null ? "" : $" ({hint})")}");
            }
            columns.Add(new Column(name.ToLowerInvariant(), key, column.Type, IsExtra: false));
        }
        if (QueueEndpoints.ReadListQuery(context, schema.Table, clock, out var page) is { } problem)
            return problem;
        var tag = tags.Of(context, schema.Table);
        if (tag.IsKnownTo(context.Request))
            return tag.NotModified(context.Response);
        var distinct = context.Request.Query["distinct"] == "1";
        // Tractor's rows are keyed by the names as the caller wrote them (Job.owner), the native columns by their lower-case form.
        var tractor = context.Items.TryGetValue(ColumnTableReply.TractorRowsKey, out var asked) ? asked as TractorRows : null;
        var tractorRows = tractor is not null;
        using var reply = new ColumnTableReply(schema.PluralName, columns.Select((c, i) => (tractorRows ? names[i] : c.Name, c.Type)), page.Limit!.Value,
            tractorRows);
        if (distinct)
        {
            // Distinct rows are told apart here, so all are read and the page is cut after.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var values = await ValuesAsync(store, farm, rows, schema.Table, columns, page with { Limit = null, Offset = 0 }, ct);
            foreach (var row in values.Where(v => seen.Add(string.Join('\u001f', v.Select(x => $"{x.Kind}:{x.ToText()}")))).Skip(page.Offset))
            {
                reply.Add(row);
                if (reply.More)
                    break;
            }
        }
        else if (schema.Table == QueryTable.Blades || columns.Any(c => c.IsExtra))
        {
            foreach (var row in await ValuesAsync(store, farm, rows, schema.Table, columns, ListPage.Probe(page), ct))
                reply.Add(row);
        }
        else
        {
            // The common listing: each row goes from the database's reader into the reply, and nothing is kept per row.
            var stored = columns.Select(c => (c.Key, new QueryColumn(c.Key, c.Type))).ToList();
            await store.ReadColumnsAsync(schema.Table, stored, ListPage.Probe(page), reply.Add, ct);
        }
        tag.WriteTo(context.Response);
        var next = ListPage.LinkNext(context, page, reply.Returned, reply.More);
        if (tractor is not null)
            await reply.HandOverAsync(tractor, next is not null, ct);
        else
            await reply.SendAsync(context.Response, next, ct);
        return Results.Empty;
    }

    private static Task<List<QueryValue[]>> ValuesAsync(IJobStore store, LiveFarm farm, QueueRows rows, QueryTable table, List<Column> columns,
        ListQuery query, CancellationToken ct) =>
        table == QueryTable.Blades ? BladeValuesAsync(rows, columns, query, ct) : StoreValuesAsync(store, farm, table, columns, query, ct);

    private sealed record Column(string Name, string Key, QueryColumnType Type, bool IsExtra);

    // The params table (the job counter and other engine settings kept in the database): name and value, searched, sorted
    // and paged here (a handful of rows).
    private static async Task<IResult> ParamsAsync(HttpContext context, IJobStore store, ListingETags tags, TimeProvider clock, CancellationToken ct)
    {
        if (QueueEndpoints.ReadListQuery(context, QueryTable.Params, clock, out var page) is { } problem)
            return problem;
        var tag = tags.Of(context, QueryTable.Params);
        if (tag.IsKnownTo(context.Request))
            return tag.NotModified(context.Response);
        // maxrecords (Tractor's): how many rows a query with no limit (tractorselect's NULL) gives; the engine's, not stored.
        var rows = (await store.ListParamsAsync(ct)).Select(p => (p.Name, p.Value))
            .Append(("maxrecords", ListPage.DefaultSize.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Select(p => QueryRow.From(new Dictionary<string, object?> { ["name"] = p.Item1, ["value"] = p.Item2 }))
            .Where(row => page.Where?.Root.Evaluate(row) ?? true)
            .ToList();
        if (page.Sort is { } sort)
            rows.Sort(sort);
        using var reply = new ColumnTableReply("params", [("name", QueryColumnType.String), ("value", QueryColumnType.String)], page.Limit!.Value);
        foreach (var row in rows.Skip(page.Offset).Take(page.Limit!.Value + 1))
            reply.Add([row.Get("name"), row.Get("value")]);
        tag.WriteTo(context.Response);
        var next = ListPage.LinkNext(context, page, reply.Returned, reply.More);
        await reply.SendAsync(context.Response, next, ct);
        return Results.Empty;
    }

    private static async Task<List<QueryValue[]>> StoreValuesAsync(IJobStore store, LiveFarm farm, QueryTable table, List<Column> columns,
        ListQuery query, CancellationToken ct)
    {
        // A task's extras need its ids, read as two more columns after the asked-for ones.
        var stored = columns.Where(c => !c.IsExtra).Select(c => (c.Key, new QueryColumn(c.Key, c.Type))).ToList();
        var needsIds = columns.Any(c => c.IsExtra);
        if (needsIds)
            stored.AddRange([("jid", new QueryColumn("jid", QueryColumnType.Int)), ("tid", new QueryColumn("tid", QueryColumnType.Int))]);
        var read = await store.QueryColumnsAsync(table, stored, query, ct);
        var views = needsIds ? farm.TaskViews(read.Select(r => (r[^2].AsInt, (int)r[^1].AsInt))) : null;
        var result = new List<QueryValue[]>(read.Count);
        foreach (var row in read)
        {
            var at = 0;
            var values = new QueryValue[columns.Count];
            var view = views?.GetValueOrDefault((row[^2].AsInt, (int)row[^1].AsInt));
            for (var i = 0; i < columns.Count; i++)
            {
                values[i] = columns[i].IsExtra ? QueryValue.From(view?.WhyWaiting) : row[at++];
            }
            result.Add(values);
        }
        return result;
    }

    private static async Task<List<QueryValue[]>> BladeValuesAsync(QueueRows rows, List<Column> columns, ListQuery query, CancellationToken ct)
    {
        var blades = await rows.BladeRowsAsync(query, ct);
        return blades.Select(b => columns.Select(c => c.Key switch
        {
            "inuse" => QueryValue.From((long)b.Row.SlotsInUse),
            "clockskew" => b.Row.ClockSkewMs is { } skew ? QueryValue.From(skew / 1000.0) : QueryValue.Null,
            _ => b.Query.Get(c.Key),
        }).ToArray()).ToList();
    }
}
