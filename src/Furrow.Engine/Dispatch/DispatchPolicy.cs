using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// The order in which waiting work gets blades, as Tractor orders it: the job's `-tier` first (in the site's
/// `DispatchTiers` order), then priority (higher first); among jobs of the same tier and priority, fair sharing:
/// the share group (first of `-projects`) using least of its share goes first, then the owner running fewest
/// commands, then the job spooled first.
/// </summary>
internal sealed class DispatchPolicy(IReadOnlyList<string> tiers, IReadOnlyDictionary<string, double> shares)
{
    /// <summary>Tractor's default tiers, used when tractor.config names none.</summary>
    public static readonly IReadOnlyList<string> DefaultTiers = ["admin", "rush", "default", "batch"];

    /// <summary>The site's tiers, first served first.</summary>
    public IReadOnlyList<string> Tiers => tiers;

    /// <summary>The rank of a `-tier` name (lower goes first); no tier is "default", an unknown tier ranks as "default".</summary>
    public int TierRank(string? tier)
    {
        var rank = IndexOf(string.IsNullOrWhiteSpace(tier) ? "default" : tier.Trim());
        if (rank >= 0)
            return rank;
        var fallback = IndexOf("default");
        return fallback >= 0 ? fallback : tiers.Count;
    }

    /// <summary>
    /// A tier name as the site spells it (DispatchTiers'), so `RUSH` and `rush` are one tier in listings and searches as
    /// they are in dispatch; white space around it dropped; null for none; an unknown name as given.
    /// </summary>
    public string? TierName(string? tier) =>
        string.IsNullOrWhiteSpace(tier) ? null : IndexOf(tier.Trim()) is var i and >= 0 ? tiers[i] : tier;

    /// <summary>True when <paramref name="tier"/> names one of the site's tiers (or is empty).</summary>
    public bool KnowsTier(string? tier) => string.IsNullOrWhiteSpace(tier) || IndexOf(tier.Trim()) >= 0;

    /// <summary>The static part of a job's place in the queue: tier, then priority (higher first), then spool time.</summary>
    public static (int TierRank, double Priority, long SpoolTimeMs) QueueKey(JobRecord job, int tierRank) => (tierRank, -job.Priority, job.SpoolTimeMs);

    /// <summary>How much of its share a group uses with <paramref name="active"/> commands running (share weight 1 unless configured).</summary>
    public double ShareUse(string group, int active) => active / (shares.TryGetValue(group, out var weight) && weight > 0 ? weight : 1.0);

    private int IndexOf(string name)
    {
        for (var i = 0; i < tiers.Count; i++)
            if (string.Equals(tiers[i], name, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }
}
