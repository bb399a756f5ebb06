using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>
/// Tractor's <c>%D(path)</c> substitution in command arguments: each <c>%D(path)</c> in a word becomes the path mapped
/// for the zone of the blade that runs it, by the job's <c>-dirmaps</c> (<c>{{from} {to} zone}</c> entries): the first
/// entry of that zone (compared case-insensitively) whose <c>from</c> starts the path replaces that start with its
/// <c>to</c>. A path no entry maps, or a job without <c>-dirmaps</c>, gives the path as written, without the
/// <c>%D( )</c> around it. A <c>%D(</c> with no closing parenthesis is left as it is. The substitution itself is made
/// with Tractor's other percent codes by <see cref="CommandSubstitution"/>.
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

    /// <summary>
    /// <paramref name="path"/> as the first of <paramref name="maps"/> in <paramref name="zone"/> whose <c>from</c>
    /// starts it maps it; as given when none does.
    /// </summary>
    internal static string Map(string path, IReadOnlyList<DirMap> maps, string zone)
    {
        foreach (var map in maps)
            if (string.Equals(map.Zone, zone, StringComparison.OrdinalIgnoreCase) && map.From.Length > 0
                && path.StartsWith(map.From, StringComparison.Ordinal))
                return map.To + path[map.From.Length..];
        return path;
    }
}
