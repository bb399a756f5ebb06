using CsCheck;
using Furrow.Core.Query;

namespace Furrow.Core.Tests.Query;

public sealed class TractorTimeTextTests
{
    private static readonly DateTimeOffset Time = new(2026, 12, 2, 4, 54, 34, 339, TimeSpan.Zero);

    // Zones with daylight saving of an hour and of half an hour (changing at 2:00 and at 2:30 local time), fixed offsets
    // either side of UTC, and the system's Monrovia (-0:44:30 until 1972), St. John's (-3:30 with daylight saving) and
    // Lord Howe (which moves by half an hour).
    private static readonly TimeZoneInfo[] Zones =
    [
        TimeZoneInfo.Utc,
        TimeZoneInfo.CreateCustomTimeZone("test-dst", TimeSpan.FromHours(-5), "test", "test", "test", [Saving(TimeSpan.FromHours(1), 3, 2, 11, 1, 0)]),
        TimeZoneInfo.CreateCustomTimeZone("test-halfdst", new TimeSpan(10, 30, 0), "test", "test", "test", [Saving(TimeSpan.FromMinutes(30), 10, 1, 4, 1, 0)]),
        TimeZoneInfo.CreateCustomTimeZone("test-halfdst-0230", new TimeSpan(10, 30, 0), "test", "test", "test", [Saving(TimeSpan.FromMinutes(30), 10, 1, 4, 1, 30)]),
        TimeZoneInfo.CreateCustomTimeZone("test-0330", -new TimeSpan(3, 30, 0), "test", "test"),
        TimeZoneInfo.CreateCustomTimeZone("test+1400", TimeSpan.FromHours(14), "test", "test"),
        TimeZoneInfo.FindSystemTimeZoneById("Africa/Monrovia"),
        TimeZoneInfo.FindSystemTimeZoneById("America/St_Johns"),
        TimeZoneInfo.FindSystemTimeZoneById("Australia/Lord_Howe"),
    ];

    // Daylight saving of `delta` from the `week`th Sunday of `startMonth` to that of `endMonth`, at 2:MM local time.
    private static TimeZoneInfo.AdjustmentRule Saving(TimeSpan delta, int startMonth, int startWeek, int endMonth, int endWeek, int minute) =>
        TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date, delta,
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, minute, 0), startMonth, startWeek, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, minute, 0), endMonth, endWeek, DayOfWeek.Sunday));

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
        // Times in and around every kind of transition are written with the offset in force at that instant.
        var day = TimeSpan.TicksPerDay;
        var ticks = Gen.OneOf(
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day],
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day].Select(t => t - t % TimeSpan.TicksPerSecond),
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - day].Select(t => t - t % (TimeSpan.TicksPerMillisecond * 10)));
        Gen.Select(ticks, Gen.Int[0, Zones.Length - 1]).Sample((utcTicks, zoneIndex) =>
        {
            var time = new DateTimeOffset(utcTicks, TimeSpan.Zero);
            var zone = Zones[zoneIndex];
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
    public void TheMinuteWriter_WritesEveryTimeOfARun_AsFormatDoes_AcrossTransitionsAndOddOffsets()
    {
        // Runs of times a few seconds to a few hours apart, as a reply's rows in spool order are, starting anywhere and
        // near the transitions of daylight saving, in every zone of Zones, so minutes kept and minutes written afresh both
        // occur.
        var day = TimeSpan.TicksPerDay;
        var starts = Gen.OneOf(
            Gen.Long[DateTimeOffset.MinValue.UtcTicks + day, DateTimeOffset.MaxValue.UtcTicks - 30 * day],
            // Around the spring and autumn transitions of both rules, in years of our time.
            Gen.Select(Gen.Int[1950, 2100], Gen.OneOf(Gen.Const(3), Gen.Const(4), Gen.Const(10), Gen.Const(11)), Gen.Int[0, 14 * 24 * 60])
                .Select((year, month, minutes) => new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks + minutes * TimeSpan.TicksPerMinute));
        var steps = Gen.OneOf(Gen.Long[0, TimeSpan.TicksPerSecond * 5], Gen.Long[0, TimeSpan.TicksPerMinute * 3], Gen.Long[0, TimeSpan.TicksPerHour]).Array[1, 200];
        Gen.Select(starts, steps, Gen.Int[0, Zones.Length - 1]).Sample((start, run, zoneIndex) =>
        {
            var zone = Zones[zoneIndex];
            var writer = new TractorTimeText.MinuteWriter(zone);
            var text = new byte[TractorTimeText.MaxLength];
            var ticks = start;
            foreach (var step in run)
            {
                ticks = Math.Min(ticks + step, DateTimeOffset.MaxValue.UtcTicks - day);
                var time = new DateTimeOffset(ticks, TimeSpan.Zero);
                var length = writer.Format(time, text);
                Assert.Equal(TractorTimeText.Format(time, zone), System.Text.Encoding.ASCII.GetString(text, 0, length));
            }
        }, iter: 3_000);
    }

    [Fact]
    public void ADestinationShorterThanTheLongestText_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TractorTimeText.Format(Time, TimeZoneInfo.Utc, new byte[TractorTimeText.MaxLength - 1]));
    }
}
