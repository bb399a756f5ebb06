namespace Furrow.Core.Config;

/// <summary>
/// A blade profile with <c>ProfileDefaults</c> filled in and Furrow's fallbacks applied where neither says: what a blade
/// that matched it actually works with.
/// </summary>
/// <param name="ProfileName">The profile's name (from the profile, else the defaults, else <c>default</c>).</param>
/// <param name="Index">The profile's position in <c>BladeProfiles</c>, 0-based.</param>
/// <param name="Provides">
/// Service keys offered, without Tractor's <c>(max:N)</c>-style annotations; compared case-insensitively. When neither
/// the profile nor the defaults list any, Tractor's built-in list: PixarRender, PixarNRM, RfMRender, RfMRibGen, PixarMTOR.
/// </param>
/// <param name="MaxSlots">Commands at once; 0 means one per CPU core (the fallback).</param>
/// <param name="MaxLoad">Load average per core above which no new work starts; fallback 1.5, as Tractor's.</param>
/// <param name="MinRAM">Free memory floor, gigabytes; fallback 0 (no floor).</param>
/// <param name="MinDisk">Free disk floor, gigabytes; fallback 0 (no floor).</param>
/// <param name="MinDiskDrive">The drive <paramref name="MinDisk"/> is measured on, or null for the blade's default.</param>
/// <param name="EnvKeys">Environment entries; the profile's list replaces the defaults' list, as in Tractor.</param>
/// <param name="Nimby"><c>0</c> (fallback), <c>1</c> or a user name; see <see cref="BladeProfile.Nimby"/>.</param>
public sealed record ResolvedProfile(
    string ProfileName,
    int Index,
    IReadOnlySet<string> Provides,
    int MaxSlots,
    double MaxLoad,
    double MinRAM,
    double MinDisk,
    string? MinDiskDrive,
    IReadOnlyList<BladeEnvKey> EnvKeys,
    string Nimby)
{
    /// <summary>Tractor's built-in <c>Provides</c> list, used when blade.config gives none.</summary>
    public static IReadOnlyList<string> TractorDefaultProvides { get; } = ["PixarRender", "PixarNRM", "RfMRender", "RfMRibGen", "PixarMTOR"];

    /// <summary>The profile's <c>DirMapZone</c>, or null to go by the blade's platform (<see cref="Jobs.DirMapping.ZoneOf"/>).</summary>
    public string? DirMapZone { get; init; }
}
