namespace Furrow.Core.Output;

/// <summary>
/// Tilde expansion of a command's argv words, as Tractor's blade does it and as a shell would for an unquoted word:
/// a word that starts with <c>~</c> or <c>~/</c> gets the home directory of the user the command runs as, and
/// <c>~name</c> or <c>~name/...</c> the home directory of user <c>name</c>. A word whose user is unknown, or with the
/// tilde anywhere but first, is left as it is.
/// </summary>
public static class TildeExpansion
{
    /// <param name="word">One argv word.</param>
    /// <param name="homeOf">The home directory of a user name, or of the current user for null; null when unknown.</param>
    public static string Expand(string word, Func<string?, string?> homeOf)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(homeOf);
        if (word.Length == 0 || word[0] != '~')
            return word;
        var slash = word.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? word[1..] : word[1..slash];
        var rest = slash < 0 ? "" : word[slash..];
        if (name.Length > 0 && !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '$'))
            return word;
        var home = homeOf(name.Length == 0 ? null : name);
        return string.IsNullOrEmpty(home) ? word : home.TrimEnd('/') + rest is { Length: > 0 } expanded ? expanded : "/";
    }
}
