using System.Globalization;

namespace Furrow.Core.Text;

/// <summary>
/// How a value given as text reads as an id, a whole number, a decimal number, a switch or a list of ids: one rule for
/// every way a value arrives (a native API parameter, a Tractor parameter or <c>set_KEY=</c> value, a tq or tractor-spool
/// word), so a value one verb takes is never one a similar verb refuses. Each rule is strict: ASCII digits, no white
/// space around or inside, no <c>+</c>, no exponent, no thousands separator. .NET's own parsing passes over surrounding
/// white space (and trailing NULs), which let <c>set_maxactive=%203</c> through where <c>maxactive=%203</c> was refused.
/// </summary>
public static class ValueText
{
    /// <summary>The words <see cref="Switch"/> reads, as messages list them.</summary>
    public const string SwitchWords = "1, 0, true, false, yes, no, on or off";

    /// <summary>
    /// A job, task, command or invocation id: ASCII digits only, a whole number from 1 to <see cref="long.MaxValue"/>.
    /// </summary>
    public static bool IsId(string? text, out long id)
    {
        id = 0;
        return AllDigits(text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }

    /// <summary>A count or limit: ASCII digits only, a whole number from 0 to <see cref="int.MaxValue"/>.</summary>
    public static bool IsWhole(string? text, out int value)
    {
        value = 0;
        return AllDigits(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A count or time in whole units (Unix ms): ASCII digits only, from 0 to <see cref="long.MaxValue"/>.</summary>
    public static bool IsWholeLong(string? text, out long value)
    {
        value = 0;
        return AllDigits(text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A decimal number such as a priority or a time in seconds: an optional <c>-</c>, then digits with at most one
    /// <c>.</c> among or before them (<c>5</c>, <c>-2.5</c>, <c>.5</c>, <c>5.</c>); always finite.
    /// </summary>
    public static bool IsDecimal(string? text, out double value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text))
            return false;
        var body = text[0] == '-' ? text.AsSpan(1) : text.AsSpan();
        var digits = 0;
        var points = 0;
        foreach (var c in body)
        {
            if (char.IsAsciiDigit(c))
                digits++;
            else if (c == '.')
                points++;
            else
                return false;
        }
        return digits > 0 && points <= 1
            && double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    /// <summary>
    /// <paramref name="value"/> (finite) written as <see cref="IsDecimal"/> reads it: the shortest text that reads back
    /// as the same number (<c>2.5</c>, <c>-3</c>), in plain digits where .NET would write an exponent (<c>1E-05</c> is
    /// written <c>0.00001</c>), so a client's number is never one the engine refuses for its form. NaN and the
    /// infinities are written as .NET writes them, for the engine to refuse by name.
    /// </summary>
    public static string Decimal(double value)
    {
        if (!double.IsFinite(value))
            return value.ToString(CultureInfo.InvariantCulture);
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        if (!shortest.Contains('E', StringComparison.Ordinal))
            return shortest;
        // decimal holds 28 digits: enough for any priority or time, and far past the range for larger ones, which are then
        // written whole (their range is refused by name, not their form).
        return Math.Abs(value) is >= 1e-20 and < 7.9e28
            ? ((decimal)value).ToString(CultureInfo.InvariantCulture)
            : value.ToString("F0", CultureInfo.InvariantCulture);
    }

    /// <summary>A switch (paused, lock, ...): true for 1, true, yes or on; false for 0, false, no or off (any case); else null.</summary>
    public static bool? Switch(string? text) => text?.ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>
    /// The items of a list value such as an afterjids or a retry list: separated by commas, white space, or a comma with
    /// white space around it (<c>1,2</c>, <c>1 2</c>, <c>1, 2</c>). Only white space gives no items. A comma with no item
    /// before or after it (<c>1,,2</c>, <c>1,</c>, <c>,1</c>) is a missing item, not a separator: null, and
    /// <paramref name="problem"/> says where.
    /// </summary>
    public static List<string>? Items(string text, out string? problem)
    {
        problem = MissingItem(text);
        if (problem is not null)
            return null;
        return [.. text.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>
    /// Why a comma-joined list has a missing item, or null: <c>''</c> (no items) and <c>'a, b'</c> are lists;
    /// <c>'a,,b'</c>, <c>'a,'</c>, <c>',a'</c> and <c>','</c> are not.
    /// </summary>
    public static string? MissingItem(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (string.IsNullOrWhiteSpace(list))
            return null;
        var parts = list.Split(',');
        for (var i = 0; i < parts.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(parts[i]))
                return i == 0 ? "it starts with a comma" : i == parts.Length - 1 ? "it ends with a comma" : "it has two commas with nothing between them";
        }
        return null;
    }

    private static bool AllDigits(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }
        return true;
    }
}
