using Furrow.Core.Scheduling;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>A job's <c>-after</c> forms, read in the site's zone relative to now.</summary>
public sealed class AfterTimeTests
{
    // One hour ahead of UTC with no daylight saving, so wall-clock cases do not depend on the machine's zone data.
    private static readonly TimeZoneInfo Plus1 = TimeZoneInfo.CreateCustomTimeZone("Test+1", TimeSpan.FromHours(1), "Test+1", "Test+1");

    // Central-European-style rules: clocks go 02:00 -> 03:00 on the last Sunday of March and 03:00 -> 02:00 on the
    // last Sunday of October.
    private static readonly TimeZoneInfo Plus1WithSummer = TimeZoneInfo.CreateCustomTimeZone(
        "Test+1S", TimeSpan.FromHours(1), "Test+1S", "Test+1", "Test+2",
        [
            TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
                new DateTime(2000, 1, 1), new DateTime(2099, 12, 31), TimeSpan.FromHours(1),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
        ]);

    // 10 June 2025, 09:00 at the site.
    private static readonly DateTimeOffset Now = new(2025, 6, 10, 9, 0, 0, TimeSpan.FromHours(1));

    private static DateTimeOffset When(string text, DateTimeOffset? now = null, TimeZoneInfo? zone = null)
    {
        var result = AfterTime.Parse(text, now ?? Now, zone ?? Plus1);
        Assert.True(result.Success, result.Error);
        Assert.NotNull(result.When);
        return result.When.Value;
    }

    private static string Error(string text)
    {
        var result = AfterTime.Parse(text, Now, Plus1);
        Assert.False(result.Success);
        Assert.Null(result.When);
        return result.Error;
    }

    private static DateTimeOffset Site(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.FromHours(1));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_Empty_IsNoStartTime(string? text)
    {
        var result = AfterTime.Parse(text, Now, Plus1);

        Assert.True(result.Success);
        Assert.Null(result.When);
        Assert.Null(result.Error);
    }

    [Fact]
    public void Parse_MonthDayClock_TheDocumentedForm()
    {
        Assert.Equal(Site(2025, 6, 23, 13, 45), When("6 23 13:45"));
        Assert.Equal(Site(2025, 12, 14, 16, 24), When("12 14 16:24"));
    }

    [Fact]
    public void Parse_AuthorApiPaddedForm_AndSeconds()
    {
        Assert.Equal(Site(2025, 7, 5, 9, 5), When("07 05 09:05"));
        Assert.Equal(Site(2025, 12, 14, 16, 24, 5), When("12 14 16:24:05"));
    }

    [Fact]
    public void Parse_ClockOnly_IsTodayLaterOn()
    {
        Assert.Equal(Site(2025, 6, 10, 16, 30), When("16:30"));
        Assert.Equal(Site(2025, 6, 10, 23, 59), When("23:59"));
    }

    [Fact]
    public void Parse_ClockAlreadyPast_IsStillToday_SoTheJobIsReleasedAtOnce()
    {
        var when = When("8:00");

        Assert.Equal(Site(2025, 6, 10, 8, 0), when);
        Assert.True(when < Now);
    }

    [Fact]
    public void Parse_ClockOnly_UsesTheSiteDateNotUtc()
    {
        // 23:30 UTC on the 10th is 00:30 on the 11th at the site.
        var now = new DateTimeOffset(2025, 6, 10, 23, 30, 0, TimeSpan.Zero);

        Assert.Equal(Site(2025, 6, 11, 10, 0), When("10:00", now));
    }

    [Fact]
    public void Parse_MonthDay_IsMidnight()
    {
        Assert.Equal(Site(2025, 7, 4), When("7 4"));
    }

    [Fact]
    public void Parse_YearlessDateAlreadyPast_IsThisYear_SoTheJobIsReleasedAtOnce()
    {
        var when = When("1 15 10:00");

        Assert.Equal(Site(2025, 1, 15, 10, 0), when);
        Assert.True(when < Now);
    }

    [Theory]
    [InlineData("2026-01-02 03:04", 2026, 1, 2, 3, 4, 0)]
    [InlineData("2026-01-02 03:04:05", 2026, 1, 2, 3, 4, 5)]
    [InlineData("2026-01-02T03:04", 2026, 1, 2, 3, 4, 0)]
    [InlineData("2026-01-02", 2026, 1, 2, 0, 0, 0)]
    [InlineData("11/24 13:45", 2025, 11, 24, 13, 45, 0)]
    [InlineData("\"6 23 13:45\"", 2025, 6, 23, 13, 45, 0)]
    [InlineData("  6   23   13:45  ", 2025, 6, 23, 13, 45, 0)]
    public void Parse_OtherForms(string text, int year, int month, int day, int hour, int minute, int second)
    {
        Assert.Equal(Site(year, month, day, hour, minute, second), When(text));
    }

    [Fact]
    public void Parse_LeapDay_DependsOnTheYear()
    {
        var in2024 = new DateTimeOffset(2024, 1, 10, 9, 0, 0, TimeSpan.FromHours(1));

        Assert.Equal(Site(2024, 2, 29), When("2 29", in2024));
        Assert.Equal("-after '2 29': day 29 is out of range for month 2 of 2025 (1-28)", Error("2 29"));
    }

    [Theory]
    [InlineData("13 1 10:00", "month 13 is out of range (1-12)")]
    [InlineData("0 1", "month 0 is out of range (1-12)")]
    [InlineData("6 32", "day 32 is out of range (1-31)")]
    [InlineData("6 31", "day 31 is out of range for month 6 of 2025 (1-30)")]
    [InlineData("6 23 25:00", "hour 25 is out of range (0-23)")]
    [InlineData("24:00", "hour 24 is out of range (0-23)")]
    [InlineData("6 23 12:60", "minute 60 is out of range (0-59)")]
    [InlineData("12:30:61", "second 61 is out of range (0-59)")]
    [InlineData("2026-13-01 10:00", "month 13 is out of range (1-12)")]
    [InlineData("2026-02-30", "day 30 is out of range for month 2 of 2026 (1-28)")]
    [InlineData("13/1 10:00", "month 13 is out of range (1-12)")]
    public void Parse_OutOfRange_NamesTheField(string text, string problem)
    {
        Assert.Equal($"-after '{text}': {problem}", Error(text));
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("6 23 13:45 extra")]
    [InlineData("6 23 13")]
    [InlineData("-1 5")]
    [InlineData("6 23 1:2:3:4")]
    [InlineData("99999 1")]
    [InlineData("June 23 13:45")]
    [InlineData("26-01-02 10:00")]
    [InlineData(":")]
    [InlineData("6/23/2025 10:00")]
    public void Parse_Unrecognised_ListsTheForms(string text)
    {
        var error = Error(text);

        Assert.Equal(
            $"-after '{text}': expected 'month day hour:minute' (e.g. '6 23 13:45'), 'hour:minute', 'month day', 'month/day hour:minute' or 'yyyy-MM-dd HH:mm[:ss]'",
            error);
    }

    [Fact]
    public void Parse_OffsetFollowsDaylightSaving()
    {
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.FromHours(2)), When("7 1 12:00", zone: Plus1WithSummer));
        Assert.Equal(new DateTimeOffset(2025, 12, 1, 12, 0, 0, TimeSpan.FromHours(1)), When("12 1 12:00", zone: Plus1WithSummer));
    }

    [Fact]
    public void Parse_TimeSkippedBySpringForward_StartsAsMuchLater()
    {
        var when = When("3 30 02:30", zone: Plus1WithSummer);

        Assert.Equal(new DateTimeOffset(2025, 3, 30, 1, 30, 0, TimeSpan.Zero), when.ToUniversalTime());
        Assert.Equal(TimeSpan.FromHours(2), when.Offset);
    }

    [Fact]
    public void Parse_TimeRepeatedByFallBack_IsTheFirstOccurrence()
    {
        var when = When("10 26 02:30", zone: Plus1WithSummer);

        Assert.Equal(new DateTimeOffset(2025, 10, 26, 0, 30, 0, TimeSpan.Zero), when.ToUniversalTime());
    }
}
