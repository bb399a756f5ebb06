using Furrow.Core.Query;

namespace Furrow.Core.Tests.Query;

/// <summary>The query API's db?q=tractorselect(...) call (TRACTOR-PROTOCOL §4a) and its user aliases.</summary>
public sealed class TractorSelectCallTests
{
    private static TractorSelectCall Ok(string text)
    {
        var parsed = TractorSelectCall.Parse(text);
        Assert.True(parsed.Error is null, parsed.Error?.Message);
        return parsed.Call!;
    }

    private static QueryError Bad(string text)
    {
        var parsed = TractorSelectCall.Parse(text);
        Assert.Null(parsed.Call);
        return parsed.Error!;
    }

    [Fact]
    public void QueryApiForm_GivesEveryArgument()
    {
        var call = Ok("tractorselect('job', 'owner=''bob'' and not done', 'jid,owner,Job.title', 'priority,-spooltime', 25, 't', 'None')");
        Assert.Equal(QueryTable.Jobs, call.Schema.Table);
        Assert.Equal("owner='bob' and not done", call.Where);
        Assert.Equal(["jid", "owner", "Job.title"], call.Columns);
        Assert.Equal("priority,-spooltime", call.Sort);
        Assert.Equal(25, call.Limit);
        Assert.True(call.Archive);
        Assert.Empty(call.Aliases);
    }

    [Fact]
    public void AColumnAskedForTwice_IsOneColumn_WhereFirstAsked()
    {
        var call = Ok("tractorselect('job', '', 'jid,title,JID, title ,owner', '', 0, 'f', 'None')");
        Assert.Equal(["jid", "title", "owner"], call.Columns);
    }

    [Theory]
    [InlineData("job", QueryTable.Jobs)]
    [InlineData("Job", QueryTable.Jobs)]
    [InlineData("JOBS", QueryTable.Jobs)]
    [InlineData("Task", QueryTable.Tasks)]
    [InlineData("command", QueryTable.Commands)]
    [InlineData("Invocation", QueryTable.Invocations)]
    [InlineData("blade", QueryTable.Blades)]
    [InlineData("param", QueryTable.Params)]
    [InlineData("params", QueryTable.Params)]
    public void Table_MatchesInAnyCase(string table, QueryTable expected) =>
        Assert.Equal(expected, Ok($"tractorselect('{table}', '', '', '', NULL, 'f', 'None')").Schema.Table);

    [Fact]
    public void NullLimit_ZeroLimit_SpacingAndCase()
    {
        var call = Ok("  TractorSelect ( 'task' ,'' ,'',''  , null , 'f' , NULL ) ; ");
        Assert.Null(call.Limit);
        Assert.False(call.Archive);
        Assert.Empty(call.Columns);
        Assert.Equal(0, Ok("tractorselect('task', '', '', '', 0, 'f', 'None')").Limit);
    }

    [Fact]
    public void Aliases_UndoubledAsTractorClientsSendThem()
    {
        var call = Ok("tractorselect('job', 'mine', '', '', NULL, 'f', '{'mine': 'owner=bob', \"x\": \"it's\"}')");
        Assert.Equal("owner=bob", call.Aliases["mine"]);
        Assert.Equal("it's", call.Aliases["x"]);
    }

    [Fact]
    public void Aliases_DoubledAsSqlQuotingWould()
    {
        var call = Ok("tractorselect('job', 'mine', '', '', NULL, 'f', '{''mine'': \"owner=''bob''\", u''e'': ''''}')");
        Assert.Equal("owner='bob'", call.Aliases["mine"]);
        Assert.Equal("", call.Aliases["e"]);
    }

    [Fact]
    public void Aliases_PythonEscapesAndTrailingComma()
    {
        var call = Ok(@"tractorselect('job', '', '', '', NULL, 'f', '{""a"": ""x\ty\\z\x41\u00e9"",}')");
        Assert.Equal("x\ty\\zAé", call.Aliases["a"]);
    }

    [Theory]
    [InlineData("{'mine': 3}", "3")]
    [InlineData("{'mine': {'a': 'b'}}", "{")]
    [InlineData("{3: 'owner=bob'}", "3")]
    [InlineData("{'mine': None}", "None")]
    [InlineData("{'mine': 'owner=bob'", "")]
    [InlineData("[''mine'']", "[")]
    [InlineData("{'two words': 'x'}", "two words")]
    [InlineData("{'mine': __import__('os')}", "__import__")]
    public void Aliases_NotADictOfStrings_IsRefusedNamingTheToken(string aliases, string token)
    {
        var error = Bad($"tractorselect('job', '', '', '', NULL, 'f', '{aliases}')");
        Assert.StartsWith("bad aliases", error.Problem);
        Assert.Equal(token, error.Token);
    }

    [Theory]
    [InlineData("t", true)]
    [InlineData("TRUE", true)]
    [InlineData("yes", true)]
    [InlineData("f", false)]
    [InlineData("Off", false)]
    public void Archive_IsTOrFOrASwitch(string archive, bool expected) =>
        Assert.Equal(expected, Ok($"tractorselect('job', '', '', '', NULL, '{archive}', 'None')").Archive);

    [Theory]
    [InlineData("select * from job", "select")]
    [InlineData("tractorselect 'job'", "'")]
    [InlineData("tractorselect('job', '', '', '', NULL, 'f')", ")")]
    [InlineData("tractorselect('job', '', '', '', NULL, 'f', 'None', 'x')", ",")]
    [InlineData("tractorselect('job', tractorselect('job', '', '', '', NULL, 'f', 'None'), '', '', NULL, 'f', 'None')", "tractorselect")]
    [InlineData("tractorselect('job', 'owner=''x, '', '', NULL, 'f', 'None')", "f")]
    [InlineData("tractorselect(job, '', '', '', NULL, 'f', 'None')", "job")]
    [InlineData("tractorselect('job', '', '', '', -1, 'f', 'None')", "-1")]
    [InlineData("tractorselect('job', '', '', '', 10 OR 1, 'f', 'None')", "OR")]
    [InlineData("tractorselect('job', '', '', '', 99999999999, 'f', 'None')", "99999999999")]
    [InlineData("tractorselect('job', '', '', '', NULL, 'maybe', 'None')", "maybe")]
    [InlineData("tractorselect('job', '', '', '', NULL, '', 'None')", "")]
    [InlineData("tractorselect('job', '', 'jid,,title', '', NULL, 'f', 'None')", "jid,,title")]
    [InlineData("tractorselect('job', '', ',', '', NULL, 'f', 'None')", ",")]
    [InlineData("tractorselect('job', '', 'jid', ',jid,', NULL, 'f', 'None')", ",jid,")]
    [InlineData("tractorselect('jobz', '', '', '', NULL, 'f', 'None')", "jobz")]
    [InlineData("tractorselect('note', '', '', '', NULL, 'f', 'None')", "note")]
    [InlineData("tractorselect('job', '', '', '', NULL, 'f', 'None'); drop table job", "drop")]
    public void BadCalls_NameTheToken(string text, string token)
    {
        var error = Bad(text);
        Assert.Equal(token, error.Token);
        Assert.True(error.Column >= 1);
    }

    [Fact]
    public void UnbalancedQuote_IsRefused()
    {
        var error = Bad("tractorselect('job', 'owner=bob, '', '', NULL, 'f', 'None')");
        Assert.Contains("unterminated", error.Problem + Bad("tractorselect('job").Problem);
    }

    [Fact]
    public void InjectionInTheWhere_StaysInTheWhere()
    {
        var call = Ok("tractorselect('job', 'owner=''x'''' OR 1=1 --''', '', '', NULL, 'f', 'None')");
        Assert.Equal("owner='x'' OR 1=1 --'", call.Where);
    }

    [Fact]
    public void VeryLongInput_IsRefusedOrReadInLinearTime()
    {
        var longWhere = "jid in [" + string.Join(' ', Enumerable.Range(1, 50_000)) + "]";
        Assert.Equal(longWhere, Ok($"tractorselect('job', '{longWhere}', '', '', NULL, 'f', 'None')").Where);
        var error = Bad("tractorselect('job', '" + new string('x', TractorSelectCall.MaxLength) + "', '', '', NULL, 'f', 'None')");
        Assert.Contains("characters long", error.Problem);
        Assert.StartsWith("expected tractorselect", Bad(new string('(', 100_000)).Problem);
    }

    [Fact]
    public void IsCall_TellsTheFunctionFromOtherSql()
    {
        Assert.True(TractorSelectCall.IsCall(" TRACTORSELECT('job'"));
        Assert.False(TractorSelectCall.IsCall("tractorselectx('job')"));
        Assert.False(TractorSelectCall.IsCall("TractorJobDump(3, 'JSON')"));
    }

    private static string Expand(string where, params (string Alias, string Clause)[] aliases)
    {
        var result = TractorSelectCall.ExpandAliases(where, aliases.ToDictionary(a => a.Alias, a => a.Clause), out var error);
        Assert.True(error is null, error?.Message);
        return result!;
    }

    [Fact]
    public void Aliases_BareTermsExpandInParentheses()
    {
        Assert.Equal("(owner=bob) and not done", Expand("mine and not done", ("mine", "owner=bob")));
        Assert.Equal("not (owner=bob)", Expand("not mine", ("mine", "owner=bob")));
        Assert.Equal("((owner=bob) or (priority>100))", Expand("(mine or hot)", ("mine", "owner=bob"), ("hot", "priority>100")));
        // An alias used inside another's clause expands too.
        Assert.Equal("((owner=bob) and error)", Expand("bad", ("mine", "owner=bob"), ("bad", "mine and error")));
    }

    [Fact]
    public void Aliases_AreNotValuesAttributesQuotesOrListItems()
    {
        var mine = ("mine", "owner=bob");
        Assert.Equal("title=mine", Expand("title=mine", mine));
        Assert.Equal("title = mine", Expand("title = mine", mine));
        Assert.Equal("mine=3", Expand("mine=3", mine));
        Assert.Equal("title like mine", Expand("title like mine", mine));
        Assert.Equal("owner in [mine bob]", Expand("owner in [mine bob]", mine));
        Assert.Equal("title='mine' and \"mine\"", Expand("title='mine' and \"mine\"", mine));
        Assert.Equal("mines and minetitle", Expand("mines and minetitle", mine));
        Assert.Equal("Job.mine", Expand("Job.mine", mine));
    }

    [Fact]
    public void Aliases_UsingThemselves_AreRefused()
    {
        var aliases = new Dictionary<string, string> { ["a"] = "b or x", ["b"] = "a" };
        Assert.Null(TractorSelectCall.ExpandAliases("a", aliases, out var error));
        Assert.Contains("uses itself", error!.Problem);
        Assert.Equal("a", error.Token);
    }

    [Fact]
    public void Aliases_ThatDoubleAtEachLevel_StopAtTheLengthLimit()
    {
        var aliases = Enumerable.Range(0, 40).ToDictionary(i => $"a{i}", i => $"a{i + 1} a{i + 1}");
        Assert.Null(TractorSelectCall.ExpandAliases("a0", aliases, out var error));
        Assert.Contains("longer than", error!.Problem);
    }

    [Fact]
    public void ExpandedWhere_UsesTheCallsAliases() =>
        Assert.Equal("(owner=bob) and error",
            Ok("tractorselect('task', 'mine and error', '', '', NULL, 'f', '{'mine': 'owner=bob'}')").ExpandedWhere(out _));
}
