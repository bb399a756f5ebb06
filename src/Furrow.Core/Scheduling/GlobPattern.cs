namespace Furrow.Core.Scheduling;

/// <summary>
/// Shell-style wildcard matching as Tractor's config files and service key patterns use it: <c>*</c> matches any run
/// of characters, <c>?</c> any one character, everything else itself, ignoring case. No character classes.
/// </summary>
internal static class GlobPattern
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// Matches with one backtracking point (the last <c>*</c>), so the cost is at most pattern length times text
    /// length; hostile patterns such as <c>a*a*a*a*b</c> cannot blow up as a regular expression could.
    /// </summary>
    public static bool IsMatch(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || SameLetter(pattern[p], text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    private static bool SameLetter(char a, char b) => a == b || char.ToUpperInvariant(a) == char.ToUpperInvariant(b);
}
