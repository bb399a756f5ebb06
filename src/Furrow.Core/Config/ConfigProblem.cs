namespace Furrow.Core.Config;

/// <summary>
/// Something wrong with a site config file that parsed (a value out of range, an unknown key), with where it is: the
/// keys leading to it from the top (<c>["Limits", "prman", "SiteMax"]</c>; a list position as its number, <c>"0"</c>),
/// so whoever holds the file's text can name its line and column as a parse error does. <see cref="AtKey"/> points at
/// the key itself (an unknown or misplaced key) rather than at its value.
/// </summary>
public sealed record ConfigProblem(string Message, IReadOnlyList<string> At, bool AtKey = false)
{
    /// <summary>A problem with the value found under <paramref name="at"/>.</summary>
    public static ConfigProblem Value(string message, params string[] at) => new(message, at);

    /// <summary>A problem with the key at the end of <paramref name="at"/> (one that should not be there).</summary>
    public static ConfigProblem Key(string message, params string[] at) => new(message, at, AtKey: true);

    public override string ToString() => Message;
}
