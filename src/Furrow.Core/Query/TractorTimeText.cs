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
    /// (at least <see cref="MaxLength"/> bytes) and gives its length: a reply of many rows writes each time without a
    /// string of its own.
    /// </summary>
    public static int Format(DateTimeOffset time, TimeZoneInfo zone, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var at = 0;
        void Digits(Span<byte> to, int value, int count)
        {
            for (var i = count - 1; i >= 0; i--)
            {
                to[at + i] = (byte)('0' + value % 10);
                value /= 10;
            }
            at += count;
        }
        void Char(Span<byte> to, char c) => to[at++] = (byte)c;

        Digits(destination, local.Year, 4);
        Char(destination, '-');
        Digits(destination, local.Month, 2);
        Char(destination, '-');
        Digits(destination, local.Day, 2);
        Char(destination, ' ');
        Digits(destination, local.Hour, 2);
        Char(destination, ':');
        Digits(destination, local.Minute, 2);
        Char(destination, ':');
        Digits(destination, local.Second, 2);
        if (local.Millisecond is var ms and not 0)
        {
            Char(destination, '.');
            var (digits, value) = ms % 100 == 0 ? (1, ms / 100) : ms % 10 == 0 ? (2, ms / 10) : (3, ms);
            Digits(destination, value, digits);
        }
        var offset = local.Offset;
        Char(destination, offset < TimeSpan.Zero ? '-' : '+');
        Digits(destination, Math.Abs(offset.Hours), 2);
        if (offset.Minutes != 0)
        {
            Char(destination, ':');
            Digits(destination, Math.Abs(offset.Minutes), 2);
        }
        return at;
    }
}
