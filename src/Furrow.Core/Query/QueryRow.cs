namespace Furrow.Core.Query;

/// <summary>A row being tested: hands out column values by canonical schema name (or `table.column` for dot notation).</summary>
public interface IQueryRow
{
    /// <summary>The column's value, or <see cref="QueryValue.Null"/> when the row has none.</summary>
    QueryValue Get(string column);
}

/// <summary>Ready-made <see cref="IQueryRow"/> adapters for callers that already hold rows as dictionaries.</summary>
public static class QueryRow
{
    public static IQueryRow From(IReadOnlyDictionary<string, object?> values) => new ObjectRow(values);

    public static IQueryRow From(IReadOnlyDictionary<string, QueryValue> values) => new ValueRow(values);

    private sealed class ObjectRow(IReadOnlyDictionary<string, object?> values) : IQueryRow
    {
        public QueryValue Get(string column) =>
            values.TryGetValue(column, out var v) ? QueryValue.FromObject(v) : QueryValue.Null;
    }

    private sealed class ValueRow(IReadOnlyDictionary<string, QueryValue> values) : IQueryRow
    {
        public QueryValue Get(string column) => values.TryGetValue(column, out var v) ? v : QueryValue.Null;
    }
}
