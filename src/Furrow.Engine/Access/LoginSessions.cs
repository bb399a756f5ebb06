using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Access;

/// <summary>
/// Login tokens: made at login, kept in the job database as SHA-256 hashes with their login and expiry, checked on every
/// call. A token is 128 random bits written as a 36-character UUID, the shape of Tractor's `tsid`, so Tractor's clients can
/// carry it. Checked tokens are remembered in memory (a blade of calls costs no database read); logout forgets them.
/// </summary>
public sealed class LoginSessions(IJobStore store, TimeProvider clock, IOptions<EngineOptions> options)
{
    /// <summary>
    /// The password stamp of a session started by a sign-in link that the engine's own account or root asked for on its
    /// unix socket: such a caller has no password to change, so the session stands while its login is still one the
    /// socket trusts (<see cref="LocalPeer.Trusts"/>), as an administrator. Never equal to an account's stamp (hex) or a validator's.
    /// </summary>
    public const string LocalStamp = "local-socket";

    private readonly ConcurrentDictionary<string, (string Login, string Stamp, long ExpiresMs)> _known = new(StringComparer.Ordinal);

    /// <summary>Starts a session for <paramref name="login"/> under its password <paramref name="stamp"/>; returns its token and expiry (Unix ms).</summary>
    public async Task<(string Token, long ExpiresMs)> StartAsync(string login, string stamp, CancellationToken cancellationToken)
    {
        var token = new Guid(RandomNumberGenerator.GetBytes(16)).ToString("D");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)options.Value.LoginSessionLifetime.TotalMilliseconds;
        // Expired sessions go when new ones come: the table stays the size of the logins in use.
        await store.CommitAsync([new DeleteSessions(null, now), new InsertSession(Hash(token), login, stamp, now, expires)], cancellationToken)
            .ConfigureAwait(false);
        return (token, expires);
    }

    /// <summary>The login and password stamp of a live session with <paramref name="token"/>, or null (unknown, ended or expired).</summary>
    public async ValueTask<(string Login, string Stamp)?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (!LooksLikeToken(token))
            return null;
        var hash = Hash(token);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!_known.TryGetValue(hash, out var session))
        {
            if (await store.FindSessionAsync(hash, cancellationToken).ConfigureAwait(false) is not { } stored)
                return null;
            session = stored;
            _known[hash] = session;
        }
        return session.ExpiresMs > now ? (session.Login, session.Stamp) : null;
    }

    /// <summary>Ends the session of <paramref name="token"/> (logout); nothing happens for an unknown token.</summary>
    public async Task EndAsync(string token, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        _known.TryRemove(hash, out _);
        await store.CommitAsync([new DeleteSession(hash)], cancellationToken).ConfigureAwait(false);
    }

    private static bool LooksLikeToken(string token) => token.Length == 36 && Guid.TryParseExact(token, "D", out _);

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
