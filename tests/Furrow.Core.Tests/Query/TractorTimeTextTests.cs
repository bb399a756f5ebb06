using CsCheck;
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

    [Fact]
    public void AnyTimeInAnyZone_IsTheZonesClockAsDotNetPrintsIt_WithTheFractionAndOffsetAsTheDatabasePrintsThem()
    {
        // Zones with daylight saving of an hour and of half an hour, and fixed offsets either side of UTC, so times in
        // and around every kind of transition are written with the offset in force at that instant.
        var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date,
            TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 2, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 11, 1, DayOfWeek.Sunday));
        var halfHour = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date,
            TimeSpan.FromMinutes(30),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 10, 1, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 4, 1, DayOfWeek.Sunday));
        TimeZoneInfo[] zones =
        [
            TimeZoneInfo.Utc,
            TimeZoneInfo.CreateCustomTimeZone("test-dst", TimeSpan.FromHours(-5), "test", "test", "test", [rule]),
            TimeZoneInfo.CreateCustomTimeZone("test-halfdst", new TimeSpan(10, 30, 0), "test", "test", "test", [halfHour]),
            TimeZoneInfo.CreateCustomTimeZone("test-0330", -new TimeSpan(3, 30, 0), "test", "test"),
            TimeZoneInfo.CreateCustomTimeZone("test+1400", TimeSpan.FromHours(14), "test", "test"),
        ];
        var day = TimeSpan.TicksPerDay;
        var ticks = Gen.OneOf(
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day],
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day].Select(t => t - t % TimeSpan.TicksPerSecond),
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day].Select(t => t - t % (TimeSpan.TicksPerMillisecond * 10)));
        Gen.Select(ticks, Gen.Int[0, zones.Length - 1]).Sample((utcTicks, zoneIndex) =>
        {
            var time = new DateTimeOffset(utcTicks, TimeSpan.Zero);
            var zone = zones[zoneIndex];
            var local = TimeZoneInfo.ConvertTime(time, zone);
            var fraction = local.Millisecond == 0 ? "" : "." + local.Millisecond.ToString("000", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0');
            var offset = local.Offset;
            var offsetText = (offset < TimeSpan.Zero ? "-" : "+") + Math.Abs(offset.Hours).ToString("00", System.Globalization.CultureInfo.InvariantCulture)
                + (offset.Minutes == 0 ? "" : ":" + Math.Abs(offset.Minutes).ToString("00", System.Globalization.CultureInfo.InvariantCulture));
            var expected = local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + fraction + offsetText;
            Assert.Equal(expected, TractorTimeText.Format(time, zone));
        }, iter: 20_000);
    }

    [Fact]
    public void ADestinationShorterThanTheLongestText_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TractorTimeText.Format(Time, TimeZoneInfo.Utc, new byte[TractorTimeText.MaxLength - 1]));
    }
}
