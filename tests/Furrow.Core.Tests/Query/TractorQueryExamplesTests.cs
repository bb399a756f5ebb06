using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>The examples from Tractor's tq help text, each checked against matching and non-matching rows.</summary>
public sealed class TractorQueryExamplesTests
{
    [Fact]
    public void Jobs_MineAndNotDone_MatchesUnfinishedJobsOfCurrentUser()
    {
        var q = Compile("mine and not done", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("owner", "bob"), ("numdone", 3L), ("numtasks", 5L))));
        Assert.False(q.Matches(Row(("owner", "bob"), ("numdone", 5L), ("numtasks", 5L))));
        Assert.False(q.Matches(Row(("owner", "alice"), ("numdone", 0L), ("numtasks", 5L))));
    }

    [Fact]
    public void Jobs_TitleLikeAndQuotedComparison_BothApply()
    {
        var q = Compile("title like cars and \"priority >= 400\"", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("title", "Cars 3 lighting"), ("priority", 400.0))));
        Assert.False(q.Matches(Row(("title", "Cars 3 lighting"), ("priority", 399.0))));
        Assert.False(q.Matches(Row(("title", "planes"), ("priority", 500.0))));
    }

    [Fact]
    public void Jobs_QuotedComparisonAfterShellStripsQuotes_ParsesTheSame()
    {
        var joined = TractorQuery.JoinArguments(["title", "like", "cars", "and", "priority >= 400"]);
        var q = Compile(joined, QueryTable.Jobs);

        Assert.Equal("((title like 'cars') and (priority >= 400))", q.ToString());
    }

    [Fact]
    public void Tasks_OwnerAndError_UsesTaskStateShorthand()
    {
        var q = Compile("owner=louise and error", QueryTable.Tasks);

        Assert.True(q.Matches(Row(("owner", "louise"), ("state", "error"))));
        Assert.False(q.Matches(Row(("owner", "louise"), ("state", "done"))));
        Assert.False(q.Matches(Row(("owner", "Louise"), ("state", "error"))));
    }

    [Fact]
    public void Tasks_JidAndTid_SelectsOneTask()
    {
        var q = Compile("jid=1134800 and tid=334", QueryTable.Tasks);

        Assert.True(q.Matches(Row(("jid", 1134800L), ("tid", 334L))));
        Assert.False(q.Matches(Row(("jid", 1134800L), ("tid", 335L))));
    }

    [Theory]
    [InlineData("profile like mac and availdisk \"<\" 1M")]
    [InlineData("profile like mac and availdisk < 1M")]
    public void Blades_ProfileLikeAndQuotedOperator_ComparesWithByteUnits(string clause)
    {
        var q = Compile(clause, QueryTable.Blades);

        Assert.True(q.Matches(Row(("profile", "MacPro"), ("availdisk", 1048575.0))));
        Assert.False(q.Matches(Row(("profile", "MacPro"), ("availdisk", 1048576.0))));
        Assert.False(q.Matches(Row(("profile", "linux64"), ("availdisk", 10.0))));
    }

    [Fact]
    public void Invocations_NotStoptimeAndOwner_MatchesRunningInvocations()
    {
        var q = Compile("not stoptime and owner=weezie", QueryTable.Invocations);

        Assert.True(q.Matches(Row(("owner", "weezie"), ("stoptime", null))));
        Assert.False(q.Matches(Row(("owner", "weezie"), ("stoptime", Now.AddMinutes(-5)))));
        Assert.False(q.Matches(Row(("owner", "bob"), ("stoptime", null))));
    }

    [Theory]
    [InlineData("owner in [jack, janet, chrissy]")]
    [InlineData("owner in [jack janet chrissy]")]
    [InlineData("owner in ['jack', \"janet\", chrissy]")]
    public void Jobs_OwnerInList_MatchesAnyListedOwner(string clause)
    {
        var q = Compile(clause, QueryTable.Jobs);

        Assert.True(q.Matches(Row(("owner", "janet"))));
        Assert.True(q.Matches(Row(("owner", "chrissy"))));
        Assert.False(q.Matches(Row(("owner", "jackie"))));
    }

    [Theory]
    [InlineData("name like west10 and \"(disk < 1 or mem < 1)\"")]
    [InlineData("name like west10 and (disk < 1 or mem < 1)")]
    public void Blades_NameLikeAndGroupedOr_GroupsTheOr(string clause)
    {
        var q = Compile(clause, QueryTable.Blades);

        Assert.Equal("((name like 'west10') and ((availdisk < 1) or (availmemory < 1)))", q.ToString());
        Assert.True(q.Matches(Row(("name", "west1001"), ("availdisk", 0.5), ("availmemory", 8.0))));
        Assert.True(q.Matches(Row(("name", "west1001"), ("availdisk", 50.0), ("availmemory", 0.2))));
        Assert.False(q.Matches(Row(("name", "west1001"), ("availdisk", 50.0), ("availmemory", 8.0))));
        Assert.False(q.Matches(Row(("name", "east1001"), ("availdisk", 0.5), ("availmemory", 0.2))));
    }

    [Theory]
    [InlineData("spooltime > -1h")]
    [InlineData("\"spooltime > -1h\"")]
    public void Jobs_SpooltimeRelative_ComparesAgainstNowMinusAnHour(string clause)
    {
        var q = Compile(clause, QueryTable.Jobs);

        Assert.True(q.Matches(Row(("spooltime", Now.AddMinutes(-59)))));
        Assert.False(q.Matches(Row(("spooltime", Now.AddMinutes(-61)))));
        Assert.False(q.Matches(Row(("spooltime", null))));
    }

    [Fact]
    public void Invocations_MemWithGigabyteUnit_ComparesVsz()
    {
        var q = Compile("mem > 4G", QueryTable.Invocations);

        Assert.True(q.Matches(Row(("vsz", 4L * 1024 * 1024 * 1024 + 1))));
        Assert.False(q.Matches(Row(("vsz", 4L * 1024 * 1024 * 1024))));
    }

    [Fact]
    public void Invocations_StimeWithMinuteUnit_ComparesSecondsOfElapsedsys()
    {
        var q = Compile("stime < 1m", QueryTable.Invocations);

        Assert.True(q.Matches(Row(("elapsedsys", 59.5))));
        Assert.False(q.Matches(Row(("elapsedsys", 60.0))));
    }
}
