using System.Collections.Concurrent;
using Furrow.Client;

namespace Furrow.Engine.Access;

/// <summary>
/// Whether the engine host's user database (getpwnam_r(3), so LDAP, NIS or SSSD through NSS too) knows a login name, for
/// crews.config's @syslogins. Crews are checked on every call, so each answer is kept for a minute: an account added or
/// removed on the host counts within that. A database that cannot be read answers "unknown", so the rule refuses rather
/// than lets in.
/// </summary>
internal sealed class SystemLogins(TimeProvider clock)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(1);

    // Bounded: a flood of made-up names (each call names its user) must not grow it without end.
    private const int MaxKept = 10_000;

    private readonly ConcurrentDictionary<string, (bool Known, DateTimeOffset Until)> _answers = new(StringComparer.Ordinal);

    /// <summary>True when the host has an account named <paramref name="name"/>.</summary>
    public bool Knows(string name)
    {
        var now = clock.GetUtcNow();
        if (_answers.TryGetValue(name, out var kept) && kept.Until > now)
            return kept.Known;
        bool known;
        try
        {
            known = HostAccount.Find(name) is not null;
        }
        catch (IOException)
        {
            known = false;
        }
        if (_answers.Count >= MaxKept)
            _answers.Clear();
        _answers[name] = (known, now + Keep);
        return known;
    }
}
