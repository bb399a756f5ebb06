using Furrow.Core.Config;

namespace Furrow.Core.Scheduling;

/// <summary>
/// Counts running commands against the named limits of limits.config and says when one more would exceed a cap.
/// </summary>
/// <remarks>
/// A command counts against each defined limit it names, once however often it names it (see
/// <see cref="LimitNamesOf(IEnumerable{string}, ServiceKey?, string?, LimitsConfig)"/>). Names that limits.config does
/// not define are not limited and not counted. Names, hosts and owners compare ignoring case. <see cref="Acquire"/> counts
/// without checking, so commands found running at start-up are counted even if they exceed a cap that was lowered
/// since; ask <see cref="WhyNot"/> first when dispatching. Not thread-safe: the dispatcher owns one instance and calls
/// it under the farm's lock.
/// </remarks>
public sealed class LimitCounter
{
    private readonly Dictionary<string, Limit> _limits = new(StringComparer.OrdinalIgnoreCase);

    public LimitCounter(LimitsConfig config)
        : this((config ?? throw new ArgumentNullException(nameof(config))).Limits ?? new Dictionary<string, LimitDefinition>())
    {
    }

    public LimitCounter(IReadOnlyDictionary<string, LimitDefinition> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        foreach (var (name, definition) in limits)
        {
            // Validate() reports case-only duplicates; here the first definition wins.
            if (definition is not null && !string.IsNullOrWhiteSpace(name))
                _limits.TryAdd(name, new Limit(name, definition));
        }
    }

    /// <summary>
    /// Null when one more command carrying <paramref name="limitNames"/> may start on <paramref name="host"/> for
    /// <paramref name="owner"/> (per-owner caps are checked only when an owner is given); else why not, e.g.
    /// <c>limit prman is at its site-wide cap (10 of 10 in use)</c> or <c>limit nuke is at its per-host cap on render07 (2 of 2)</c>.
    /// </summary>
    public string? WhyNot(IReadOnlyList<string> limitNames, string host, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(limitNames);
        ArgumentNullException.ThrowIfNull(host);
        foreach (var limit in Defined(limitNames))
        {
            var reason = limit.WhyNot(host, owner);
            if (reason is not null)
                return reason;
        }

        return null;
    }

    /// <summary>True when <see cref="WhyNot"/> would be null: the same test without the words.</summary>
    public bool Allows(IReadOnlyList<string> limitNames, string host, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(limitNames);
        ArgumentNullException.ThrowIfNull(host);
        // Dispatch asks this for every candidate command: no list of the defined limits is built (a repeat asks twice),
        // and the names are indexed rather than enumerated through the interface, which would allocate.
        for (var i = 0; i < limitNames.Count; i++)
            if (limitNames[i] is { } name && _limits.TryGetValue(name, out var limit) && limit.Blocks(host, owner) != Cap.None)
                return false;
        return true;
    }

    /// <summary>Counts one command carrying <paramref name="limitNames"/> started on <paramref name="host"/> for <paramref name="owner"/>.</summary>
    public void Acquire(IReadOnlyList<string> limitNames, string host, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(limitNames);
        ArgumentNullException.ThrowIfNull(host);
        foreach (var limit in Defined(limitNames))
            limit.Add(host, owner, +1);
    }

    /// <summary>
    /// Uncounts a command that <see cref="Acquire"/> counted; pass the same names, host and owner. Releasing more than
    /// was acquired is a bug in the caller and throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public void Release(IReadOnlyList<string> limitNames, string host, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(limitNames);
        ArgumentNullException.ThrowIfNull(host);
        var limits = Defined(limitNames);
        foreach (var limit in limits)
            limit.CheckRelease(host, owner);
        foreach (var limit in limits)
            limit.Add(host, owner, -1);
    }

    /// <summary>The farm-wide count the site cap is compared with: commands, or hosts for a <c>perHost</c> limit; 0 for an undefined name.</summary>
    public int InUse(string limitName) => _limits.TryGetValue(limitName, out var limit) ? limit.SiteCount : 0;

    /// <summary>
    /// True when one more of the limit's commands could start somewhere as far as its site-wide cap goes (always, when it
    /// has none or is undefined); its per-host and per-owner caps are not asked.
    /// </summary>
    public bool BelowSiteCap(string limitName) =>
        !_limits.TryGetValue(limitName, out var limit) || limit.SiteCapValue is not { } cap || limit.SiteCount < cap;

    /// <summary>The limit's commands running on <paramref name="host"/>.</summary>
    public int InUseOn(string limitName, string host) => _limits.TryGetValue(limitName, out var limit) ? Get(limit.PerHost, host) : 0;

    /// <summary>The limit's commands running for <paramref name="owner"/>.</summary>
    public int InUseBy(string limitName, string owner) => _limits.TryGetValue(limitName, out var limit) ? Get(limit.PerOwner, owner) : 0;

    /// <summary>
    /// The limits a command counts against: its <c>-tags</c>, then the bare keys of its <c>-service</c> expression, keeping
    /// only names limits.config defines, each once, spelt as the config spells them.
    /// </summary>
    public static IReadOnlyList<string> LimitNamesOf(IEnumerable<string> tags, ServiceKey? service, LimitsConfig config) =>
        LimitNamesOf(tags, service, null, config);

    /// <summary>
    /// As the other overload, plus the application the command launches (<paramref name="executable"/>, e.g. its argv[0];
    /// directories are dropped), which Tractor also counts against a limit of that name.
    /// </summary>
    public static IReadOnlyList<string> LimitNamesOf(IEnumerable<string> tags, ServiceKey? service, string? executable, LimitsConfig config)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(config);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Consider(string? candidate)
        {
            if (!string.IsNullOrWhiteSpace(candidate) && config.TryFind(candidate.Trim(), out var canonical, out _) && seen.Add(canonical))
                names.Add(canonical);
        }

        foreach (var tag in tags)
            Consider(tag);
        foreach (var key in service?.Keys ?? [])
            Consider(key);
        if (!string.IsNullOrWhiteSpace(executable))
            Consider(executable[(executable.LastIndexOfAny(['/', '\\']) + 1)..]);
        return names;
    }

    private List<Limit> Defined(IReadOnlyList<string> limitNames)
    {
        var limits = new List<Limit>(limitNames.Count);
        foreach (var name in limitNames)
        {
            if (name is not null && _limits.TryGetValue(name, out var limit) && !limits.Contains(limit))
                limits.Add(limit);
        }

        return limits;
    }

    private static int Get(Dictionary<string, int> counts, string key) => counts.TryGetValue(key, out var count) ? count : 0;

    /// <summary>One limit's definition and its counts.</summary>
    private enum Cap
    {
        None,
        Site,
        Host,
        Owner,
    }

    private sealed class Limit(string name, LimitDefinition definition)
    {
        private int _commands;

        public Dictionary<string, int> PerHost { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, int> PerOwner { get; } = new(StringComparer.OrdinalIgnoreCase);

        public int SiteCount => definition.CountsHostsOnce ? PerHost.Count : _commands;

        public int? SiteCapValue => definition.SiteCap();

        public string? WhyNot(string host, string? owner) => Blocks(host, owner) switch
        {
            Cap.Site => $"limit {name} is at its site-wide cap ({SiteCount} of {definition.SiteCap()}{(definition.CountsHostsOnce ? " hosts" : "")} in use)",
            Cap.Host => $"limit {name} is at its per-host cap on {host} ({Get(PerHost, host)} of {definition.HostCap(host)})",
            Cap.Owner => $"limit {name} is at its per-owner cap for {owner} ({Get(PerOwner, owner!)} of {definition.OwnerCap(owner!)})",
            _ => null,
        };

        /// <summary>Which cap, if any, one more command on <paramref name="host"/> for <paramref name="owner"/> would pass.</summary>
        public Cap Blocks(string host, string? owner)
        {
            var onHost = Get(PerHost, host);
            // A perHost limit does not grow when the host already runs one of its commands.
            var growsSiteCount = !definition.CountsHostsOnce || onHost == 0;
            if (growsSiteCount && definition.SiteCap() is { } siteCap && SiteCount >= siteCap)
                return Cap.Site;
            if (definition.HostCap(host) is { } hostCap && onHost >= hostCap)
                return Cap.Host;
            if (owner is not null && definition.OwnerCap(owner) is { } ownerCap && Get(PerOwner, owner) >= ownerCap)
                return Cap.Owner;
            return Cap.None;
        }

        public void CheckRelease(string host, string? owner)
        {
            if (Get(PerHost, host) == 0)
                throw new InvalidOperationException($"limit {name} released on {host} more often than acquired");
            if (owner is not null && Get(PerOwner, owner) == 0)
                throw new InvalidOperationException($"limit {name} released for {owner} more often than acquired");
        }

        public void Add(string host, string? owner, int delta)
        {
            _commands += delta;
            Change(PerHost, host, delta);
            if (owner is not null)
                Change(PerOwner, owner, delta);
        }

        // Zero counts are removed so PerHost.Count is the number of hosts running the limit's commands.
        private static void Change(Dictionary<string, int> counts, string key, int delta)
        {
            var count = Get(counts, key) + delta;
            if (count == 0)
                counts.Remove(key);
            else
                counts[key] = count;
        }
    }
}
