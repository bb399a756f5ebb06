using Furrow.Core.Config;
using Furrow.Storage;

namespace Furrow.Engine.Blades;

/// <summary>
/// Matches blades to the site's blade.config profiles (Tractor's first-match rule). With no blade.config every blade
/// is unprofiled: it provides every service key and has no floors. With one, a blade no profile matches gets no work.
/// The config is the farm's current one (<see cref="Site.SiteRules.Blades"/>), which a config reload swaps.
/// </summary>
internal static class BladeProfiles
{
    /// <summary>The profile a blade works with under <paramref name="config"/>; null when the site has no blade.config.</summary>
    /// <param name="address">The address the blade connects from, which `Hosts.Name` patterns may name too; null when unknown.</param>
    /// <param name="platform">The blade's platform as it reported it (`linux`), or null when not known.</param>
    public static ProfileMatch? Resolve(BladeConfig? config, string bladeName, string host, string? platform, string? address = null)
    {
        if (config is null)
            return null;
        var byHost = config.Resolve(bladeName, host, platform);
        var byAddress = string.IsNullOrEmpty(address) ? null : config.Resolve(bladeName, address, platform);
        // First match in file order, whichever of the blade's names matched it.
        return new ProfileMatch(byHost is null ? byAddress : byAddress is null || byHost.Index <= byAddress.Index ? byHost : byAddress);
    }

    /// <summary>The profile of a blade known from the database (before it reports its platform again).</summary>
    public static ProfileMatch? Resolve(BladeConfig? config, BladeRecord blade) => Resolve(config, blade.Name, blade.Host, null);
}

/// <summary>A blade's standing under blade.config: the profile it matched, or none (then it gets no work).</summary>
internal sealed record ProfileMatch(ResolvedProfile? Profile)
{
    public string Name => Profile?.ProfileName ?? "(no profile matches)";
}
