using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Core.Config;

/// <summary>
/// Named limits from <c>limits.config</c>, in Tractor's shape: <c>{"Limits": {"prman": {"SiteMax": 100, "OwnerMax": -1}, ...}}</c>.
/// </summary>
/// <remarks>
/// Tractor's Limits Configuration page: each limit counts the running commands that carry its name (as a <c>-tags</c>
/// entry or the launched application's name); <c>SiteMax</c> caps them farm-wide, <c>OwnerMax</c> per job owner and
/// <c>BladeMax</c> per blade host, each with -1 meaning unlimited; <c>OwnerExceptions</c> and <c>BladeExceptions</c>
/// override the per-owner and per-host caps for named owners and hosts; <c>SiteMaxCounting</c> is
/// <c>perInvocation</c> (default: every command counts) or <c>perHost</c> (a host counts once however many of the
/// limit's commands it runs). Furrow's decisions where the page is silent: limit names, owner names and host names
/// compare ignoring case (as service keys do); a cap that is absent is unlimited; names not defined here are not
/// limited at all. Other keys (such as <c>Shares</c>) are kept in <see cref="LimitDefinition.OtherKeys"/> so that
/// <see cref="Validate"/> refuses them by name.
/// </remarks>
public sealed class LimitsConfig
{
    public Dictionary<string, LimitDefinition> Limits { get; set; } = [];

    /// <summary>Top-level keys Furrow does not read; kept so <see cref="Validate"/> refuses them by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherKeys { get; set; }

    /// <summary>Finds a limit by name, ignoring case; <paramref name="canonical"/> is its name as the file spells it.</summary>
    public bool TryFind(string name, out string canonical, [MaybeNullWhen(false)] out LimitDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(name);
        var limits = Limits ?? [];
        if (limits.TryGetValue(name, out var exact) && exact is not null)
        {
            (canonical, definition) = (name, exact);
            return true;
        }

        foreach (var (key, value) in limits)
        {
            if (value is not null && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                (canonical, definition) = (key, value);
                return true;
            }
        }

        (canonical, definition) = (name, null);
        return false;
    }

    /// <summary>Problems with the file, one sentence each, naming the limit: caps below -1, unknown counting modes, names that differ only in case.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var key in OtherKeys?.Keys ?? Enumerable.Empty<string>())
            problems.Add($"unknown or unsupported key \"{key}\"; a limits.config holds Limits");
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, definition) in Limits ?? [])
        {
            if (string.IsNullOrWhiteSpace(name))
                problems.Add("Limits: a limit has an empty name");
            else if (seen.TryGetValue(name, out var earlier))
                problems.Add($"Limits \"{earlier}\" and \"{name}\" differ only in case; limit names are compared ignoring case");
            else
                seen.Add(name, name);

            if (definition is null)
            {
                problems.Add($"Limits \"{name}\" is null; expected an object such as {{\"SiteMax\": 10}}");
                continue;
            }

            CheckCap(definition.SiteMax, "SiteMax", name, problems);
            CheckCap(definition.OwnerMax, "OwnerMax", name, problems);
            CheckCap(definition.BladeMax, "BladeMax", name, problems);
            foreach (var (owner, cap) in definition.OwnerExceptions ?? [])
                CheckCap(cap, $"OwnerExceptions \"{owner}\"", name, problems);
            foreach (var (host, cap) in definition.BladeExceptions ?? [])
                CheckCap(cap, $"BladeExceptions \"{host}\"", name, problems);
            // A key Furrow would read past is refused, never silently ignored.
            foreach (var key in (definition.OtherKeys ?? []).Keys)
                problems.Add(key.Equals("Shares", StringComparison.OrdinalIgnoreCase)
                    ? $"Limits \"{name}\": not supported yet: Shares (fair-share weights by project go in tractor.config's ProjectShares)"
                    : $"Limits \"{name}\": unknown key \"{key}\"; Furrow reads SiteMax, SiteMaxCounting, OwnerMax, OwnerExceptions, BladeMax and BladeExceptions");
            if (definition.SiteMaxCounting is { } counting
                && !counting.Equals(LimitDefinition.PerInvocation, StringComparison.OrdinalIgnoreCase)
                && !counting.Equals(LimitDefinition.PerHost, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"Limits \"{name}\": SiteMaxCounting is \"{counting}\"; use \"{LimitDefinition.PerInvocation}\" or \"{LimitDefinition.PerHost}\"");
            }
        }

        return problems;
    }

    private static void CheckCap(int? cap, string key, string name, List<string> problems)
    {
        if (cap < -1)
            problems.Add($"Limits \"{name}\": {key} is {cap}; use -1 for unlimited, or 0 or more");
    }
}

/// <summary>One limit's caps, with Tractor's key names; -1 or absent means unlimited.</summary>
public sealed class LimitDefinition
{
    public const string PerInvocation = "perInvocation";
    public const string PerHost = "perHost";

    /// <summary>Farm-wide cap on running commands carrying the limit's name.</summary>
    public int? SiteMax { get; set; }

    /// <summary><c>perInvocation</c> (default) counts every command; <c>perHost</c> counts each host running any once.</summary>
    public string? SiteMaxCounting { get; set; }

    /// <summary>Cap per job owner.</summary>
    public int? OwnerMax { get; set; }

    /// <summary>Per-owner caps that replace <see cref="OwnerMax"/> for the owners named.</summary>
    public Dictionary<string, int>? OwnerExceptions { get; set; }

    /// <summary>Cap per blade host.</summary>
    public int? BladeMax { get; set; }

    /// <summary>Per-host caps that replace <see cref="BladeMax"/> for the hosts named, e.g. <c>{"gigantor": 8}</c>.</summary>
    public Dictionary<string, int>? BladeExceptions { get; set; }

    /// <summary>Keys Furrow does not use, such as <c>Shares</c>.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherKeys { get; set; }

    /// <summary>True when a host running several of the limit's commands counts once against <see cref="SiteMax"/>.</summary>
    [JsonIgnore]
    public bool CountsHostsOnce => string.Equals(SiteMaxCounting, PerHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>The farm-wide cap, or null when unlimited.</summary>
    public int? SiteCap() => Cap(SiteMax);

    /// <summary>The cap on <paramref name="host"/> (its exception, else <see cref="BladeMax"/>), or null when unlimited.</summary>
    public int? HostCap(string host) => Cap(Exception(BladeExceptions, host) ?? BladeMax);

    /// <summary>The cap for <paramref name="owner"/> (their exception, else <see cref="OwnerMax"/>), or null when unlimited.</summary>
    public int? OwnerCap(string owner) => Cap(Exception(OwnerExceptions, owner) ?? OwnerMax);

    private static int? Cap(int? value) => value is null or < 0 ? null : value;

    private static int? Exception(Dictionary<string, int>? exceptions, string name)
    {
        if (exceptions is null)
            return null;
        if (exceptions.TryGetValue(name, out var exact))
            return exact;
        foreach (var (key, value) in exceptions)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                return value;
        }

        return null;
    }
}
