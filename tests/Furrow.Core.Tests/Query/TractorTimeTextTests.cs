using Furrow.Core.Query;

namespace Furrow.Core.Tests.Query;

public sealed class TractorTimeTextTests
{
    private static readonly DateTimeOffset Time = new(2026, 12, 2, 4, 54, 34, 339, TimeSpan.Zero);

    [Fact]
    public void InUtc_HasTheFractionAndAnHourOffset()
    {
        Assert.Equal("2026-12-02 04:54:34.339+00", TractorTimeText.Format(Time, TimeZoneInfo.Utc));
    }

    [Fact]
    public void TheFraction_LosesTrailingZeros_AndGoesWhenZero()
    {
        Assert.Equal("2026-12-02 04:54:34.3+00", TractorTimeText.Format(Time.AddMilliseconds(-39), TimeZoneInfo.Utc));
        Assert.Equal("2026-12-02 04:54:34+00", TractorTimeText.Format(Time.AddMilliseconds(-339), TimeZoneInfo.Utc));
    }

    [Fact]
    public void InAnotherZone_IsThatZonesClock_WithMinutesInTheOffsetOnlyWhenThereAreAny()
    {
        var india = TimeZoneInfo.CreateCustomTimeZone("test+0530", new TimeSpan(5, 30, 0), "test", "test");
        var newYork = TimeZoneInfo.CreateCustomTimeZone("test-0500", TimeSpan.FromHours(-5), "test", "test");
        Assert.Equal("2026-12-02 10:24:34.339+05:30", TractorTimeText.Format(Time, india));
        Assert.Equal("2026-12-01 23:54:34.339-05", TractorTimeText.Format(Time, newYork));
    }

    [Theory]
    [InlineData(1, "+00")]
    [InlineData(30, "+00")]
    [InlineData(5, "+00")]
    [InlineData(999, "-03:30")]
    [InlineData(120, "+12:45")]
    public void EveryFractionAndOffset_IsWrittenAsTheDatabasePrintsIt(int millisecond, string offset)
    {
        var hours = int.Parse(offset[1..3], System.Globalization.CultureInfo.InvariantCulture);
        var minutes = offset.Length > 3 ? int.Parse(offset[4..], System.Globalization.CultureInfo.InvariantCulture) : 0;
        var span = new TimeSpan(hours, minutes, 0);
        var zone = TimeZoneInfo.CreateCustomTimeZone("test", offset[0] == '-' ? -span : span, "test", "test");
        var time = new DateTimeOffset(2001, 1, 9, 7, 5, 3, millisecond, TimeSpan.Zero);
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var fraction = millisecond.ToString("000", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0');

        Assert.Equal($"{local:yyyy-MM-dd HH:mm:ss}.{fraction}{offset}", TractorTimeText.Format(time, zone));
    }
}
