using Furrow.Core.Scheduling;

namespace Furrow.Core.Config;

/// <summary>
/// The blade profiles from <c>blade.config</c>, in Tractor's shape: <c>ProfileDefaults</c> and an ordered
/// <c>BladeProfiles</c> list.
/// </summary>
/// <remarks>
/// As Tractor's Server Profiles documentation describes: a blade walks the list in order and the first profile whose
/// <c>Hosts</c> tests all pass wins, so specific profiles go first and catch-alls last. Each profile's settings
/// override <c>ProfileDefaults</c>, key by key inside <c>Hosts</c> and <c>Capacity</c> too (Tractor merges
/// dictionaries recursively; lists such as <c>Provides</c> replace). The defaults' <c>Hosts</c> tests therefore apply
/// to every profile that does not set its own. Plain settable properties, so the engine can read the file with
/// System.Text.Json; the type does no I/O.
/// </remarks>
public sealed class BladeConfig
{
    public BladeProfile? ProfileDefaults { get; set; }

    public List<BladeProfile> BladeProfiles { get; set; } = [];

    /// <summary>Top-level keys Furrow does not read; kept so <see cref="Validate"/> refuses them by name.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? OtherKeys { get; set; }

    /// <summary>
    /// The first profile that applies to a blade called <paramref name="bladeName"/> on <paramref name="host"/> (a
    /// host name or address) running <paramref name="platform"/>, or null when none does.
    /// </summary>
    /// <remarks>
    /// A <c>Hosts.Name</c> pattern matches the blade's name or its host; <c>Hosts.Platform</c> matches the platform
    /// string (an unknown platform is the empty string, which only <c>*</c> matches). Patterns are globs
    /// (<c>*</c>, <c>?</c>), case-insensitive. A test neither the profile nor the defaults give matches anything; a test
    /// Furrow cannot evaluate (<see cref="BladeHosts.OtherTests"/>) never matches, as Tractor treats unknown tests.
    /// </remarks>
    public BladeProfile? Match(string bladeName, string host, string? platform)
    {
        var index = IndexOfMatch(bladeName, host, platform);
        return index < 0 ? null : BladeProfiles[index];
    }

    /// <summary>The effective settings of the profile that <see cref="Match"/> finds, or null when none applies.</summary>
    public ResolvedProfile? Resolve(string bladeName, string host, string? platform)
    {
        var index = IndexOfMatch(bladeName, host, platform);
        return index < 0 ? null : Resolve(BladeProfiles[index], index);
    }

    /// <summary><paramref name="profile"/>'s settings with <see cref="ProfileDefaults"/> and Furrow's fallbacks filling the gaps.</summary>
    public ResolvedProfile Resolve(BladeProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Resolve(profile, (BladeProfiles ?? []).IndexOf(profile));
    }

    /// <summary>
    /// Problems that would make the file mean something other than its author intended, one sentence each, naming the
    /// profile by position and name: an empty <c>ProfileName</c>, negative capacities, capacity keys outside
    /// <c>Capacity</c>, host tests Furrow cannot evaluate, and <c>Provides</c> entries that are not service keys.
    /// </summary>
    public IReadOnlyList<string> Validate() => [.. Problems().Select(p => p.Message)];

    /// <summary>The problems <see cref="Validate"/> gives, each with the keys that lead to it in the file.</summary>
    public IReadOnlyList<ConfigProblem> Problems()
    {
        var problems = new List<ConfigProblem>();
        foreach (var key in OtherKeys?.Keys ?? Enumerable.Empty<string>())
            problems.Add(ConfigProblem.Key($"unknown or unsupported key \"{key}\"; a blade.config holds ProfileDefaults and BladeProfiles", key));
        if (ProfileDefaults is not null)
            ValidateProfile(ProfileDefaults, "ProfileDefaults", ["ProfileDefaults"], isDefaults: true, problems);
        var profiles = BladeProfiles ?? [];
        for (var i = 0; i < profiles.Count; i++)
        {
            var profile = profiles[i];
            string[] at = ["BladeProfiles", i.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (profile is null)
            {
                problems.Add(new ConfigProblem($"BladeProfiles[{i}] is null; expected a profile object", at));
                continue;
            }

            var label = string.IsNullOrWhiteSpace(profile.ProfileName) ? $"BladeProfiles[{i}]" : $"BladeProfiles[{i}] \"{profile.ProfileName}\"";
            ValidateProfile(profile, label, at, isDefaults: false, problems);
        }

        // Tractor's envhandlers other than "default" are Python modules run by the blade; Furrow applies only the
        // "environment" variables of an entry, which is what the default handler does.
        var labelled = profiles.Select((p, i) => ((BladeProfile?)p, $"BladeProfiles[{i}]", (string[])["BladeProfiles", Position(i)]))
            .Prepend((ProfileDefaults, "ProfileDefaults", ["ProfileDefaults"]));
        foreach (var (profile, label, at) in labelled)
        {
            var entries = profile?.EnvKeys ?? [];
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i]?.EnvHandler is { } handler && !handler.Equals("default", StringComparison.OrdinalIgnoreCase))
                    problems.Add(new ConfigProblem($"{label}: EnvKeys entry for {string.Join(", ", entries[i].Keys ?? [])}: not supported yet: " +
                        $"envhandler \"{handler}\" (only \"default\", which sets the entry's environment)", [.. at, "EnvKeys", Position(i), "envhandler"]));
            }
        }

        return problems;
    }

    private int IndexOfMatch(string bladeName, string host, string? platform)
    {
        ArgumentNullException.ThrowIfNull(bladeName);
        ArgumentNullException.ThrowIfNull(host);
        var profiles = BladeProfiles ?? [];
        for (var i = 0; i < profiles.Count; i++)
        {
            if (profiles[i] is { } profile && HostsMatch(profile.Hosts, bladeName, host, platform ?? ""))
                return i;
        }

        return -1;
    }

    private bool HostsMatch(BladeHosts? hosts, string bladeName, string host, string platform)
    {
        var defaults = ProfileDefaults?.Hosts;
        if (hosts?.OtherTests is { Count: > 0 } || defaults?.OtherTests is { Count: > 0 })
            return false;

        var names = hosts?.Name ?? defaults?.Name;
        if (names is not null && !names.Any(pattern => GlobPattern.IsMatch(pattern, bladeName) || GlobPattern.IsMatch(pattern, host)))
            return false;

        var platformPattern = hosts?.Platform ?? defaults?.Platform;
        return platformPattern is null || GlobPattern.IsMatch(platformPattern, platform);
    }

    private ResolvedProfile Resolve(BladeProfile profile, int index)
    {
        var defaults = ProfileDefaults;
        var capacity = profile.Capacity;
        var fallback = defaults?.Capacity;
        var name = NonBlank(profile.ProfileName) ?? NonBlank(defaults?.ProfileName) ?? "default";
        var provides = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in profile.Provides ?? defaults?.Provides ?? ResolvedProfile.TractorDefaultProvides)
        {
            var key = KeyOf(entry);
            if (key.Length > 0)
                provides.Add(key);
        }

        var minDisk = capacity?.MinDisk ?? fallback?.MinDisk;
        return new ResolvedProfile(
            name,
            index,
            provides,
            Math.Max(0, capacity?.MaxSlots ?? fallback?.MaxSlots ?? 0),
            capacity?.MaxLoad ?? fallback?.MaxLoad ?? 1.5,
            capacity?.MinRAM ?? fallback?.MinRAM ?? 0,
            minDisk?.Gigabytes ?? 0,
            minDisk?.Drive,
            profile.EnvKeys ?? defaults?.EnvKeys ?? [],
            NonBlank(profile.Nimby) ?? NonBlank(defaults?.Nimby) ?? "0")
        {
            DirMapZone = NonBlank(profile.DirMapZone) ?? NonBlank(defaults?.DirMapZone),
        };
    }

    // at: the keys leading to the profile in the file.
    private static void ValidateProfile(BladeProfile profile, string label, string[] at, bool isDefaults, List<ConfigProblem> problems)
    {
        if (!isDefaults && string.IsNullOrWhiteSpace(profile.ProfileName))
            problems.Add(new ConfigProblem($"{label}: ProfileName is missing or empty", profile.ProfileName is null ? at : [.. at, "ProfileName"]));

        if (profile.Capacity is { } capacity)
        {
            if (capacity.MaxSlots < 0)
                problems.Add(new ConfigProblem($"{label}: Capacity.MaxSlots is {capacity.MaxSlots}; use 0 (one per CPU core) or more", [.. at, "Capacity", "MaxSlots"]));
            CheckNotNegative(capacity.MaxLoad, "MaxLoad", "load per core", label, at, problems);
            CheckNotNegative(capacity.MinRAM, "MinRAM", "gigabytes", label, at, problems);
            CheckNotNegative(capacity.MinDisk?.Gigabytes, "MinDisk", "gigabytes", label, at, problems);
        }

        foreach (var key in profile.OtherKeys?.Keys ?? Enumerable.Empty<string>())
        {
            if (key.Equals("MaxSlots", StringComparison.OrdinalIgnoreCase) || key.Equals("MaxLoad", StringComparison.OrdinalIgnoreCase)
                || key.Equals("MinRAM", StringComparison.OrdinalIgnoreCase) || key.Equals("MinDisk", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new ConfigProblem(
                    $"{label}: \"{key}\" belongs inside \"Capacity\": {{ ... }}, as in Tractor's blade.config; where it is, it would be ignored", [.. at, key], AtKey: true));
            }
            else
            {
                // A misspelt key, or a Tractor setting Furrow does not honour, would otherwise be silently ignored.
                problems.Add(new ConfigProblem(
                    $"{label}: unknown or unsupported key \"{key}\"; Furrow reads ProfileName, Hosts, Provides, Capacity, EnvKeys and NIMBY", [.. at, key], AtKey: true));
            }
        }

        foreach (var key in profile.Capacity?.OtherKeys?.Keys ?? Enumerable.Empty<string>())
            problems.Add(new ConfigProblem($"{label}: unknown or unsupported key \"Capacity.{key}\"; Furrow reads MaxSlots, MaxLoad, MinRAM and MinDisk",
                [.. at, "Capacity", key], AtKey: true));

        foreach (var test in profile.Hosts?.OtherTests?.Keys ?? Enumerable.Empty<string>())
            problems.Add(new ConfigProblem($"{label}: Hosts test \"{test}\" is not supported (Furrow matches on Name and Platform only), so the profile could never match",
                [.. at, "Hosts", test], AtKey: true));

        var patterns = profile.Hosts?.Name ?? [];
        for (var i = 0; i < patterns.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(patterns[i]))
                problems.Add(new ConfigProblem($"{label}: Hosts.Name has an empty pattern", [.. at, "Hosts", "Name", Position(i)]));
        }

        var provides = profile.Provides ?? [];
        for (var i = 0; i < provides.Count; i++)
        {
            var key = KeyOf(provides[i] ?? "");
            if (key.Length == 0 || !key.All(ServiceKeyLexer.IsKeyChar))
                problems.Add(new ConfigProblem($"{label}: Provides entry \"{provides[i]}\" is not a service key (letters, digits and _ - . + / : only)",
                    [.. at, "Provides", Position(i)]));
        }
    }

    private static string Position(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckNotNegative(double? value, string name, string unit, string label, string[] at, List<ConfigProblem> problems)
    {
        if (value < 0)
            problems.Add(new ConfigProblem($"{label}: Capacity.{name} is {NumberText.Format(value.Value)}; it must be 0 or more ({unit})", [.. at, "Capacity", name]));
    }

    /// <summary>The service key of a <c>Provides</c> entry, without Tractor's annotation: <c>prman(max:3)</c> gives <c>prman</c>.</summary>
    private static string KeyOf(string entry)
    {
        var open = entry.IndexOf('(', StringComparison.Ordinal);
        return (open < 0 ? entry : entry[..open]).Trim();
    }

    private static string? NonBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
