using System.Security.Cryptography;
using System.Text;

namespace Furrow.Core.Access;

/// <summary>
/// Who a sign-in code signs a browser in as: the login, whether the caller that asked for it was an administrator, and the
/// password stamp its session is kept under (so a password change or a removed account ends it, as it ends a token).
/// </summary>
public sealed record SignInIdentity(string User, bool Administrator, string Stamp);

/// <summary>
/// One-time sign-in codes (`furrow up`'s and `furrow dashboard`'s Dashboard links): a caller the engine already knows asks
/// for a code that signs a browser in as that caller. A code is 256 random bits, base64url, kept only as its SHA-256
/// hash in memory (an engine restart forgets every code); it works once, for <see cref="Lifetime"/>, and at most
/// <see cref="Capacity"/> are outstanding, the oldest dropped first. Pure: the caller gives the time. Thread-safe.
/// </summary>
public sealed class SignInCodes(int capacity = SignInCodes.DefaultCapacity, TimeSpan? lifetime = null)
{
    /// <summary>How many codes may be outstanding by default.</summary>
    public const int DefaultCapacity = 64;

    /// <summary>How long a code works by default: 5 minutes, time enough to open a link just printed.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    // Oldest first, so dropping the oldest outstanding code is a walk from the front.
    private readonly LinkedList<(string Hash, long ExpiresMs)> _order = new();
    private readonly Dictionary<string, (SignInIdentity Who, long ExpiresMs, LinkedListNode<(string Hash, long ExpiresMs)> Node)> _codes =
        new(StringComparer.Ordinal);

    /// <summary>How many codes may be outstanding; a new one beyond that drops the oldest.</summary>
    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one code");

    /// <summary>How long a code works after it is made.</summary>
    public TimeSpan Lifetime { get; } = lifetime ?? DefaultLifetime;

    /// <summary>How many codes are outstanding (made, not used, not dropped; expired ones go at the next <see cref="Mint"/>).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _codes.Count;
        }
    }

    /// <summary>A new code for <paramref name="who"/>, made at <paramref name="nowMs"/> (Unix ms), and when it expires (Unix ms).</summary>
    public (string Code, long ExpiresMs) Mint(SignInIdentity who, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(who);
        var code = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = nowMs + (long)Lifetime.TotalMilliseconds;
        var hash = Hash(code);
        lock (_lock)
        {
            while (_order.First is { } oldest && (oldest.Value.ExpiresMs <= nowMs || _codes.Count >= Capacity))
                Drop(oldest);
            var node = _order.AddLast((hash, expires));
            _codes[hash] = (who, expires, node);
        }
        return (code, expires);
    }

    /// <summary>
    /// Uses <paramref name="code"/> at <paramref name="nowMs"/>: whom it signs in as, or null when it was never made here,
    /// was used, was dropped or has expired (the caller cannot tell which). A used code is gone.
    /// </summary>
    public SignInIdentity? Redeem(string? code, long nowMs)
    {
        // A code is 43 base64url characters; anything else is refused before it is hashed.
        if (code is not { Length: 43 } || !code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return null;
        var hash = Hash(code);
        lock (_lock)
        {
            if (!_codes.TryGetValue(hash, out var kept))
                return null;
            Drop(kept.Node);
            return kept.ExpiresMs > nowMs ? kept.Who : null;
        }
    }

    private void Drop(LinkedListNode<(string Hash, long ExpiresMs)> node)
    {
        _order.Remove(node);
        _codes.Remove(node.Value.Hash);
    }

    private static string Hash(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(code)));
}
