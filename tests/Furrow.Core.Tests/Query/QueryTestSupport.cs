using Furrow.Core.Query;

namespace Furrow.Core.Tests.Query;

/// <summary>Shared fixtures: a fixed clock, a fixed user, and rows built from name/value pairs.</summary>
internal static class QueryTestSupport
{
    public static readonly DateTimeOffset Now = new(2025, 3, 20, 15, 30, 0, TimeSpan.Zero);

    public static QueryContext Context(TimeZoneInfo? zone = null) => new("bob", Now, zone);

    public static IQueryRow Row(params (string Column, object? Value)[] cells) =>
        QueryRow.From(cells.ToDictionary(c => c.Column, c => c.Value));

    public static CompiledQuery Compile(string clause, QueryTable table, QueryContext? context = null)
    {
        var result = TractorQuery.Parse(clause, table, context ?? Context());
        Assert.True(result.Success, result.Error?.Message);
        return result.Query;
    }

    public static QueryError Fail(string clause, QueryTable table, QueryContext? context = null)
    {
        var result = TractorQuery.Parse(clause, table, context ?? Context());
        Assert.False(result.Success, $"'{clause}' parsed as {result.Query}");
        return result.Error;
    }
}
