using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Core.Config;

/// <summary>
/// One entry of blade.config's <c>BladeProfiles</c> list, or its <c>ProfileDefaults</c>, with Tractor's key names. Every
/// setting is optional: a profile states only what differs from <c>ProfileDefaults</c>, and
/// <see cref="BladeConfig.Resolve(BladeProfile)"/> fills in the rest.
/// </summary>
/// <remarks>
/// Keys Furrow does not read (a misspelling, or Tractor settings such as <c>Access</c>, <c>UDI</c>,
/// <c>CmdOutputLogging</c>) are kept in <see cref="OtherKeys"/> so that <see cref="BladeConfig.Validate"/> refuses them
/// by name: the engine will not start on a profile that means something other than it says.
/// </remarks>
public sealed class BladeProfile
{
    /// <summary>The profile's name as the Dashboard and <c>tq blades</c> show it, e.g. <c>Linux64</c>.</summary>
    public string? ProfileName { get; set; }

    /// <summary>Which blades the profile applies to; every test given must pass.</summary>
    public BladeHosts? Hosts { get; set; }

    /// <summary>
    /// Service keys the profile's blades offer, e.g. <c>["PixarRender", "Linux"]</c>. Tractor's counted and exclusive
    /// annotations (<c>prman(max:3)</c>, <c>benchmark(X)</c>) are accepted, but Furrow only uses the key before the parenthesis.
    /// </summary>
    public List<string>? Provides { get; set; }

    /// <summary>How much work the profile's blades take on.</summary>
    public BladeCapacity? Capacity { get; set; }

    /// <summary>Environment settings per command envkey, as Tractor's <c>EnvKeys</c> list.</summary>
    public List<BladeEnvKey>? EnvKeys { get; set; }

    /// <summary>
    /// Tractor's <c>NIMBY</c>: <c>0</c> (any job), <c>1</c> (only jobs spooled from the blade's own host) or a user name
    /// (only that user's jobs).
    /// </summary>
    [JsonPropertyName("NIMBY")]
    [JsonConverter(typeof(NimbyConverter))]
    public string? Nimby { get; set; }

    /// <summary>
    /// Tractor's <c>DirMapZone</c>: which of a job's <c>-dirmaps</c> entries apply on the profile's blades (<c>nfs</c>,
    /// <c>unc</c>, or a site's own zone name); unset, <c>unc</c> on Windows and <c>nfs</c> elsewhere.
    /// </summary>
    public string? DirMapZone { get; set; }

    /// <summary>Keys Furrow does not read; kept so <see cref="BladeConfig.Validate"/> refuses them by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherKeys { get; set; }
}

/// <summary>A profile's <c>Hosts</c> tests. An absent test matches any blade.</summary>
public sealed class BladeHosts
{
    /// <summary>
    /// Glob patterns (<c>*</c>, <c>?</c>, case-insensitive), one string or a list; a blade matches when any pattern
    /// matches its name or its host name or address.
    /// </summary>
    [JsonConverter(typeof(StringOrListConverter))]
    public List<string>? Name { get; set; }

    /// <summary>A glob pattern for the blade's platform string, e.g. <c>*Linux*</c>.</summary>
    public string? Platform { get; set; }

    /// <summary>
    /// Tractor's other host tests (<c>NCPU</c>, <c>MinNCPU</c>, <c>MinPhysRAM</c>, <c>GPU.label</c>, <c>PathExists</c>, ...).
    /// Furrow cannot evaluate them from the engine, so a profile with any never matches, and
    /// <see cref="BladeConfig.Validate"/> reports them.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherTests { get; set; }
}

/// <summary>A profile's <c>Capacity</c>, with Tractor's units.</summary>
public sealed class BladeCapacity
{
    /// <summary>Commands run at once; 0 means one per CPU core.</summary>
    public int? MaxSlots { get; set; }

    /// <summary>No new work above this load average per CPU core (Tractor normalises by core count).</summary>
    public double? MaxLoad { get; set; }

    /// <summary>No new work below this much free physical memory, in gigabytes.</summary>
    public double? MinRAM { get; set; }

    /// <summary>No new work below this much free disk, in gigabytes; optionally with the drive to measure.</summary>
    [JsonConverter(typeof(MinDiskConverter))]
    public MinDiskSetting? MinDisk { get; set; }

    /// <summary>Keys Furrow does not read; kept so <see cref="BladeConfig.Validate"/> refuses them by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherKeys { get; set; }
}

/// <summary>One entry of a profile's <c>EnvKeys</c>: the envkeys it handles, the variables it sets and its handler.</summary>
/// <remarks>Tractor's <c>"@merge('file')"</c> string entries are not supported; such a file is refused with its line and column.</remarks>
public sealed class BladeEnvKey
{
    /// <summary>Command envkeys this entry applies to, e.g. <c>["default"]</c> or <c>["maya2024"]</c>.</summary>
    [JsonPropertyName("keys")]
    public List<string>? Keys { get; set; }

    /// <summary>Variables to set, e.g. <c>{"CURRENT_SHOW": "(not_set)"}</c>.</summary>
    [JsonPropertyName("environment")]
    public Dictionary<string, string>? Environment { get; set; }

    /// <summary>Tractor's envhandler name, e.g. <c>default</c>.</summary>
    [JsonPropertyName("envhandler")]
    public string? EnvHandler { get; set; }
}
