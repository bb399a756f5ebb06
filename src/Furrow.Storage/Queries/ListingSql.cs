using System.Globalization;
using Furrow.Core.Query;
using Furrow.Storage.Migrations;

namespace Furrow.Storage.Queries;

/// <summary>
/// Whole SELECT statements for tq's listings: the record columns the store's readers expect (in <see cref="StoreSql"/>'s
/// order), the joins the clause needs, the clause and sort from <see cref="QuerySql"/>, and the page.
/// </summary>
internal static class ListingSql
{
    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) Jobs(SqlDialect dialect, ListQuery query)
    {
        var columns = StoreSql.JobColumns.Replace("j.comment", query.WithComment ? "j.comment" : "NULL", StringComparison.Ordinal);
        // The task counts the job row keeps (schema 11), in JobRecord's TaskCounts order.
        return Build(new QuerySql(dialect, QueryTable.Jobs), query,
            $"SELECT {columns}, j.numtasks, j.numblocked, j.numready, j.numactive, j.numerror, j.numdone");
    }

    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) Tasks(SqlDialect dialect, ListQuery query) =>
        Build(new QuerySql(dialect, QueryTable.Tasks), query, $"SELECT {Prefixed(StoreSql.TaskColumns, "t")}, j.owner");

    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) Commands(SqlDialect dialect, ListQuery query) =>
        Build(new QuerySql(dialect, QueryTable.Commands), query, $"SELECT {Prefixed(StoreSql.CommandColumns, "c")}, j.owner");

    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) Invocations(SqlDialect dialect, ListQuery query) =>
        Build(new QuerySql(dialect, QueryTable.Invocations), query, $"SELECT {Prefixed(StoreSql.InvocationColumns, "i")}, j.owner");

    /// <summary>
    /// One row of sums over the job rows (<see cref="JobSummary"/>'s order): deleted jobs are counted apart and their tasks
    /// left out. No ORDER BY: PostgreSQL refuses one on a column outside the aggregates.
    /// </summary>
    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) JobSummary(SqlDialect dialect, Furrow.Core.Access.JobScope? scope)
    {
        var sql = new QuerySql(dialect, QueryTable.Jobs);
        const string Live = "j.deleted = 0";
        var text = "SELECT " +
            $"COALESCE(SUM(CASE WHEN {Live} THEN 1 ELSE 0 END), 0), " +
            $"COALESCE(SUM(CASE WHEN {Live} AND j.numactive > 0 THEN 1 ELSE 0 END), 0), " +
            $"COALESCE(SUM(CASE WHEN {Live} AND j.paused <> 0 THEN 1 ELSE 0 END), 0), " +
            $"COALESCE(SUM(CASE WHEN {Live} AND j.numerror > 0 THEN 1 ELSE 0 END), 0), " +
            $"COALESCE(SUM(CASE WHEN {Live} AND j.numtasks > 0 AND j.numdone = j.numtasks THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN j.deleted <> 0 THEN 1 ELSE 0 END), 0), " +
            string.Join(", ", new[] { "numtasks", "numblocked", "numready", "numactive", "numerror", "numdone" }
                .Select(c => $"COALESCE(SUM(CASE WHEN {Live} THEN j.{c} ELSE 0 END), 0)")) +
            " FROM jobs j";
        if (scope is not null)
            text += " WHERE " + sql.Scope(scope);
        return (text, sql.Parameters);
    }

    /// <summary>
    /// The values of the given columns (row keys as the clause language resolves them: `owner`, `job.priority`), one row
    /// per match, for tq's `-c` and the query API.
    /// </summary>
    public static (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) Columns(SqlDialect dialect, QueryTable table,
        IReadOnlyList<string> keys, ListQuery query)
    {
        var sql = new QuerySql(dialect, table);
        return Build(sql, query, "SELECT " + string.Join(", ", keys.Select(sql.Select)));
    }

    // Each listing's table with its job always joined (the owner, and deleted jobs left out), and the parent tables a clause
    // may name (a command's task; an invocation's task and command) joined only when it does.
    private static (string From, string JidColumn) Source(QueryTable table, IReadOnlyCollection<string> joined) => table switch
    {
        QueryTable.Jobs => ("jobs j", "j.jid"),
        QueryTable.Tasks => ("tasks t JOIN jobs j ON j.jid = t.jid", "t.jid"),
        QueryTable.Commands => ("commands c JOIN jobs j ON j.jid = c.jid" +
            (joined.Contains("task") ? " LEFT JOIN tasks t ON t.jid = c.jid AND t.tid = c.tid" : ""), "c.jid"),
        QueryTable.Invocations => ("invocations i JOIN jobs j ON j.jid = i.jid" +
            (joined.Contains("task") ? " LEFT JOIN tasks t ON t.jid = i.jid AND t.tid = i.tid" : "") +
            (joined.Contains("command") ? " LEFT JOIN commands c ON c.jid = i.jid AND c.cid = i.cid" : ""), "i.jid"),
        _ => throw new QueryRejectedException($"{table.ToString().ToLowerInvariant()} are not kept in the job database"),
    };

    private static (string, IReadOnlyList<(string, object?)>) Build(QuerySql sql, ListQuery query, string select)
    {
        var filters = new List<string>();
        if (!query.IncludeDeleted)
            filters.Add("j.deleted = 0");
        var jidColumn = Source(sql.Table, []).JidColumn;
        if (query.Jid is { } jid)
            filters.Add($"{jidColumn} = {sql.Parameter(jid)}");
        if (query.Scope is { } scope)
            filters.Add(sql.Scope(scope));
        if (query.Where is { } where)
            filters.Add(sql.Where(where.Root));
        var order = sql.OrderBy(query.Sort);
        var text = $"{select} FROM {Source(sql.Table, sql.Tables).From}";
        if (filters.Count > 0)
            text += " WHERE " + string.Join(" AND ", filters);
        text += " ORDER BY " + order;
        if (query.Limit is { } limit)
            text += " LIMIT " + sql.Parameter((long)Math.Max(0, limit));
        if (query.Offset > 0)
        {
            // SQLite takes OFFSET only after a LIMIT, where -1 means none.
            if (query.Limit is null && sql.Dialect == SqlDialect.Sqlite)
                text += " LIMIT -1";
            text += " OFFSET " + sql.Parameter((long)query.Offset);
        }
        return (text, sql.Parameters);
    }

    private static string Prefixed(string columns, string alias) =>
        string.Join(", ", columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"{alias}.{c}"));
}
