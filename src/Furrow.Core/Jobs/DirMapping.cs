using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>
/// Tractor's <c>%D(path)</c> substitution in command arguments: each <c>%D(path)</c> in a word becomes the path mapped
/// for the zone of the blade that runs it, by the job's <c>-dirmaps</c> (<c>{{from} {to} zone}</c> entries): the first
/// entry of that zone (compared case-insensitively) whose <c>from</c> starts the path replaces that start with its
/// <c>to</c>. A path no entry maps, or a job without <c>-dirmaps</c>, gives the path as written, without the
/// <c>%D( )</c> around it. A <c>%D(</c> with no closing parenthesis is left as it is.
/// </summary>
public static class DirMapping
{
    /// <summary>The zone of a blade that neither its profile (<c>DirMapZone</c>) nor its platform names otherwise: Tractor's <c>nfs</c>.</summary>
    public const string DefaultZone = "nfs";

    /// <summary>A blade's zone: its profile's <c>DirMapZone</c> when set, else <c>unc</c> on Windows and <c>nfs</c> elsewhere, as Tractor's blades.</summary>
    public static string ZoneOf(string? profileZone, string? platform) =>
        !string.IsNullOrWhiteSpace(profileZone) ? profileZone.Trim()
        : platform?.StartsWith("win", StringComparison.OrdinalIgnoreCase) == true ? "unc"
        : DefaultZone;

    /// <summary>True when the word holds a <c>%D(</c> substitution.</summary>
    public static bool HasSubstitution(string word) => word.Contains("%D(", StringComparison.Ordinal);

    /// <summary><paramref name="word"/> with every <c>%D(path)</c> replaced as the type's summary says.</summary>
    public static string Expand(string word, IReadOnlyList<DirMap> maps, string zone)
    {
        if (!HasSubstitution(word))
            return word;
        var result = new System.Text.StringBuilder(word.Length);
        var at = 0;
        while (true)
        {
            var start = word.IndexOf("%D(", at, StringComparison.Ordinal);
            var end = start < 0 ? -1 : word.IndexOf(')', start + 3);
            if (start < 0 || end < 0)
            {
                result.Append(word, at, word.Length - at);
                return result.ToString();
            }
            result.Append(word, at, start - at).Append(Map(word[(start + 3)..end], maps, zone));
            at = end + 1;
        }
    }

    private static string Map(string path, IReadOnlyList<DirMap> maps, string zone)
    {
        foreach (var map in maps)
            if (string.Equals(map.Zone, zone, StringComparison.OrdinalIgnoreCase) && map.From.Length > 0
                && path.StartsWith(map.From, StringComparison.Ordinal))
                return map.To + path[map.From.Length..];
        return path;
    }
}
