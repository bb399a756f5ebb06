namespace Furrow.Core.Scheduling;

/// <summary>
/// A blade as the scheduler tests it against a command's service key expression: who it is, what it provides and
/// how much room it has right now.
/// </summary>
/// <param name="Name">The blade's registered name (usually its host name).</param>
/// <param name="Host">The host name or address the engine sees the blade at.</param>
/// <param name="Platform">The blade's platform string, e.g. <c>linux</c>; matched against profile patterns.</param>
/// <param name="Provides">
/// The service keys the blade's profile lists in <c>Provides</c>, or null when the site has no blade.config: then the
/// blade provides every key (so a negated key such as <c>!slow</c> never matches it). Compared case-insensitively.
/// </param>
/// <param name="Cores">CPU cores the operating system reports (<c>@.nCPUs</c>).</param>
/// <param name="MemoryGB">Free physical memory, in gigabytes (<c>@.mem</c>).</param>
/// <param name="DiskGB">Free disk space, in gigabytes (<c>@.disk</c>).</param>
/// <param name="Load">Load average, not normalised (<c>@.load</c>; <c>@.cpu</c> is this divided by <paramref name="Cores"/>).</param>
public sealed record BladeTraits(
    string Name,
    string Host,
    string Platform,
    IReadOnlySet<string>? Provides,
    int Cores,
    double MemoryGB,
    double DiskGB,
    double Load)
{
    /// <summary>
    /// True when the blade answers to <paramref name="key"/>: its <see cref="Provides"/> list names it, or it is the
    /// blade's own name or host (so a job can ask for one machine), ignoring case either way.
    /// </summary>
    public bool ProvidesKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Provides is null || Provides.Contains(key))
            return true;
        if (string.Equals(Name, key, StringComparison.OrdinalIgnoreCase) || string.Equals(Host, key, StringComparison.OrdinalIgnoreCase))
            return true;
        // The set's own comparer may be case-sensitive; service keys are not. A profile's set (blade.config) already
        // ignores case, and dispatch asks this of every candidate, so that set is not walked (which would allocate).
        if (Provides is HashSet<string> { Comparer: var comparer } && ReferenceEquals(comparer, StringComparer.OrdinalIgnoreCase))
            return false;
        foreach (var provided in Provides)
        {
            if (string.Equals(provided, key, StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }

    /// <summary>True when a provided key, the blade's name or its host matches the glob <paramref name="pattern"/> (<c>*</c>, <c>?</c>).</summary>
    public bool ProvidesKeyMatching(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (Provides is null || GlobPattern.IsMatch(pattern, Name) || GlobPattern.IsMatch(pattern, Host))
            return true;
        foreach (var provided in Provides)
        {
            if (GlobPattern.IsMatch(pattern, provided))
                return true;
        }

        return false;
    }
}
