using System.Globalization;
using System.Text;

namespace Furrow.Core.Query;

/// <summary>
/// A time as Tractor's job database prints a timestamp with time zone, the form Tractor's query API hands its callers
/// (TRACTOR-PROTOCOL §4a): `YYYY-MM-DD HH:MM:SS[.fff]±HH[:MM]` in a given zone, the fraction without trailing zeros and
/// left out when zero, e.g. `2026-12-02 04:54:34.339+00`.
/// </summary>
public static class TractorTimeText
{
    /// <summary>The text of <paramref name="time"/> in <paramref name="zone"/>.</summary>
    public static string Format(DateTimeOffset time, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var text = new StringBuilder(32);
        text.Append(local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        if (local.Millisecond != 0)
            text.Append('.').Append(local.Millisecond.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        var offset = local.Offset;
        text.Append(offset < TimeSpan.Zero ? '-' : '+').Append(Math.Abs(offset.Hours).ToString("00", CultureInfo.InvariantCulture));
        if (offset.Minutes != 0)
            text.Append(':').Append(Math.Abs(offset.Minutes).ToString("00", CultureInfo.InvariantCulture));
        return text.ToString();
    }
}
