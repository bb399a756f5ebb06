using System.Globalization;
using System.Text;

namespace Furrow.Core.Text;

/// <summary>
/// Text a user wrote (a title, an owner, a blade name, a command's words) made safe to show on a terminal: every control
/// character (C0, DEL, C1), line and paragraph separator and bidirectional override is written as an escape
/// (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\xHH</c>, <c>\uHHHH</c>), so the terminal shows it and never obeys it.
/// </summary>
public static class TerminalText
{
    /// <summary>
    /// A value a caller sent, as a message quotes it: its first 60 characters (a 5,000-character session is not echoed
    /// whole) with "..." after them when cut, each control character written as an escape (<see cref="Escape"/>), so a
    /// newline sent in a value starts no line of its own in a log or on a terminal.
    /// </summary>
    public static string Shown(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var cut = value.Length <= 60 ? value : value[..60];
        return Escape(cut) + (cut.Length < value.Length ? "..." : "");
    }

    /// <summary>The text with every character <see cref="NeedsEscape"/> names written as an escape; the same string when it has none.</summary>
    public static string Escape(string text)
    {
        if (!text.AsSpan().ContainsAny(Unsafe))
            return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
            Append(sb, c);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="c"/> to <paramref name="sb"/>, escaped when <see cref="NeedsEscape"/> says so.</summary>
    public static void Append(StringBuilder sb, char c)
    {
        if (!NeedsEscape(c))
            sb.Append(c);
        else if (c == '\n')
            sb.Append("\\n");
        else if (c == '\r')
            sb.Append("\\r");
        else if (c == '\t')
            sb.Append("\\t");
        else if (c <= 0xFF)
            sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
        else
            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
    }

    /// <summary>True for a character a terminal could act on or that reorders what follows it.</summary>
    public static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F';

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, 0x10000).Select(i => (char)i).Where(NeedsEscape).ToArray());
}
