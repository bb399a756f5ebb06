using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>Units on numbers and the time forms tq accepts.</summary>
public sealed class QueryLiteralsTests
{
    // Five hours behind UTC with no daylight saving, so wall-clock cases do not depend on the machine's zone data.
    private static readonly TimeZoneInfo Eastern = TimeZoneInfo.CreateCustomTimeZone("Test-5", TimeSpan.FromHours(-5), "Test-5", "Test-5");

    [Theory]
    [InlineData("10", 10L)]
    [InlineData("-3", -3L)]
    [InlineData("30s", 30L)]
    [InlineData("2m", 120L)]
    [InlineData("1h", 3600L)]
    [InlineData("1d", 86400L)]
    [InlineData("1w", 604800L)]
    [InlineData("512B", 512L)]
    [InlineData("1K", 1024L)]
    [InlineData("1M", 1048576L)]
    [InlineData("4G", 4294967296L)]
    [InlineData("1T", 1099511627776L)]
    [InlineData("1P", 1125899906842624L)]
    public void Number_WithUnit_Multiplies(string text, long expected)
    {
        Assert.True(QueryLiterals.TryParseNumber(text, out var value));
        Assert.Equal(QueryValueKind.Int, value.Kind);
        Assert.Equal(expected, value.AsInt);
    }

    [Fact]
    public void Number_FractionWithUnit_IsFloat()
    {
        Assert.True(QueryLiterals.TryParseNumber("1.5G", out var value));
        Assert.Equal(1.5 * 1024 * 1024 * 1024, value.AsFloat);
    }

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("4X")]
    [InlineData("four")]
    public void Number_NotANumber_IsRejected(string text)
    {
        Assert.False(QueryLiterals.TryParseNumber(text, out _));
    }

    [Theory]
    [InlineData("-1s", -1)]
    [InlineData("-1m", -60)]
    [InlineData("-1h", -3600)]
    [InlineData("-1d", -86400)]
    [InlineData("-1w", -604800)]
    [InlineData("-90", -90)]
    [InlineData("+2h", 7200)]
    public void Time_Relative_OffsetsNow(string text, int seconds)
    {
        Assert.True(QueryLiterals.TryParseTime(text, Context(), out var time));
        Assert.Equal(Now.AddSeconds(seconds), time);
    }

    [Theory]
    [InlineData("10am", "2025-03-20T10:00:00")]
    [InlineData("5pm", "2025-03-20T17:00:00")]
    [InlineData("12am", "2025-03-20T00:00:00")]
    [InlineData("12pm", "2025-03-20T12:00:00")]
    [InlineData("11:37", "2025-03-20T11:37:00")]
    [InlineData("4:21pm", "2025-03-20T16:21:00")]
    [InlineData("3/15", "2025-03-15T00:00:00")]
    [InlineData("3/15|4pm", "2025-03-15T16:00:00")]
    [InlineData("3/15|11:37", "2025-03-15T11:37:00")]
    [InlineData("3/15/05", "2005-03-15T00:00:00")]
    [InlineData("12/31/1999|23:59:59", "1999-12-31T23:59:59")]
    [InlineData("2024-02-29T08:15", "2024-02-29T08:15:00")]
    public void Time_WallClock_IsReadInContextZone(string text, string expectedLocal)
    {
        var context = Context(Eastern);

        Assert.True(QueryLiterals.TryParseTime(text, context, out var time));
        var expected = new DateTimeOffset(DateTime.Parse(expectedLocal, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromHours(-5));
        Assert.Equal(expected, time);
    }

    [Fact]
    public void Time_WallClockDefaultsToUtc()
    {
        Assert.True(QueryLiterals.TryParseTime("10am", Context(), out var time));
        Assert.Equal(new DateTimeOffset(2025, 3, 20, 10, 0, 0, TimeSpan.Zero), time);
    }

    [Fact]
    public void Time_TodayIsTheLocalDate()
    {
        // 01:00 UTC on the 21st is still the 20th five hours west.
        var context = new QueryContext("bob", new DateTimeOffset(2025, 3, 21, 1, 0, 0, TimeSpan.Zero), Eastern);

        Assert.True(QueryLiterals.TryParseTime("10am", context, out var time));
        Assert.Equal(new DateTimeOffset(2025, 3, 20, 10, 0, 0, TimeSpan.FromHours(-5)), time);
    }

    [Theory]
    [InlineData("2024-03-15T10:00:00Z", "2024-03-15T10:00:00+00:00")]
    [InlineData("1700000000", "2023-11-14T22:13:20+00:00")]
    public void Time_AbsoluteForms_Parse(string text, string expected)
    {
        Assert.True(QueryLiterals.TryParseTime(text, Context(Eastern), out var time));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), time);
    }

    [Theory]
    [InlineData("13pm")]
    [InlineData("0am")]
    [InlineData("25:00")]
    [InlineData("10:61")]
    [InlineData("13/1")]
    [InlineData("2/29/2025")]
    [InlineData("3/15|")]
    [InlineData("noon")]
    [InlineData("-1G")]
    public void Time_Invalid_IsRejected(string text)
    {
        Assert.False(QueryLiterals.TryParseTime(text, Context(), out _));
    }

    [Fact]
    public void Clause_StarttimeAfterWallClock_ComparesInstants()
    {
        var q = Compile("starttime >= 3/15|4pm and starttime < 10am", QueryTable.Jobs, Context(Eastern));

        Assert.True(q.Matches(Row(("starttime", new DateTimeOffset(2025, 3, 15, 21, 0, 0, TimeSpan.Zero)))));
        Assert.False(q.Matches(Row(("starttime", new DateTimeOffset(2025, 3, 15, 20, 59, 0, TimeSpan.Zero)))));
        Assert.False(q.Matches(Row(("starttime", new DateTimeOffset(2025, 3, 20, 15, 0, 0, TimeSpan.Zero)))));
    }

    [Fact]
    public void Clause_TimeColumnHeldAsUnixSeconds_StillCompares()
    {
        var q = Compile("spooltime > -1h", QueryTable.Jobs);

        Assert.True(q.Matches(Row(("spooltime", Now.AddMinutes(-10).ToUnixTimeSeconds()))));
        Assert.False(q.Matches(Row(("spooltime", Now.AddHours(-2).ToUnixTimeSeconds()))));
    }

    [Theory]
    [InlineData("-99999999h")]
    [InlineData("-1000000w")]
    [InlineData("+99999999999h")]
    [InlineData("-1e300s")]
    public void TryParseTime_RefusesARelativeTimeBeyondTheCalendar_InsteadOfThrowing(string text)
    {
        Assert.False(QueryLiterals.TryParseTime(text, Context(), out _));
    }
}
