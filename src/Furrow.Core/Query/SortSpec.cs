using System.Diagnostics.CodeAnalysis;

namespace Furrow.Core.Query;

/// <summary>One `--sortby` key: the row key to read and the direction.</summary>
public sealed record SortKey(string Key, QueryColumn Column, bool Descending);

/// <summary>A parsed `--sortby` list such as `priority,-spooltime`; compares rows key by key.</summary>
public sealed class SortSpec : IComparer<IQueryRow>
{
    private SortSpec(IReadOnlyList<SortKey> keys) => Keys = keys;

    public IReadOnlyList<SortKey> Keys { get; }

    /// <summary>
    /// Parses columns separated by commas or spaces; a leading `-` sorts that column descending (`+` is accepted
    /// for ascending). Aliases and dot notation resolve as in clauses. An empty list leaves rows in their order.
    /// </summary>
    public static SortParseResult Parse(string spec, QueryTable table)
    {
        ArgumentNullException.ThrowIfNull(spec);
        // A comma with no column on one side is a slip, not a separator (Text.ValueText.MissingItem, every list's rule).
        if (Text.ValueText.MissingItem(spec) is { } missing)
            return SortParseResult.Failed(new QueryError(1, spec, $"sort '{spec}': {missing} (expected column names, each with - for descending)"));
        var schema = QuerySchema.For(table);
        var keys = new List<SortKey>();
        var i = 0;
        while (i < spec.Length)
        {
            if (spec[i] == ',' || char.IsWhiteSpace(spec[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < spec.Length && spec[i] != ',' && !char.IsWhiteSpace(spec[i]))
                i++;
            var item = spec[start..i];
            var descending = item[0] == '-';
            var name = item[0] is '-' or '+' ? item[1..] : item;
            var nameColumn = start + 1 + (item.Length - name.Length);
            if (name.Length == 0)
                return SortParseResult.Failed(new QueryError(start + 1, item, $"expected a column name after '{item}'"));
            if (QueryNames.Resolve(schema, name, nameColumn, null, out var key, out var column) is { } unknown)
                return SortParseResult.Failed(unknown);
            keys.Add(new SortKey(key, column, descending));
        }

        return SortParseResult.Succeeded(new SortSpec(keys));
    }

    /// <summary>Orders as PostgreSQL does by default: nulls sort after every value when ascending, first when descending.</summary>
    public int Compare(IQueryRow? x, IQueryRow? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        foreach (var key in Keys)
        {
            var order = CompareValues(x.Get(key.Key), y.Get(key.Key));
            if (order != 0)
                return key.Descending ? -order : order;
        }

        return 0;
    }

    private static int CompareValues(QueryValue a, QueryValue b)
    {
        if (a.IsNull || b.IsNull)
            return a.IsNull == b.IsNull ? 0 : a.IsNull ? 1 : -1;
        if (a.IsList || b.IsList)
            return string.CompareOrdinal(a.ToText(), b.ToText());
        return QueryCompare.Compare(a, b) ?? 0;
    }
}

/// <summary>Outcome of <see cref="SortSpec.Parse"/>: a sort or an error, never both.</summary>
public sealed class SortParseResult
{
    private SortParseResult(SortSpec? sort, QueryError? error)
    {
        Sort = sort;
        Error = error;
    }

    public SortSpec? Sort { get; }

    public QueryError? Error { get; }

    [MemberNotNullWhen(true, nameof(Sort))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Sort is not null;

    internal static SortParseResult Succeeded(SortSpec sort) => new(sort, null);

    internal static SortParseResult Failed(QueryError error) => new(null, error);
}
