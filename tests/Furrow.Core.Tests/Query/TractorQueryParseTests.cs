using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>Grammar: precedence, quoting, shorthands, aliases and operator semantics.</summary>
public sealed class TractorQueryParseTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_EmptyClause_MatchesEverything(string clause)
    {
        var q = Compile(clause, QueryTable.Jobs);

        Assert.True(q.Matches(Row()));
        Assert.Empty(q.Columns);
    }

    [Theory]
    [InlineData("jid=1 or jid=2 and jid=3", "((jid = 1) or ((jid = 2) and (jid = 3)))")]
    [InlineData("jid=1 and jid=2 or jid=3", "(((jid = 1) and (jid = 2)) or (jid = 3))")]
    [InlineData("not jid=1 and jid=2", "((not (jid = 1)) and (jid = 2))")]
    [InlineData("not jid=1 or not jid=2", "((not (jid = 1)) or (not (jid = 2)))")]
    [InlineData("not not jid", "(not (not jid))")]
    [InlineData("not (jid=1 or jid=2)", "(not ((jid = 1) or (jid = 2)))")]
    [InlineData("jid=1 and (jid=2 or jid=3)", "((jid = 1) and ((jid = 2) or (jid = 3)))")]
    public void Parse_Precedence_NotBindsTighterThanAndThanOr(string clause, string expected)
    {
        Assert.Equal(expected, Compile(clause, QueryTable.Jobs).ToString());
    }

    [Fact]
    public void Parse_OrBelowAnd_EvaluatesWithPrecedence()
    {
        var q = Compile("owner=a or owner=b and priority > 10", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("owner", "a"), ("priority", 1.0))));
        Assert.False(q.Matches(Row(("owner", "b"), ("priority", 1.0))));
        Assert.True(q.Matches(Row(("owner", "b"), ("priority", 11.0))));
    }

    [Theory]
    [InlineData("jid")]
    [InlineData("jobid")]
    [InlineData("Job.jid")]
    public void Parse_BareAttribute_IsTruthTest(string clause)
    {
        var q = Compile(clause, QueryTable.Jobs);

        Assert.True(q.Matches(Row(("jid", 7L))));
        Assert.False(q.Matches(Row(("jid", 0L))));
        Assert.False(q.Matches(Row()));
    }

    [Fact]
    public void Parse_BareStringAndListAttributes_TestForEmptiness()
    {
        var comment = Compile("comment", QueryTable.Jobs);
        var tags = Compile("tags", QueryTable.Jobs);

        Assert.True(comment.Matches(Row(("comment", "x"))));
        Assert.False(comment.Matches(Row(("comment", ""))));
        Assert.True(tags.Matches(Row(("tags", new[] { "a" }))));
        Assert.False(tags.Matches(Row(("tags", Array.Empty<string>()))));
    }

    [Theory]
    [InlineData("blocked", "numblocked")]
    [InlineData("ready", "numready")]
    [InlineData("active", "numactive")]
    [InlineData("error", "numerror")]
    public void Parse_JobStateWords_TestCounts(string word, string column)
    {
        var q = Compile(word, QueryTable.Jobs);

        Assert.Equal($"({column} > 0)", q.ToString());
        Assert.True(q.Matches(Row((column, 2L))));
        Assert.False(q.Matches(Row((column, 0L))));
    }

    [Theory]
    [InlineData(QueryTable.Tasks)]
    [InlineData(QueryTable.Commands)]
    [InlineData(QueryTable.Invocations)]
    public void Parse_StateWordsOnTaskTables_CompareState(QueryTable table)
    {
        foreach (var word in new[] { "blocked", "ready", "active", "error", "done" })
        {
            var q = Compile(word, table);
            Assert.True(q.Matches(Row(("state", word))));
            Assert.False(q.Matches(Row(("state", word == "done" ? "error" : "done"))));
        }

        Assert.True(Compile("state=done", table).Matches(Row(("state", "done"))));
    }

    [Fact]
    public void Parse_QuotedOperatorAndFragments_AreSplicedIntoTheClause()
    {
        var q = Compile("jid \">=\" 5 and \"owner = 'a b'\"", QueryTable.Jobs);

        Assert.Equal("((jid >= 5) and (owner = 'a b'))", q.ToString());
    }

    [Fact]
    public void Parse_QuotedValue_KeepsSpacesAndOperators()
    {
        var q = Compile("title = \"a (b) or c\"", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("title", "a (b) or c"))));
    }

    [Fact]
    public void Parse_StringEquality_IsCaseSensitive()
    {
        var q = Compile("owner=bob", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("owner", "bob"))));
        Assert.False(q.Matches(Row(("owner", "Bob"))));
    }

    [Fact]
    public void Parse_NotEqual_IncludesRowsWithoutTheValue()
    {
        var q = Compile("owner != bob", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("owner", "alice"))));
        Assert.True(q.Matches(Row()));
        Assert.False(q.Matches(Row(("owner", "bob"))));
    }

    [Fact]
    public void Parse_Like_IsCaseInsensitiveRegexSearch()
    {
        var q = Compile("title like '^sh[0-9]+_v\\d'", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("title", "SH010_v2 comp"))));
        Assert.False(q.Matches(Row(("title", "x sh010_v2"))));
        Assert.False(q.Matches(Row()));
    }

    [Fact]
    public void Parse_ListEquals_MeansContains()
    {
        var q = Compile("projects=lighting", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("projects", new[] { "fx", "lighting" }))));
        Assert.False(q.Matches(Row(("projects", new[] { "fx" }))));
        Assert.True(Compile("projects != lighting", QueryTable.Jobs).Matches(Row(("projects", new[] { "fx" }))));
        Assert.True(Compile("tags like ^lig", QueryTable.Jobs).Matches(Row(("tags", new[] { "fx", "Lighting" }))));
    }

    [Fact]
    public void Parse_IntListEquals_MeansContains()
    {
        var q = Compile("afterjids = 12", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("afterjids", new long[] { 10, 12 }))));
        Assert.False(q.Matches(Row(("afterjids", new long[] { 10 }))));
    }

    [Fact]
    public void Parse_NotInAndNotLike_Negate()
    {
        Assert.True(Compile("owner not in [a, b]", QueryTable.Jobs).Matches(Row(("owner", "c"))));
        Assert.False(Compile("owner not in [a, b]", QueryTable.Jobs).Matches(Row(("owner", "a"))));
        Assert.True(Compile("title not like cars", QueryTable.Jobs).Matches(Row(("title", "planes"))));
    }

    [Fact]
    public void Parse_InWithNumbersAndUnits_ConvertsEachItem()
    {
        var q = Compile("numcpu in [8, 16 32]", QueryTable.Blades);

        Assert.True(q.Matches(Row(("numcpu", 16L))));
        Assert.False(q.Matches(Row(("numcpu", 4L))));
        Assert.True(Compile("disk in [1K]", QueryTable.Blades).Matches(Row(("availdisk", 1024.0))));
    }

    [Fact]
    public void Parse_Mine_UsesCurrentUser()
    {
        var q = Compile("mine", QueryTable.Jobs, new QueryContext("louise", Now));

        Assert.True(q.Matches(Row(("owner", "louise"))));
        Assert.False(q.Matches(Row(("owner", "bob"))));
    }

    [Fact]
    public void Parse_ContextAlias_ExpandsAndOverridesBuiltIn()
    {
        var context = Context() with
        {
            Aliases = new Dictionary<string, string> { ["mine"] = "owner=carol", ["urgent"] = "pri >= 500 and not done" },
        };

        Assert.True(Compile("mine", QueryTable.Jobs, context).Matches(Row(("owner", "carol"))));
        var urgent = Compile("mine and urgent", QueryTable.Jobs, context);
        Assert.Equal("((owner = 'carol') and ((priority >= 500) and (not (numdone = numtasks))))", urgent.ToString());
    }

    [Fact]
    public void Parse_ColumnAliases_ResolveToCanonicalNames()
    {
        Assert.Equal("((owner = 'x') and (priority > 1))", Compile("user=x and pri > 1", QueryTable.Jobs).ToString());
        Assert.Equal("(tid = 3)", Compile("taskid=3", QueryTable.Tasks).ToString());
        Assert.Equal("(cid = 3)", Compile("cmdid=3", QueryTable.Commands).ToString());
        Assert.Equal("(elapsedapp > 60)", Compile("utime > 1m", QueryTable.Invocations).ToString());
        Assert.Equal("((osname like 'linux') and (numcpu >= 8))", Compile("os like linux and cores >= 8", QueryTable.Blades).ToString());
        Assert.Equal("(loadavg < 2)", Compile("load < 2", QueryTable.Blades).ToString());
    }

    [Fact]
    public void Parse_DotNotationForAnotherTable_ReadsQualifiedKey()
    {
        var q = Compile("Job.owner=bob and Task.state=error and job.priority > 10", QueryTable.Commands);

        // The job's owner is a column of every command row; other job columns keep their table's name.
        Assert.Equal(["job.priority", "owner", "task.state"], q.Columns.Order());
        Assert.True(q.Matches(Row(("owner", "bob"), ("task.state", "error"), ("job.priority", 20.0))));
    }

    [Theory]
    [InlineData("priority > 100", QueryTable.Tasks, "job.priority")]
    [InlineData("pri > 100", QueryTable.Invocations, "job.priority")]
    [InlineData("user=louise", QueryTable.Tasks, "owner")]
    [InlineData("username=louise", QueryTable.Commands, "owner")]
    [InlineData("spooltime > -1d", QueryTable.Commands, "job.spooltime")]
    [InlineData("title like x", QueryTable.Tasks, "title")]
    public void Parse_AJobColumnNamedAloneOnATaskSearch_ReadsTheJobs(string clause, QueryTable table, string key)
    {
        // Tractor's tasks, commands and invocations searches see their job's columns; the row's own column wins a clash (title).
        Assert.Equal([key], Compile(clause, table).Columns);
    }

    [Theory]
    [InlineData("etalevel > 1", QueryTable.Jobs, "etalevel")]
    [InlineData("pausetime", QueryTable.Jobs, "pausetime")]
    [InlineData("not elapsed", QueryTable.Jobs, "elapsed")]
    [InlineData("numslots > 1", QueryTable.Invocations, "numslots")]
    [InlineData("job.pausetime > 0", QueryTable.Tasks, "job.pausetime")]
    [InlineData("resumepin", QueryTable.Commands, "resumepin")]
    [InlineData("udi > 1", QueryTable.Blades, "udi")]
    public void Parse_AColumnFurrowDoesNotKeep_IsRefusedByName(string clause, QueryTable table, string name)
    {
        var result = TractorQuery.Parse(clause, table, Context());

        Assert.False(result.Success);
        Assert.Equal($"not recorded by Furrow: {name}", result.Error.Problem);
        Assert.Equal(name, result.Error.Token);
    }

    [Theory]
    [InlineData("task.state=error", QueryTable.Jobs, "a jobs search cannot use task columns")]
    [InlineData("blade.name=x", QueryTable.Tasks, "a tasks search cannot use blade columns")]
    [InlineData("invocation.rcode=1", QueryTable.Commands, "a commands search cannot use invocation columns")]
    public void Parse_DotNotationForATableTheRowDoesNotBelongTo_IsRefused(string clause, QueryTable table, string problem)
    {
        var result = TractorQuery.Parse(clause, table, Context());

        Assert.False(result.Success);
        Assert.Equal(problem, result.Error.Problem);
    }

    [Fact]
    public void Parse_Columns_ListsEveryKeyRead()
    {
        var q = Compile("mine and not done and title like x", QueryTable.Jobs);

        Assert.Equal(["numdone", "numtasks", "owner", "title"], q.Columns.Order());
    }

    [Fact]
    public void Parse_KeywordsAreCaseInsensitive()
    {
        Assert.Equal("((jid = 1) or (not (jid = 2)))", Compile("jid=1 OR NOT jid=2", QueryTable.Jobs).ToString());
    }

    [Fact]
    public void Parse_NumberAgainstNumericString_ComparesNumerically()
    {
        var q = Compile("priority > 50", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("priority", "100"))));
        Assert.True(q.Matches(Row(("priority", 100L))));
        Assert.False(q.Matches(Row(("priority", 9.5))));
    }

    [Fact]
    public void Parse_BoolColumn_AcceptsTrueFalseWords()
    {
        var q = Compile("registered = true and nimby = 0", QueryTable.Blades);

        Assert.True(q.Matches(Row(("registered", true), ("nimby", "0"))));
        Assert.False(q.Matches(Row(("registered", false), ("nimby", "0"))));
    }
}
