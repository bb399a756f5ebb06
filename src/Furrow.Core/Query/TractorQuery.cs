using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Furrow.Core.Query;

/// <summary>Entry point for Tractor search clauses (`tq jobs mine and not done`, the `where` of `tractorselect`).</summary>
public static class TractorQuery
{
    /// <summary>
    /// How deep parentheses and `not` may nest in a clause. Real clauses nest a few levels; every level is a frame of the
    /// parser and of each compiler of the tree, so a clause of 50,000 `not`s or parentheses (a form body to Tractor's
    /// URLs holds one) would otherwise end the engine's process.
    /// </summary>
    public const int MaxDepth = 100;

    /// <summary>How many tests (comparisons, `like`, `in`, truth tests) one clause may hold, its aliases' included.</summary>
    public const int MaxTests = 2_000;

    /// <summary>How many values one `in [...]` list may hold (an operation's jid list is one).</summary>
    public const int MaxListItems = 20_000;

    /// <summary>Parses and compiles <paramref name="clause"/> for <paramref name="table"/>; an empty clause matches every row.</summary>
    public static QueryParseResult Parse(string clause, QueryTable table, QueryContext context)
    {
        ArgumentNullException.ThrowIfNull(clause);
        ArgumentNullException.ThrowIfNull(context);
        var schema = QuerySchema.For(table);
        var columns = new HashSet<string>(StringComparer.Ordinal);
        var node = QueryParser.Parse(clause, schema, context, columns, out var error);
        return node is null
            ? QueryParseResult.Failed(error ?? new QueryError(1, clause, "invalid clause"))
            : QueryParseResult.Succeeded(new CompiledQuery(node, schema, clause, columns));
    }

    /// <summary>
    /// Resolves a column name as a clause would (aliases, dot notation, a job column on a task search), for `-c` lists:
    /// null and the row key and column, or the error (an unknown name with the closest one, or a column Furrow does not keep).
    /// </summary>
    public static QueryError? ResolveColumn(QueryTable table, string name, out string key, out QueryColumn column) =>
        QueryNames.Resolve(QuerySchema.For(table), name, 1, null, out key, out column);

    /// <summary>
    /// Reads a time as clauses do: relative (`+1h`, `-30m`), wall clock in the context's zone (`10pm`, `3/15|4pm`), ISO 8601,
    /// or Unix seconds. False when the text is none of these.
    /// </summary>
    public static bool TryParseTime(string text, QueryContext context, out DateTimeOffset time) =>
        QueryLiterals.TryParseTime(text, context, out time);

    /// <summary>The closest of <paramref name="candidates"/> to a mistyped <paramref name="name"/>, within a small edit distance; or null.</summary>
    public static string? Suggest(string name, IEnumerable<string> candidates) => QueryNames.Suggest(name, candidates);

    /// <summary>
    /// Joins command-line words into one clause. The shell has already removed the quotes users put around parts
    /// such as <c>"priority >= 400"</c>, so the words are simply joined with spaces.
    /// </summary>
    public static string JoinArguments(IEnumerable<string> words) => string.Join(' ', words);
}

/// <summary>A clause ready to test rows.</summary>
public sealed class CompiledQuery
{
    private readonly QueryNode _root;

    internal CompiledQuery(QueryNode root, QuerySchema schema, string clause, IReadOnlyCollection<string> columns)
    {
        _root = root;
        Schema = schema;
        Clause = clause;
        Columns = columns;
    }

    public QuerySchema Schema { get; }

    /// <summary>The parsed clause, for a store to translate; <see cref="QueryNode.Evaluate"/> is its meaning.</summary>
    public QueryNode Root => _root;

    /// <summary>The clause as given.</summary>
    public string Clause { get; }

    /// <summary>Row keys the clause reads, so a caller can fill only those.</summary>
    public IReadOnlyCollection<string> Columns { get; }

    public bool Matches(IQueryRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return _root.Evaluate(row);
    }

    /// <summary>Fully parenthesised canonical form, e.g. <c>((owner = 'bob') and (not stoptime))</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        _root.Render(sb);
        return sb.ToString();
    }
}

/// <summary>Outcome of <see cref="TractorQuery.Parse"/>: a compiled query or an error, never both.</summary>
public sealed class QueryParseResult
{
    private QueryParseResult(CompiledQuery? query, QueryError? error)
    {
        Query = query;
        Error = error;
    }

    public CompiledQuery? Query { get; }

    public QueryError? Error { get; }

    [MemberNotNullWhen(true, nameof(Query))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Query is not null;

    internal static QueryParseResult Succeeded(CompiledQuery query) => new(query, null);

    internal static QueryParseResult Failed(QueryError error) => new(null, error);
}
