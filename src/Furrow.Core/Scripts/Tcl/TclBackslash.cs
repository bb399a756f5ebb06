using System.Globalization;
using System.Text;

namespace Furrow.Core.Scripts.Tcl;

/// <summary>Backslash substitution, in Tcl's full form or in the lenient form used for command lines.</summary>
internal static class TclBackslash
{
    public enum Mode
    {
        /// <summary>Tcl's rules: \n, \t, \xHH, \uHHHH, octal, and any other character stands for itself.</summary>
        Tcl,

        /// <summary>
        /// Only quoting escapes (\\ \" \{ \} \[ \] \$ \; and escaped blanks) are substituted; any other backslash is kept.
        /// Command lines carry Windows paths such as <c>"C:\Program Files\Nuke15.1v2\Nuke15.1.exe"</c>, which
        /// Tcl's rules would turn into <c>C:Program FilesNuke15.1v2Nuke15.1.exe</c>.
        /// </summary>
        Lenient,
    }

    /// <summary>Appends the substitution of the backslash sequence at <paramref name="p"/> and returns where it ends.</summary>
    public static int Append(string text, int p, int end, StringBuilder sb, Mode mode)
    {
        if (p + 1 >= end)
        {
            sb.Append('\\');
            return p + 1;
        }

        if (TclLexer.IsLineContinuation(text, p, end))
        {
            sb.Append(' ');
            return TclLexer.AfterLineContinuation(text, p, end);
        }

        var c = text[p + 1];
        if (mode == Mode.Lenient)
        {
            if (c is '\\' or '"' or '{' or '}' or '[' or ']' or '$' or ';' or ' ' or '\t')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('\\').Append(c);
            }

            return p + 2;
        }

        switch (c)
        {
            case 'a': sb.Append('\a'); return p + 2;
            case 'b': sb.Append('\b'); return p + 2;
            case 'f': sb.Append('\f'); return p + 2;
            case 'n': sb.Append('\n'); return p + 2;
            case 'r': sb.Append('\r'); return p + 2;
            case 't': sb.Append('\t'); return p + 2;
            case 'v': sb.Append('\v'); return p + 2;
            case 'x': return AppendHex(text, p, end, sb, 2);
            case 'u': return AppendHex(text, p, end, sb, 4);
            case 'U': return AppendHex(text, p, end, sb, 8);
        }

        if (c is >= '0' and <= '7')
        {
            var q = p + 1;
            var value = 0;
            while (q < end && q < p + 4 && text[q] is >= '0' and <= '7')
            {
                value = (value * 8) + (text[q] - '0');
                q++;
            }

            sb.Append((char)(value & 0xFF));
            return q;
        }

        sb.Append(c);
        return p + 2;
    }

    /// <summary>
    /// Whether what was appended from <paramref name="from"/> on holds a NUL (`\0`, `\x00`, `\u0000`): no title, value or
    /// command argument can hold one (an argv string ends at it), so the parsers refuse it where it was written.
    /// </summary>
    public static bool MadeNul(StringBuilder sb, int from)
    {
        for (var i = from; i < sb.Length; i++)
        {
            if (sb[i] == '\0')
                return true;
        }
        return false;
    }

    /// <summary>The error for a backslash sequence that makes a NUL.</summary>
    public const string NulMessage = "backslash sequence makes a NUL character, which no title, value or command argument can hold";

    private static int AppendHex(string text, int p, int end, StringBuilder sb, int maxDigits)
    {
        var q = p + 2;
        while (q < end && q < p + 2 + maxDigits && char.IsAsciiHexDigit(text[q]))
        {
            q++;
        }

        if (q == p + 2)
        {
            // "\x" without digits is just "x", as in Tcl.
            sb.Append(text[p + 1]);
            return q;
        }

        var value = int.Parse(text.AsSpan(p + 2, q - p - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        {
            value = 0xFFFD;
        }

        sb.Append(char.ConvertFromUtf32(value));
        return q;
    }
}
