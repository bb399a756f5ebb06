using System.Globalization;

namespace Furrow.Core.Query;

/// <summary>
/// A time as Tractor's job database prints a timestamp with time zone, the form Tractor's query API hands its callers
/// (TRACTOR-PROTOCOL §4a): `YYYY-MM-DD HH:MM:SS[.fff]±HH[:MM]` in a given zone, the fraction without trailing zeros and
/// left out when zero, e.g. `2026-12-02 04:54:34.339+00`. Years outside 0001-9999 cannot occur (DateTimeOffset's range).
/// </summary>
public static class TractorTimeText
{
    /// <summary>The longest text <see cref="Format(DateTimeOffset, TimeZoneInfo, Span{byte})"/> writes, in bytes.</summary>
    public const int MaxLength = 29;

    /// <summary>The text of <paramref name="time"/> in <paramref name="zone"/>.</summary>
    public static string Format(DateTimeOffset time, TimeZoneInfo zone)
    {
        Span<byte> text = stackalloc byte[MaxLength];
        return System.Text.Encoding.ASCII.GetString(text[..Format(time, zone, text)]);
    }

    /// <summary>
    /// Writes the text of <paramref name="time"/> in <paramref name="zone"/> as ASCII into <paramref name="destination"/>
    /// (at least <see cref="MaxLength"/> bytes, else <see cref="ArgumentException"/>) and gives its length: a reply of
    /// many rows writes each time without a string of its own, so the clock's fields come from one split of its ticks
    /// rather than a calendar computation per field (a 10,000-row select writes one per row).
    /// </summary>
    public static int Format(DateTimeOffset time, TimeZoneInfo zone, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, MaxLength, nameof(destination));
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var clock = local.DateTime;
        clock.Deconstruct(out int year, out int month, out int day);
        var ofDay = clock.Ticks % TimeSpan.TicksPerDay;
        var seconds = (int)(ofDay / TimeSpan.TicksPerSecond);
        var millisecond = (int)(ofDay / TimeSpan.TicksPerMillisecond % 1000);
        var text = destination[..MaxLength];
        TwoDigits(text, 0, year / 100);
        TwoDigits(text, 2, year % 100);
        text[4] = (byte)'-';
        TwoDigits(text, 5, month);
        text[7] = (byte)'-';
        TwoDigits(text, 8, day);
        text[10] = (byte)' ';
        TwoDigits(text, 11, seconds / 3600);
        text[13] = (byte)':';
        TwoDigits(text, 14, seconds / 60 % 60);
        text[16] = (byte)':';
        TwoDigits(text, 17, seconds % 60);
        var at = Fraction(text, 19, millisecond);
        var offsetMinutes = (int)(local.Offset.Ticks / TimeSpan.TicksPerMinute);
        text[at++] = offsetMinutes < 0 ? (byte)'-' : (byte)'+';
        offsetMinutes = Math.Abs(offsetMinutes);
        TwoDigits(text, at, offsetMinutes / 60);
        at += 2;
        if (offsetMinutes % 60 != 0)
        {
            text[at++] = (byte)':';
            TwoDigits(text, at, offsetMinutes % 60);
            at += 2;
        }
        return at;
    }

    /// <summary>
    /// Writes many times in one zone, as <see cref="Format(DateTimeOffset, TimeZoneInfo, Span{byte})"/> writes each, but
    /// keeps the text of the last UTC minute written (`YYYY-MM-DD HH:MM:` and the offset): the rows of a reply are mostly
    /// in spool order, so consecutive times often share their minute and only seconds and fraction are new. A minute is
    /// kept only when the zone's offset is the same at its first and last tick and is whole minutes, so the text is the
    /// same as Format's for every instant (a transition inside a minute, or an offset with seconds, is written by Format).
    /// One writer's, used by one call at a time.
    /// </summary>
    public sealed class MinuteWriter(TimeZoneInfo zone)
    {
        private readonly TimeZoneInfo _zone = zone ?? throw new ArgumentNullException(nameof(zone));
        private readonly byte[] _prefix = new byte[17];
        private readonly byte[] _offset = new byte[MaxLength];
        private int _offsetLength;
        private long _minute = long.MinValue;
        private bool _kept;

        /// <summary>Writes the text of <paramref name="time"/> into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes) and gives its length.</summary>
        public int Format(DateTimeOffset time, Span<byte> destination)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, MaxLength, nameof(destination));
            var utcTicks = time.UtcTicks;
            var minute = utcTicks / TimeSpan.TicksPerMinute;
            if (minute != _minute)
                Keep(minute);
            if (!_kept)
                return TractorTimeText.Format(time, _zone, destination);
            var within = utcTicks - minute * TimeSpan.TicksPerMinute;
            var seconds = (int)(within / TimeSpan.TicksPerSecond);
            var millisecond = (int)(within / TimeSpan.TicksPerMillisecond % 1000);
            _prefix.CopyTo(destination);
            TwoDigits(destination, 17, seconds);
            var at = Fraction(destination, 19, millisecond);
            _offset.AsSpan(0, _offsetLength).CopyTo(destination[at..]);
            return at + _offsetLength;
        }

        private void Keep(long minute)
        {
            _minute = minute;
            _kept = false;
            var first = minute * TimeSpan.TicksPerMinute;
            var last = first + TimeSpan.TicksPerMinute - 1;
            if (last > DateTimeOffset.MaxValue.UtcTicks)
                return;
            try
            {
                var offset = _zone.GetUtcOffset(new DateTimeOffset(first, TimeSpan.Zero));
                if (offset != _zone.GetUtcOffset(new DateTimeOffset(last, TimeSpan.Zero)) || offset.Ticks % TimeSpan.TicksPerMinute != 0)
                    return;
                // The minute's first instant: its seconds are 00 and it has no fraction, so what follows them is the offset.
                Span<byte> text = stackalloc byte[MaxLength];
                var length = TractorTimeText.Format(new DateTimeOffset(first, TimeSpan.Zero), _zone, text);
                text[..17].CopyTo(_prefix);
                _offsetLength = length - 19;
                text[19..length].CopyTo(_offset);
                _kept = true;
            }
            catch (ArgumentOutOfRangeException)
            {
                // A minute at the very edge of the calendar, where the zone's clock leaves DateTime's range: Format says so.
            }
        }
    }

    // The fraction of a second as the database prints it, from `at`; gives the position after it.
    private static int Fraction(Span<byte> text, int at, int millisecond)
    {
        if (millisecond == 0)
            return at;
        // Trailing zeros of the fraction are left out, as the database prints it: .3, .34, .339.
        text[at++] = (byte)'.';
        text[at++] = (byte)('0' + millisecond / 100);
        if (millisecond % 100 != 0)
        {
            text[at++] = (byte)('0' + millisecond / 10 % 10);
            if (millisecond % 10 != 0)
                text[at++] = (byte)('0' + millisecond % 10);
        }
        return at;
    }

    private static void TwoDigits(Span<byte> text, int at, int value)
    {
        text[at] = (byte)('0' + value / 10);
        text[at + 1] = (byte)('0' + value % 10);
    }
}
