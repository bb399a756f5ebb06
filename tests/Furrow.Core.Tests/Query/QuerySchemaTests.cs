using Furrow.Core.Query;

namespace Furrow.Core.Tests.Query;

/// <summary>The per-table column lists and aliases.</summary>
public sealed class QuerySchemaTests
{
    [Theory]
    [InlineData("Job", QueryTable.Jobs)]
    [InlineData("jobs", QueryTable.Jobs)]
    [InlineData("TASK", QueryTable.Tasks)]
    [InlineData("command", QueryTable.Commands)]
    [InlineData("Invocation", QueryTable.Invocations)]
    [InlineData("blade", QueryTable.Blades)]
    [InlineData("param", QueryTable.Params)]
    [InlineData("note", QueryTable.Notes)]
    public void TryGet_TractorTableNames_AnyCase(string name, QueryTable table)
    {
        Assert.True(QuerySchema.TryGet(name, out var schema));
        Assert.Equal(table, schema.Table);
        Assert.Same(schema, QuerySchema.For(table));
    }

    [Fact]
    public void Columns_EndingInTime_AreTimes()
    {
        foreach (var schema in QuerySchema.All)
        {
            foreach (var column in schema.Columns)
                Assert.Equal(column.Name.EndsWith("time", StringComparison.Ordinal), column.Type == QueryColumnType.Time);
        }
    }

    [Fact]
    public void Aliases_PointAtExistingColumns()
    {
        foreach (var schema in QuerySchema.All)
        {
            foreach (var (alias, column) in schema.Aliases)
            {
                Assert.True(schema.TryResolve(alias, out var resolved), $"{schema.Name}.{alias}");
                Assert.Equal(column, resolved.Name);
            }
        }
    }

    [Theory]
    [InlineData(QueryTable.Jobs, "username", "owner")]
    [InlineData(QueryTable.Jobs, "cwd", "spoolcwd")]
    [InlineData(QueryTable.Jobs, "spooled", "spooltime")]
    [InlineData(QueryTable.Jobs, "ntasks", "numtasks")]
    [InlineData(QueryTable.Jobs, "jobid", "jid")]
    [InlineData(QueryTable.Jobs, "est", "esttotalsecs")]
    [InlineData(QueryTable.Commands, "retryrc", "retryrcodes")]
    [InlineData(QueryTable.Invocations, "wtime", "elapsedreal")]
    [InlineData(QueryTable.Blades, "availmem", "availmemory")]
    [InlineData(QueryTable.Blades, "disk", "availdisk")]
    public void TryResolve_Alias_GivesCanonicalColumn(QueryTable table, string alias, string column)
    {
        Assert.True(QuerySchema.For(table).TryResolve(alias, out var resolved));
        Assert.Equal(column, resolved.Name);
    }
}
