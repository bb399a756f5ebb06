using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>`--sortby` lists.</summary>
public sealed class SortSpecTests
{
    private static SortSpec Sort(string spec, QueryTable table = QueryTable.Jobs)
    {
        var result = SortSpec.Parse(spec, table);
        Assert.True(result.Success, result.Error?.Message);
        return result.Sort;
    }

    [Fact]
    public void Sort_AscendingThenDescending_OrdersByEachKey()
    {
        var rows = new[]
        {
            Row(("jid", 1L), ("priority", 100.0), ("spooltime", Now.AddHours(-3))),
            Row(("jid", 2L), ("priority", 50.0), ("spooltime", Now.AddHours(-1))),
            Row(("jid", 3L), ("priority", 100.0), ("spooltime", Now.AddHours(-2))),
            Row(("jid", 4L), ("priority", 50.0), ("spooltime", Now.AddHours(-5))),
        };

        var sorted = rows.Order(Sort("priority,-spooltime")).Select(r => r.Get("jid").AsInt);

        Assert.Equal([2L, 4L, 3L, 1L], sorted);
    }

    [Fact]
    public void Sort_AliasesAndSpaces_Resolve()
    {
        var sort = Sort(" -pri  user ");

        Assert.Equal(["priority", "owner"], sort.Keys.Select(k => k.Key));
        Assert.True(sort.Keys[0].Descending);
        Assert.False(sort.Keys[1].Descending);
    }

    [Fact]
    public void Sort_Nulls_GoLastAscendingAndFirstDescending()
    {
        var rows = new[] { Row(("jid", 1L)), Row(("jid", 2L), ("title", "b")), Row(("jid", 3L), ("title", "a")) };

        Assert.Equal([3L, 2L, 1L], rows.Order(Sort("title")).Select(r => r.Get("jid").AsInt));
        Assert.Equal([1L, 2L, 3L], rows.Order(Sort("-title")).Select(r => r.Get("jid").AsInt));
    }

    [Fact]
    public void Sort_StringsAreOrdinal_NumbersNumeric()
    {
        var rows = new[] { Row(("name", "b"), ("numcpu", 10L)), Row(("name", "B"), ("numcpu", 9L)) };

        Assert.Equal("B", rows.Order(Sort("name", QueryTable.Blades)).First().Get("name").AsString);
        Assert.Equal(9L, rows.Order(Sort("cores", QueryTable.Blades)).First().Get("numcpu").AsInt);
    }

    [Fact]
    public void Sort_Empty_KeepsOrder()
    {
        Assert.Empty(Sort("").Keys);
        Assert.Equal(0, Sort("").Compare(Row(("jid", 2L)), Row(("jid", 1L))));
    }

    [Fact]
    public void Sort_UnknownColumn_NamesTokenAndColumn()
    {
        var result = SortSpec.Parse("priority,-spooltiem", QueryTable.Jobs);

        Assert.False(result.Success);
        Assert.Equal(11, result.Error.Column);
        Assert.Equal("spooltiem", result.Error.Token);
        Assert.Equal("unknown attribute 'spooltiem' for jobs at column 11 (did you mean 'spooltime'?)", result.Error.Message);
    }

    [Fact]
    public void Sort_DashAlone_IsAnError()
    {
        var result = SortSpec.Parse("jid, -", QueryTable.Jobs);

        Assert.False(result.Success);
        Assert.Equal(6, result.Error.Column);
        Assert.Equal("expected a column name after '-' at column 6", result.Error.Message);
    }

    [Theory]
    [InlineData(",jid,", "it starts with a comma")]
    [InlineData("jid,,title", "it has two commas with nothing between them")]
    [InlineData("jid,", "it ends with a comma")]
    public void Sort_ACommaWithNoColumnBesideIt_IsAnError(string spec, string why)
    {
        var result = SortSpec.Parse(spec, QueryTable.Jobs);

        Assert.False(result.Success);
        Assert.Equal(spec, result.Error.Token);
        Assert.StartsWith($"sort '{spec}': {why}", result.Error.Message);
    }
}
