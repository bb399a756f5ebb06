using System.Globalization;

namespace Furrow.Core.Output;

/// <summary>
/// Tractor's progress directives, one output line each: <c>TR_PROGRESS nn%</c>, Alfred's <c>ALF_PROGRESS nn%</c>, and
/// RenderMan's progress message <c>R90000 nn%</c> (prman <c>-Progress</c>; also with the thread prefix prman may put
/// first, as in <c>[03] R90000  45%</c>). nn is a whole or decimal number from 0 to 100 (a decimal is cut to its whole
/// part); only white space may come before the keyword, between it and the number, and after the <c>%</c>.
/// </summary>
public static class ProgressDirective
{
    private static readonly string[] Keywords = ["TR_PROGRESS", "ALF_PROGRESS", "R90000"];

    /// <summary>The percentage a line gives (0 to 100), or null when it is not a progress directive or its value is out of range.</summary>
    public static int? Parse(ReadOnlySpan<char> line)
    {
        var text = line.Trim();
        if (text.StartsWith('['))
        {
            // A renderer's own prefix (prman's thread number): only for its own message, and only digits inside.
            var close = text.IndexOf(']');
            if (close < 2 || text[1..close].ContainsAnyExceptInRange('0', '9')
                || !text[(close + 1)..].TrimStart().StartsWith("R90000", StringComparison.Ordinal))
                return null;
            text = text[(close + 1)..].TrimStart();
        }
        foreach (var keyword in Keywords)
        {
            if (!text.StartsWith(keyword, StringComparison.Ordinal))
                continue;
            var rest = text[keyword.Length..];
            if (rest.Length == 0 || !char.IsWhiteSpace(rest[0]) || rest[^1] != '%')
                return null;
            var number = rest[..^1].Trim();
            if (number.Length == 0 || !char.IsAsciiDigit(number[0]) || !char.IsAsciiDigit(number[^1])
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) || percent > 100)
                return null;
            return (int)decimal.Truncate(percent);
        }
        return null;
    }
}
