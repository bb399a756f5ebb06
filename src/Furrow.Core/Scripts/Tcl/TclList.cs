using System.Text;

namespace Furrow.Core.Scripts.Tcl;

/// <summary>Splits Tcl lists into elements and renders elements so that splitting gives them back unchanged.</summary>
internal static class TclList
{
    /// <summary>Splits <paramref name="list"/> by Tcl's list rules; on failure <paramref name="error"/> says why.</summary>
    public static bool TrySplit(string list, TclBackslash.Mode mode, out List<string> items, out string? error)
    {
        items = [];
        error = null;
        var n = list.Length;
        var p = 0;
        StringBuilder? sb = null; // only for an element with a backslash; the others are one substring each
        while (true)
        {
            while (p < n && IsListSpace(list[p]))
            {
                p++;
            }

            if (p >= n)
            {
                return true;
            }

            var start = p;
            if (list[p] == '{')
            {
                var level = 1;
                var q = p + 1;
                while (q < n)
                {
                    var c = list[q];
                    if (c == '\\')
                    {
                        q += 2;
                        continue;
                    }

                    if (c == '{')
                    {
                        level++;
                    }
                    else if (c == '}' && --level == 0)
                    {
                        break;
                    }

                    q++;
                }

                if (q >= n)
                {
                    error = $"unmatched open brace in list (element {items.Count + 1}, at character {Text.TextColumn.At(list, start)})";
                    return false;
                }

                items.Add(TclEvaluator.BracedContent(list, p + 1, q));
                p = q + 1;
                if (p < n && !IsListSpace(list[p]))
                {
                    error = $"list element in braces followed by `{list[p]}` instead of space (element {items.Count})";
                    return false;
                }
            }
            else if (list[p] == '"')
            {
                var q = p + 1;
                while (q < n && list[q] != '"' && list[q] != '\\')
                {
                    q++;
                }

                var escaped = q < n && list[q] == '\\';
                if (escaped)
                {
                    sb = (sb ?? new StringBuilder()).Clear().Append(list, p + 1, q - p - 1);
                    while (q < n && list[q] != '"')
                    {
                        q = list[q] == '\\' ? TclBackslash.Append(list, q, n, sb, mode) : Append(sb, list[q], q);
                    }

                    if (TclBackslash.MadeNul(sb, 0))
                    {
                        error = $"{TclBackslash.NulMessage} (list element {items.Count + 1})";
                        return false;
                    }
                }

                if (q >= n)
                {
                    error = $"unmatched open quote in list (element {items.Count + 1}, at character {Text.TextColumn.At(list, start)})";
                    return false;
                }

                items.Add(escaped ? sb!.ToString() : list.Substring(p + 1, q - p - 1));
                p = q + 1;
                if (p < n && !IsListSpace(list[p]))
                {
                    error = $"list element in quotes followed by `{list[p]}` instead of space (element {items.Count})";
                    return false;
                }
            }
            else
            {
                var q = p;
                while (q < n && !IsListSpace(list[q]) && list[q] != '\\')
                {
                    q++;
                }

                if (q < n && list[q] == '\\')
                {
                    sb = (sb ?? new StringBuilder()).Clear().Append(list, p, q - p);
                    while (q < n && !IsListSpace(list[q]))
                    {
                        q = list[q] == '\\' ? TclBackslash.Append(list, q, n, sb, mode) : Append(sb, list[q], q);
                    }

                    if (TclBackslash.MadeNul(sb, 0))
                    {
                        error = $"{TclBackslash.NulMessage} (list element {items.Count + 1})";
                        return false;
                    }

                    items.Add(sb.ToString());
                }
                else
                {
                    items.Add(list.Substring(p, q - p));
                }

                p = q;
            }
        }
    }

    /// <summary>The elements as a list in Tractor's style: each one braced, <c>{a} {b c}</c>.</summary>
    public static string Format(IEnumerable<string> items) => string.Join(' ', items.Select(QuoteElement));

    /// <summary>One element, braced when that reads back unchanged, otherwise quoted with every special character escaped.</summary>
    public static string QuoteElement(string item) => CanBrace(item) ? "{" + item + "}" : Quote(item);

    /// <summary>A command word holding exactly <paramref name="value"/>, safe even inside an enclosing braced script.</summary>
    public static string QuoteWord(string value) => CanBrace(value) ? "{" + value + "}" : Quote(value);

    /// <summary>Whether `{value}` reads back as exactly <paramref name="value"/>.</summary>
    public static bool CanBrace(string value)
    {
        var level = 0;
        for (var i = 0; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '\\':
                    // A trailing backslash would escape the closing brace; backslash-newline would become a space.
                    if (i + 1 >= value.Length || TclLexer.IsLineContinuation(value, i, value.Length))
                    {
                        return false;
                    }

                    i++;
                    break;
                case '{':
                    level++;
                    break;
                case '}':
                    if (--level < 0)
                    {
                        return false;
                    }

                    break;
            }
        }

        return level == 0;
    }

    // Quoted form for text braces can't carry. Braces are escaped too, so an enclosing braced script still balances.
    private static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 8).Append('"');
        foreach (var c in value)
        {
            if (c is '\\' or '"' or '{' or '}' or '[' or ']' or '$')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    private static bool IsListSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    private static int Append(StringBuilder sb, char c, int q)
    {
        sb.Append(c);
        return q + 1;
    }
}
