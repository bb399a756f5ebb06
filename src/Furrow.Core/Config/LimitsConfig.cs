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
    public IReadOnlyList<string> Validate() => [.. Problems().Select(p => p.Message)];

    /// <summary>The problems <see cref="Validate"/> gives, each with the keys that lead to it in the file.</summary>
    public IReadOnlyList<ConfigProblem> Problems()
    {
        var problems = new List<ConfigProblem>();
        foreach (var key in OtherKeys?.Keys ?? Enumerable.Empty<string>())
            problems.Add(ConfigProblem.Key($"unknown or unsupported key \"{key}\"; a limits.config holds Limits", key));
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, definition) in Limits ?? [])
        {
            if (string.IsNullOrWhiteSpace(name))
                problems.Add(ConfigProblem.Key("Limits: a limit has an empty name", "Limits", name));
            else if (seen.TryGetValue(name, out var earlier))
                problems.Add(ConfigProblem.Key($"Limits \"{earlier}\" and \"{name}\" differ only in case; limit names are compared ignoring case", "Limits", name));
            else
                seen.Add(name, name);

            if (definition is null)
            {
                problems.Add(ConfigProblem.Value($"Limits \"{name}\" is null; expected an object such as {{\"SiteMax\": 10}}", "Limits", name));
                continue;
            }

            CheckCap(definition.SiteMax, name, problems, "SiteMax");
            CheckCap(definition.OwnerMax, name, problems, "OwnerMax");
            CheckCap(definition.BladeMax, name, problems, "BladeMax");
            foreach (var (owner, cap) in definition.OwnerExceptions ?? [])
                CheckCap(cap, name, problems, "OwnerExceptions", owner);
            foreach (var (host, cap) in definition.BladeExceptions ?? [])
                CheckCap(cap, name, problems, "BladeExceptions", host);
            // A key Furrow would read past is refused, never silently ignored.
            foreach (var key in (definition.OtherKeys ?? []).Keys)
                problems.Add(ConfigProblem.Key(key.Equals("Shares", StringComparison.OrdinalIgnoreCase)
                    ? $"Limits \"{name}\": not supported yet: Shares (fair-share weights by project go in tractor.config's ProjectShares)"
                    : $"Limits \"{name}\": unknown key \"{key}\"; Furrow reads SiteMax, SiteMaxCounting, OwnerMax, OwnerExceptions, BladeMax and BladeExceptions",
                    "Limits", name, key));
            if (definition.SiteMaxCounting is { } counting
                && !counting.Equals(LimitDefinition.PerInvocation, StringComparison.OrdinalIgnoreCase)
                && !counting.Equals(LimitDefinition.PerHost, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(ConfigProblem.Value(
                    $"Limits \"{name}\": SiteMaxCounting is \"{counting}\"; use \"{LimitDefinition.PerInvocation}\" or \"{LimitDefinition.PerHost}\"",
                    "Limits", name, "SiteMaxCounting"));
            }
        }

        return problems;
    }

    // key is the cap's key under the limit, with the owner or host for an exception.
    private static void CheckCap(int? cap, string name, List<ConfigProblem> problems, params string[] key)
    {
        if (cap < -1)
            problems.Add(ConfigProblem.Value(
                $"Limits \"{name}\": {(key.Length == 1 ? key[0] : $"{key[0]} \"{key[1]}\"")} is {cap}; use -1 for unlimited, or 0 or more",
                ["Limits", name, .. key]));
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
