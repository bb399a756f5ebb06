using System.Globalization;
using System.Text;

namespace Furrow.Core.Config;

/// <summary>
/// Whether a job's owner is a plain account name, checked before the name reaches the user database or a command line.
/// Owner names are user input: a name starting with <c>-</c> reads as an option to a tool, <c>/</c> and <c>..</c> as
/// paths, <c>:</c> and <c>,</c> split <c>/etc/passwd</c> and group lists, a name of digits only reads as a uid, and a
/// control character can rewrite an operator's terminal. So a plain name is what POSIX calls portable, as useradd
/// accepts it: ASCII letters, digits, <c>.</c>, <c>_</c> and <c>-</c> (and <c>@</c>, for directory services' user@realm
/// names), not starting with <c>-</c>, <c>.</c> or <c>@</c>, not all digits, an optional <c>$</c> at the end (Samba's machine
/// accounts), at most 256 characters (Linux's LOGIN_NAME_MAX). The engine refuses such a name as a login or an owner, and
/// a blade again before it runs anything as that owner.
/// </summary>
public static class AccountName
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 256;

    /// <summary>Why <paramref name="name"/> is not a plain account name, or null when it is one.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
            return "it is empty";
        if (name.Length > MaxLength)
            return $"it is longer than {MaxLength} characters";
        if (name[0] is '-' or '.' or '@')
            return $"it starts with '{name[0]}'";
        var body = name.EndsWith('$') ? name[..^1] : name;
        foreach (var c in body)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
                return $"it holds {Describe(c)}, which is none of an account name's: ASCII letters and digits, '.', '_', '-', '@'";
        }
        if (body.Length == 0 || body.All(char.IsAsciiDigit))
            return "it has no letter (a name of digits only reads as a uid)";
        return null;
    }

    /// <summary>The name between single quotes, for a message: anything but printable ASCII shown as an escape.</summary>
    public static string Quote(string name)
    {
        var quoted = new StringBuilder(name.Length + 2).Append('\'');
        foreach (var c in name.Length > 80 ? name[..80] : name)
        {
            if (c is >= ' ' and <= '~' and not '\\' and not '\'')
                quoted.Append(c);
            else
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return quoted.Append(name.Length > 80 ? "'..." : "'").ToString();
    }

    private static string Describe(char c) =>
        c is >= ' ' and <= '~' ? $"'{c}'" : string.Create(CultureInfo.InvariantCulture, $"the character U+{(int)c:X4}");
}
