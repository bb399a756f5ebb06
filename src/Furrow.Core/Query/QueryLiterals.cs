using System.Globalization;
using System.Text.RegularExpressions;

namespace Furrow.Core.Query;

/// <summary>Reads clause words as typed literals: numbers with units, wall-clock and relative times, booleans.</summary>
internal static partial class QueryLiterals
{
    /// <summary>
    /// Converts <paramref name="text"/> to a value for <paramref name="column"/>; on failure returns false with a
    /// description of what was expected.
    /// </summary>
    public static bool TryConvert(string text, QueryColumn column, QueryContext context, out QueryValue value, out string expected)
    {
        expected = "";
        switch (column.Type)
        {
            case QueryColumnType.Int or QueryColumnType.IntList:
                // A whole-number column holds 64-bit integers: a number past them would compare as a float and quietly
                // match nothing (or everything), so it is refused naming the bounds.
                if (TryParseNumber(text, out value) && (value.Kind == QueryValueKind.Int || Math.Abs(value.AsFloat) < IntegerBound))
                    return true;
                expected = value.Kind == QueryValueKind.Float
                    ? $"a number from {long.MinValue} to {long.MaxValue}"
                    : "a number (units s m h d w or B K M G T P allowed)";
                value = default;
                return false;
            case QueryColumnType.Float:
                if (TryParseNumber(text, out value))
                    return true;
                expected = "a number (units s m h d w or B K M G T P allowed)";
                return false;
            case QueryColumnType.Time:
                if (TryParseTime(text, context, out var time))
                {
                    value = QueryValue.From(time);
                    return true;
                }

                value = default;
                expected = "a time such as -1h, 10am, 4:21pm, 3/15, 3/15|4pm or 3/15/05";
                return false;
            case QueryColumnType.Bool:
                if (TryParseBool(text, out var flag))
                {
                    value = QueryValue.From(flag);
                    return true;
                }

                value = default;
                expected = "true or false (or t, yes, y, on, 1 / f, no, n, off, 0)";
                return false;
            case QueryColumnType.String when column.Words is { } words && !words.Contains(text, StringComparer.Ordinal):
                value = default;
                expected = $"one of {string.Join(", ", words)}";
                return false;
            default:
                value = QueryValue.From(text);
                return true;
        }
    }

    // 2^63: the first magnitude a long cannot hold.
    private const double IntegerBound = 9223372036854775808.0;

    /// <summary>A number, optionally with a time unit (s m h d w, in seconds) or a byte unit (B K M G T P, 1024-based).</summary>
    public static bool TryParseNumber(string text, out QueryValue value)
    {
        value = default;
        if (text.Length == 0)
            return false;
        var multiplier = UnitMultiplier(text[^1]);
        var digits = multiplier == 0 ? text : text[..^1];
        if (multiplier == 0)
            multiplier = 1;
        if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            try
            {
                value = QueryValue.From(checked(whole * multiplier));
                return true;
            }
            catch (OverflowException)
            {
                // Falls through to the floating-point reading, which cannot overflow for these magnitudes.
            }
        }

        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) || !double.IsFinite(real))
            return false;
        value = QueryValue.From(real * multiplier);
        return true;
    }

    private static long UnitMultiplier(char unit) => unit switch
    {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        'w' => 7 * 86400,
        'B' or 'b' => 1,
        'K' or 'k' => 1L << 10,
        'M' => 1L << 20,
        'G' or 'g' => 1L << 30,
        'T' or 't' => 1L << 40,
        'P' or 'p' => 1L << 50,
        _ => 0,
    };

    /// <summary>
    /// The words PostgreSQL takes for a boolean, which is what a clause such as `paused=t` meets on Tractor's engine:
    /// `true`, `t`, `yes`, `y`, `on`, `1` and `false`, `f`, `no`, `n`, `off`, `0`, in any case. Any other word (`maybe`,
    /// `2`) is refused rather than read as a guess.
    /// </summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.ToLowerInvariant())
        {
            case "1" or "true" or "t" or "yes" or "y" or "on":
                value = true;
                return true;
            case "0" or "false" or "f" or "no" or "n" or "off":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>
    /// Relative (`-1h`, now minus an hour), wall-clock in the context's zone (`10am`, `11:37`, `4:21pm`, `3/15`,
    /// `3/15|4pm`, `3/15/05`), ISO 8601 (`2024-03-15T10:00Z`), or a plain number of Unix seconds.
    /// </summary>
    public static bool TryParseTime(string text, QueryContext context, out DateTimeOffset time)
    {
        time = default;
        if (text.Length > 1 && text[0] is '-' or '+')
        {
            var magnitude = text[1..];
            if (char.IsLetter(magnitude[^1]) && "smhdw".IndexOf(magnitude[^1]) < 0)
                return false;
            if (!TryParseNumber(magnitude, out var seconds))
                return false;
            // A relative time must land between year 1 and 9999: past that it is no time at all, not a crash.
            var secs = seconds.AsFloat;
            var limit = text[0] == '-' ? (context.Now - DateTimeOffset.MinValue).TotalSeconds : (DateTimeOffset.MaxValue - context.Now).TotalSeconds;
            if (!double.IsFinite(secs) || secs > limit - 1)
                return false;
            var offset = TimeSpan.FromSeconds(secs);
            time = text[0] == '-' ? context.Now - offset : context.Now + offset;
            return true;
        }

        if (IsoDate().IsMatch(text))
            return TryParseAbsolute(text, context, out time);

        var local = TimeZoneInfo.ConvertTime(context.Now, context.TimeZone).DateTime;
        var bar = text.IndexOf('|');
        var datePart = bar >= 0 ? text[..bar] : text.Contains('/') ? text : null;
        var clockPart = bar >= 0 ? text[(bar + 1)..] : datePart is null ? text : null;

        if (datePart is null && clockPart is not null && !clockPart.Contains(':') && !EndsWithMeridiem(clockPart))
            return TryParseAbsolute(text, context, out time);

        var date = local.Date;
        if (datePart is not null && !TryParseDate(datePart, local.Year, out date))
            return false;
        var clock = TimeSpan.Zero;
        if (clockPart is not null && !TryParseClock(clockPart, out clock))
            return false;

        var wall = DateTime.SpecifyKind(date + clock, DateTimeKind.Unspecified);
        time = new DateTimeOffset(wall, context.TimeZone.GetUtcOffset(wall));
        return true;
    }

    private static bool EndsWithMeridiem(string s) =>
        s.EndsWith("am", StringComparison.OrdinalIgnoreCase) || s.EndsWith("pm", StringComparison.OrdinalIgnoreCase);

    private static bool TryParseAbsolute(string text, QueryContext context, out DateTimeOffset time)
    {
        time = default;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            if (unix > 253402300799)
                return false;
            time = DateTimeOffset.FromUnixTimeSeconds(unix);
            return true;
        }

        if (!IsoDate().IsMatch(text))
            return false;
        if (IsoOffset().IsMatch(text))
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
            return false;
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        time = new DateTimeOffset(wall, context.TimeZone.GetUtcOffset(wall));
        return true;
    }

    private static bool TryParseDate(string text, int currentYear, out DateTime date)
    {
        date = default;
        var m = SlashDate().Match(text);
        if (!m.Success)
            return false;
        var month = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var year = currentYear;
        if (m.Groups[3].Success)
        {
            year = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            // Two-digit years follow the POSIX strptime pivot: 69–99 are 1900s, 00–68 are 2000s.
            if (m.Groups[3].Value.Length == 2)
                year += year < 69 ? 2000 : 1900;
        }

        if (month is < 1 or > 12 || year is < 1 or > 9999 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified);
        return true;
    }

    private static bool TryParseClock(string text, out TimeSpan clock)
    {
        clock = default;
        var m = Clock().Match(text);
        if (!m.Success)
            return false;
        var hour = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var minute = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        var second = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        if (minute > 59 || second > 59)
            return false;
        if (m.Groups[4].Success)
        {
            if (hour is < 1 or > 12)
                return false;
            var pm = char.ToLowerInvariant(m.Groups[4].Value[0]) == 'p';
            hour = hour % 12 + (pm ? 12 : 0);
        }
        else if (hour > 23)
        {
            return false;
        }

        clock = new TimeSpan(hour, minute, second);
        return true;
    }

    [GeneratedRegex(@"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex SlashDate();

    [GeneratedRegex(@"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(am|pm)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Clock();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"(?:Z|[+-]\d{2}:?\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoOffset();
}
