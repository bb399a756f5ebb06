using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>Bad clauses come back as <see cref="QueryError"/> with a 1-based column and the offending token.</summary>
public sealed class TractorQueryErrorTests
{
    [Fact]
    public void Parse_UnknownAttribute_NamesTokenAndColumn()
    {
        var error = Fail("prority > 5", QueryTable.Jobs);

        Assert.Equal(1, error.Column);
        Assert.Equal("prority", error.Token);
        Assert.Equal("unknown attribute 'prority' for jobs at column 1 (did you mean 'priority'?)", error.Message);
    }

    [Theory]
    [InlineData("title=\U0001F3AC\U0001F3AC and and x", 14)]
    [InlineData("title=\"\U0001F3AC\" and priority > zz", 26)]
    [InlineData("title=\"Sz\u00e8ne\" and priority > zz", 30)]
    public void Parse_AColumn_CountsAnEmojiOnce(string clause, int column) =>
        Assert.Equal(column, Fail(clause, QueryTable.Jobs).Column);

    [Theory]
    [InlineData("not ", "", "'not' more than 100 deep")]
    [InlineData("(", ")", "parentheses and 'not' more than 100 deep")]
    public void Parse_NestingPastTheLimit_IsRefusedNamingWhere_EvenFiftyThousandDeep(string open, string close, string problem)
    {
        Assert.NotNull(TractorQuery.Parse(Nest(open, close, TractorQuery.MaxDepth), QueryTable.Jobs, Context()).Query);
        var error = Fail(Nest(open, close, TractorQuery.MaxDepth + 1), QueryTable.Jobs);
        Assert.Contains(problem, error.Message);
        Assert.Equal(TractorQuery.MaxDepth * open.Length + 1, error.Column);
        // Deep enough to have ended the process through the parser's recursion: refused just the same.
        Assert.Contains(problem, Fail(Nest(open, close, 50_000), QueryTable.Jobs).Message);
    }

    private static string Nest(string open, string close, int depth) =>
        string.Concat(Enumerable.Repeat(open, depth)) + "jid" + string.Concat(Enumerable.Repeat(close, depth));

    [Fact]
    public void Parse_MoreTestsThanTheLimit_OrALongerList_IsRefused_AliasesCountingToo()
    {
        var tests = string.Join(" or ", Enumerable.Range(1, TractorQuery.MaxTests).Select(i => $"jid={i}"));
        Assert.NotNull(TractorQuery.Parse(tests, QueryTable.Jobs, Context()).Query);
        Assert.Contains($"more than {TractorQuery.MaxTests} tests", Fail(tests + " or jid=0", QueryTable.Jobs).Message);

        var list = "jid in [" + string.Join(' ', Enumerable.Range(1, TractorQuery.MaxListItems)) + "]";
        Assert.NotNull(TractorQuery.Parse(list, QueryTable.Jobs, Context()).Query);
        Assert.Contains($"more than {TractorQuery.MaxListItems} values", Fail(list.Replace("]", " 0]", StringComparison.Ordinal), QueryTable.Jobs).Message);

        // Aliases that each use the one before twice double the clause at every step: 2^30 tests, refused, not built.
        var aliases = Enumerable.Range(1, 30).ToDictionary(i => $"a{i}", i => $"a{i - 1} or a{i - 1}");
        aliases["a0"] = "jid=1";
        var error = Fail("a30", QueryTable.Jobs, Context() with { Aliases = aliases });
        Assert.Contains($"more than {TractorQuery.MaxTests} tests", error.Message);
    }

    [Fact]
    public void Parse_UnknownBareAttributeLaterInClause_PointsAtIt()
    {
        var error = Fail("owner=bob and stoptme", QueryTable.Jobs);

        Assert.Equal(15, error.Column);
        Assert.Equal("stoptme", error.Token);
        Assert.Equal("did you mean 'stoptime'?", error.Hint);
    }

    [Fact]
    public void Parse_ColumnOfAnotherTable_IsUnknown()
    {
        var error = Fail("availdisk < 1", QueryTable.Jobs);

        Assert.Equal("availdisk", error.Token);
        Assert.Null(error.Hint);
        Assert.Equal("unknown attribute 'availdisk' for jobs at column 1", error.Message);
    }

    [Fact]
    public void Parse_MisspeltShorthand_SuggestsIt()
    {
        var error = Fail("not dnoe", QueryTable.Jobs);

        Assert.Equal(5, error.Column);
        Assert.Equal("did you mean 'done'?", error.Hint);
    }

    [Fact]
    public void Parse_MineOnBlades_IsUnknown()
    {
        var error = Fail("mine", QueryTable.Blades);

        Assert.Equal("mine", error.Token);
        Assert.StartsWith("unknown attribute 'mine' for blades", error.Message);
    }

    [Fact]
    public void Parse_MissingValueAtEnd_PointsAtOperator()
    {
        var error = Fail("jid =", QueryTable.Jobs);

        Assert.Equal("expected a value after '=' at column 5", error.Message);
        Assert.Equal("=", error.Token);
    }

    [Fact]
    public void Parse_MissingValueBeforeParen_PointsAtParen()
    {
        var error = Fail("(jid = )", QueryTable.Jobs);

        Assert.Equal(8, error.Column);
        Assert.Equal(")", error.Token);
        Assert.Equal("expected a value after '=', got ')' at column 8", error.Message);
    }

    [Fact]
    public void Parse_UnbalancedOpenParen_PointsAtIt()
    {
        var error = Fail("(jid=1 or jid=2", QueryTable.Jobs);

        Assert.Equal("unbalanced '(' at column 1", error.Message);
        Assert.Equal("(", error.Token);
    }

    [Fact]
    public void Parse_UnbalancedCloseParen_PointsAtIt()
    {
        var error = Fail("jid=1)", QueryTable.Jobs);

        Assert.Equal("unbalanced ')' at column 6", error.Message);
        Assert.Equal(")", error.Token);
    }

    [Fact]
    public void Parse_UnbalancedBracket_PointsAtIt()
    {
        var error = Fail("owner in [a, b", QueryTable.Jobs);

        Assert.Equal("unbalanced '[' at column 10", error.Message);
    }

    [Theory]
    [InlineData("jid in [30,,32]", "expected a value between two commas at column 12")]
    [InlineData("jid in [,30]", "expected a value before ',' (the list starts with a comma) at column 9")]
    public void Parse_AListWithAMissingItem_PointsAtTheComma(string clause, string expected)
    {
        Assert.Equal(expected, Fail(clause, QueryTable.Jobs).Message);
    }

    [Theory]
    [InlineData("jid in [30, 31 32]")]
    [InlineData("jid in []")]
    [InlineData("jid in [30, 31,]")]
    public void Parse_ListItems_MaySitBetweenCommasOrSpaces(string clause)
    {
        Assert.True(TractorQuery.Parse(clause, QueryTable.Jobs, Context()).Success, clause);
    }

    [Fact]
    public void Parse_InWithoutList_SaysSo()
    {
        var error = Fail("owner in bob", QueryTable.Jobs);

        Assert.Equal(10, error.Column);
        Assert.Equal("bob", error.Token);
        Assert.StartsWith("expected '[' starting a list after 'in'", error.Problem);
    }

    [Fact]
    public void Parse_DanglingAnd_PointsAtIt()
    {
        var error = Fail("jid=1 and", QueryTable.Jobs);

        Assert.Equal("expected an attribute name after 'and' at column 7", error.Message);
    }

    [Fact]
    public void Parse_TwoTestsWithoutConjunction_PointsAtTheSecond()
    {
        var error = Fail("mine done", QueryTable.Jobs);

        Assert.Equal(6, error.Column);
        Assert.Equal("done", error.Token);
        Assert.StartsWith("expected 'and', 'or' or the end of the clause", error.Problem);
    }

    [Fact]
    public void Parse_NonNumberForNumericColumn_NamesColumnAndValue()
    {
        var error = Fail("priority >= high", QueryTable.Jobs);

        Assert.Equal(13, error.Column);
        Assert.Equal("high", error.Token);
        Assert.StartsWith("expected a number", error.Problem);
        Assert.Contains("for 'priority', got 'high'", error.Problem);
    }

    [Theory]
    [InlineData("spooltime > yesterday", 13, "yesterday")]
    [InlineData("spooltime > 13pm", 13, "13pm")]
    [InlineData("spooltime > 2/30", 13, "2/30")]
    [InlineData("spooltime > -1M", 13, "-1M")]
    public void Parse_BadTime_NamesToken(string clause, int column, string token)
    {
        var error = Fail(clause, QueryTable.Jobs);

        Assert.Equal(column, error.Column);
        Assert.Equal(token, error.Token);
        Assert.StartsWith("expected a time", error.Problem);
    }

    [Fact]
    public void Parse_InvalidRegex_NamesToken()
    {
        var error = Fail("title like 'a(b'", QueryTable.Jobs);

        Assert.Equal(12, error.Column);
        Assert.Equal("a(b", error.Token);
        Assert.Equal("invalid regular expression 'a(b' at column 12", error.Message);
    }

    [Fact]
    public void Parse_UnterminatedQuote_PointsAtIt()
    {
        var error = Fail("title = 'cars", QueryTable.Jobs);

        Assert.Equal(9, error.Column);
        Assert.Equal("unterminated string at column 9", error.Message);
    }

    [Fact]
    public void Parse_ErrorInsideQuotedFragment_UsesColumnInWholeClause()
    {
        var error = Fail("jid=1 and \"prioirty >= 400\"", QueryTable.Jobs);

        Assert.Equal(12, error.Column);
        Assert.Equal("prioirty", error.Token);
        Assert.Equal("did you mean 'priority'?", error.Hint);
    }

    [Fact]
    public void Parse_LoneBang_SuggestsNot()
    {
        var error = Fail("!jid", QueryTable.Jobs);

        Assert.Equal(1, error.Column);
        Assert.Equal("unexpected '!' at column 1 (use 'not' or '!=')", error.Message);
    }

    [Fact]
    public void Parse_SelfReferentialAlias_IsAnError()
    {
        var context = Context() with { Aliases = new Dictionary<string, string> { ["loop"] = "jid and loop" } };

        var error = Fail("loop", QueryTable.Jobs, context);

        Assert.Equal(1, error.Column);
        Assert.Contains("alias 'loop' refers to itself", error.Problem);
    }

    [Fact]
    public void Parse_MineWithoutUser_IsAnError()
    {
        var error = Fail("mine", QueryTable.Jobs, new QueryContext("", Now));

        Assert.Equal("'mine' needs a current user at column 1", error.Message);
    }

    [Fact]
    public void Parse_OperatorWithoutAttribute_PointsAtIt()
    {
        var error = Fail("= 3", QueryTable.Jobs);

        Assert.Equal(1, error.Column);
        Assert.Equal("expected an attribute name, got '=' at column 1", error.Message);
    }

    // A word an enumerated column never holds could only match nothing: refused naming the word and listing the words.
    [Theory]
    [InlineData("state=bogus", QueryTable.Jobs, "deleted, paused, error, done, active, waiting")]
    [InlineData("owner=bob and state != bogus", QueryTable.Tasks, "blocked, ready, active, done, error")]
    [InlineData("state in [done bogus]", QueryTable.Commands, "blocked, active, done, error, skipped")]
    [InlineData("runtype=bogus", QueryTable.Commands, "regular, cleanup, post_always, post_error, post_done")]
    [InlineData("kind=bogus", QueryTable.Commands, "remote, local, builtin")]
    [InlineData("state=bogus", QueryTable.Invocations, "dispatched, running, done, error, retried")]
    [InlineData("status=bogus", QueryTable.Blades, "up, silent, stopped")]
    [InlineData("task.state=bogus", QueryTable.Invocations, "blocked, ready, active, done, error")]
    [InlineData("job.state=bogus", QueryTable.Tasks, "deleted, paused, error, done, active, waiting")]
    public void Parse_WordAnEnumeratedColumnNeverHolds_IsRefusedListingItsWords(string clause, QueryTable table, string words)
    {
        var error = Fail(clause, table);

        Assert.Equal("bogus", error.Token);
        Assert.Equal(clause.IndexOf("bogus", StringComparison.Ordinal) + 1, error.Column);
        Assert.Contains($"expected one of {words}", error.Problem);
        Assert.EndsWith("got 'bogus'", error.Problem);
        Assert.Null(error.Hint);
    }

    [Theory]
    [InlineData("state=Done", QueryTable.Tasks, "done")]
    [InlineData("state=DONE", QueryTable.Jobs, "done")]
    [InlineData("status='Up'", QueryTable.Blades, "up")]
    [InlineData("state='Blade Silent'", QueryTable.Invocations, "blade silent")]
    public void Parse_StateWordInAnotherCase_IsRefusedPointingAtTheStoredWord(string clause, QueryTable table, string word)
    {
        var error = Fail(clause, table);

        Assert.Equal($"did you mean '{word}'?", error.Hint);
        Assert.Contains("expected one of", error.Problem);
    }

    [Theory]
    [InlineData("state='blade silent'", QueryTable.Invocations)]
    [InlineData("state in [waiting paused]", QueryTable.Jobs)]
    [InlineData("runtype=post_error and kind=local", QueryTable.Commands)]
    [InlineData("state like DON", QueryTable.Tasks)]
    public void Parse_WordsAnEnumeratedColumnHolds_AreAccepted(string clause, QueryTable table) =>
        Compile(clause, table);

    [Theory]
    [InlineData("paused=maybe", QueryTable.Jobs, "maybe")]
    [InlineData("serialsubtasks=enabled", QueryTable.Tasks, "enabled")]
    [InlineData("local=tr", QueryTable.Commands, "tr")]
    [InlineData("current != maybe", QueryTable.Invocations, "maybe")]
    [InlineData("registered=2", QueryTable.Blades, "2")]
    public void Parse_BooleanColumnWithAnotherWord_IsRefusedNamingIt(string clause, QueryTable table, string token)
    {
        var error = Fail(clause, table);

        Assert.Equal(token, error.Token);
        Assert.StartsWith("expected true or false (or t, yes, y, on, 1 / f, no, n, off, 0)", error.Problem);
    }

    [Theory]
    [InlineData("paused=TRUE", true)]
    [InlineData("paused=1", true)]
    [InlineData("paused=false", false)]
    [InlineData("paused=0", false)]
    [InlineData("paused=t", true)]
    [InlineData("paused=Yes", true)]
    [InlineData("paused=y", true)]
    [InlineData("paused=on", true)]
    [InlineData("paused=f", false)]
    [InlineData("paused=NO", false)]
    [InlineData("paused=n", false)]
    [InlineData("paused=off", false)]
    public void Parse_BooleanColumn_TakesPostgresBooleanWords(string clause, bool matchesPaused)
    {
        var q = Compile(clause, QueryTable.Jobs);

        Assert.Equal(matchesPaused, q.Matches(Row(("paused", true))));
        Assert.Equal(!matchesPaused, q.Matches(Row(("paused", false))));
    }

    [Theory]
    [InlineData("jid>99999999999999999999999", QueryTable.Jobs, "99999999999999999999999")]
    [InlineData("numtasks < -9223372036854775809", QueryTable.Jobs, "-9223372036854775809")]
    [InlineData("afterjids in [1 1e30]", QueryTable.Jobs, "1e30")]
    [InlineData("tid=9223372036854775808", QueryTable.Tasks, "9223372036854775808")]
    [InlineData("numcpu > 9000000P", QueryTable.Blades, "9000000P")]
    public void Parse_WholeNumberPastSixtyFourBits_IsRefusedNamingIt(string clause, QueryTable table, string token)
    {
        var error = Fail(clause, table);

        Assert.Equal(token, error.Token);
        Assert.StartsWith("expected a number from -9223372036854775808 to 9223372036854775807", error.Problem);
        Assert.EndsWith($"got '{token}'", error.Problem);
    }

    [Theory]
    [InlineData("jid <= 9223372036854775807", QueryTable.Jobs)]
    [InlineData("jid > 1.5", QueryTable.Jobs)]
    [InlineData("priority > 1e30", QueryTable.Jobs)]
    [InlineData("availmemory > 9000000P", QueryTable.Blades)]
    public void Parse_NumbersItsColumnCanHold_AreAccepted(string clause, QueryTable table) =>
        Compile(clause, table);

    // A value on which the pattern backtracks past its 250 ms: the first alternative never ends on "aaa...a!", so the
    // match runs out of time before "|!" is tried. Neither true nor false is the answer, with or without `not`.
    [Theory]
    [InlineData("title like \"(a+)+$|!\"")]
    [InlineData("not title like \"(a+)+$|!\"")]
    [InlineData("projects like \"(a+)+$|!\"")]
    public void Evaluate_LikeThatRunsPastItsTimeout_IsAnErrorNamingThePattern_NeverAMatchOrAMismatch(string clause)
    {
        var q = Compile(clause, QueryTable.Jobs);
        var slow = new string('a', 40) + "!";

        var error = Assert.Throws<QueryMatchTimeoutException>(() => q.Matches(Row(("title", slow), ("projects", new List<string> { "x", slow }))));

        Assert.Equal("(a+)+$|!", error.Pattern);
        Assert.StartsWith("like '(a+)+$|!' took too long on a value (more than 250 ms) and was stopped: use a simpler pattern", error.Message);
    }

    [Fact]
    public void Evaluate_LikeTimeout_ShowsALongPatternCut_WithHowMuchMore()
    {
        var message = QueryMatchTimeoutException.Describe(new string('x', 900), TimeSpan.FromMilliseconds(250));

        Assert.StartsWith($"like '{new string('x', 200)}... (700 more characters)' took too long", message);
    }
}
