using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Furrow.Engine.Farm;
using Furrow.Storage;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Blades;

/// <summary>A blade call refused: 401 (no credentials, or ones that name nothing) or 403 (the name is another blade's), and why.</summary>
internal sealed record BladeRefusal(int Status, string Message);

/// <summary>
/// What a registration gets past enrolment: a refusal, or leave to register, with the key issued now (null when it showed
/// its key, or proposed the one now bound to its name). <see cref="Enrolled"/>: the name was bound by this registration.
/// </summary>
internal readonly record struct BladeAdmission(BladeRefusal? Refusal, string? IssuedKey, bool Enrolled = false);

/// <summary>
/// Which blade may use which name. A blade that shows the site's <see cref="EnrolmentSecret"/> under a name not yet
/// enrolled has its key bound to the name: the one it proposes with the secret (made and kept on its disk before it
/// asks, so a blade stopped at any moment of its enrolment still holds the key its name is bound to), or, from a blade
/// that proposes none, a random one issued in the reply. The job database keeps only the key's SHA-256, and every later
/// registration and every agent call under that name must carry the key. An operator releases a name when its machine
/// was rebuilt or its state directory lost.
/// </summary>
/// <remarks>
/// Each name's hash, once read from the database, stays in <see cref="_hashes"/>, so a poll or report is checked without
/// a database read. Request threads read it at will; it is filled, and changed, only under <see cref="_changes"/>, after
/// the database has committed, so a release can never be undone by a check that read the row just before it.
/// </remarks>
internal sealed class BladeKeys(IJobStore store, ChangeCommitter committer, EnrolmentSecret secret, TimeProvider clock, ILogger<BladeKeys> logger)
{
    /// <summary>How an operator releases a name, for refusals and docs.</summary>
    public static string HowToRelease(string name) => $"`tq releaseblade {name}` (DELETE /api/v1/blades/{name}/key)";

    private readonly ConcurrentDictionary<string, byte[]> _hashes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changes = new(1, 1);

    /// <summary>
    /// Checks an agent call (work, report, heartbeat, leave) under <paramref name="name"/> carrying <paramref name="key"/>:
    /// null when it may go on. Costs a hash and a dictionary read once the name's hash is cached.
    /// </summary>
    public ValueTask<BladeRefusal?> CheckAsync(string name, string? key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(key))
            return ValueTask.FromResult<BladeRefusal?>(MissingKey(name));
        return _hashes.TryGetValue(name, out var hash)
            ? ValueTask.FromResult(Matches(hash, key) ? null : AnotherKey(name))
            : CheckUncachedAsync(name, key, cancellationToken);
    }

    private async ValueTask<BladeRefusal?> CheckUncachedAsync(string name, string key, CancellationToken cancellationToken)
    {
        var hash = await StoredHashAsync(name, cancellationToken).ConfigureAwait(false);
        return hash is null ? NotEnrolled(name) : Matches(hash, key) ? null : AnotherKey(name);
    }

    /// <summary>
    /// Lets a registration under <paramref name="name"/> in: with its key, or, for a name not enrolled, with the site's
    /// secret, when the key it proposes in <paramref name="key"/> (400 when weaker than 32 random bytes), or else one
    /// issued now, is bound to the name before this returns.
    /// </summary>
    public async Task<BladeAdmission> AdmitAsync(string name, string? key, string? presentedSecret, string? address, CancellationToken cancellationToken)
    {
        var admission = await AdmitCoreAsync(name, key, presentedSecret, cancellationToken).ConfigureAwait(false);
        if (admission.Refusal is { } refused)
            BladeKeyLog.Refused(logger, name, address, refused.Status, refused.Message);
        else if (admission.Enrolled)
            BladeKeyLog.Enrolled(logger, name, address);
        return admission;
    }

    private async Task<BladeAdmission> AdmitCoreAsync(string name, string? key, string? presentedSecret, CancellationToken cancellationToken)
    {
        var stored = await StoredHashAsync(name, cancellationToken).ConfigureAwait(false);
        if (stored is not null)
        {
            if (!string.IsNullOrEmpty(key) && Matches(stored, key))
                return new BladeAdmission(null, null);
            // Showing the secret proves a blade of this site, not this blade: the name stays with the key it was issued.
            return new BladeAdmission(string.IsNullOrEmpty(key) && string.IsNullOrEmpty(presentedSecret) ? MissingKey(name) : AnotherKey(name), null);
        }
        if (string.IsNullOrEmpty(presentedSecret))
            return new BladeAdmission(NotEnrolled(name), null);
        if (!secret.Matches(presentedSecret))
            return new BladeAdmission(new BladeRefusal(StatusUnauthorized,
                // Said to a caller who has proved nothing: where the engine keeps its files is not its business.
                $"blade {name}: the enrolment secret it showed is not this site's; give the blade the site's secret file (the engine keeps it " +
                "in its data directory as blade-enrolment.secret, or where tractor.config's BladeEnrolmentSecretFile says) " +
                "with --enrolment-secret-file or $FURROW_ENROLMENT_SECRET_FILE"), null);
        var proposed = string.IsNullOrEmpty(key) ? null : key;
        if (proposed is not null && ProposalProblem(proposed) is { } problem)
            return new BladeAdmission(new BladeRefusal(StatusBadRequest, $"blade {name}: the key it proposes {problem}"), null);
        return await EnrolAsync(name, proposed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why a proposed key is too weak to bind a name to (at least 32 random bytes, base64url, as blades make them), or null.</summary>
    public static string? ProposalProblem(string key) =>
        key.Length > MaxKeyLength ? $"is longer than {MaxKeyLength} characters"
        : !Base64Url.IsValid(key, out var bytes) ? "is not base64url"
        : bytes < MinKeyBytes ? $"holds {bytes} bytes: at least {MinKeyBytes} random bytes are needed"
        : null;

    private const int MinKeyBytes = 32;
    private const int MaxKeyLength = 512;

    private async Task<BladeAdmission> EnrolAsync(string name, string? proposed, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another registration under this name may have enrolled it while this one waited: the same blade asking
            // again with the key it proposed is let in, any other is not.
            if (await store.GetBladeKeyHashAsync(name, cancellationToken).ConfigureAwait(false) is { } hex)
                return proposed is not null && Matches(Convert.FromHexString(hex), proposed) ? new BladeAdmission(null, null) : new BladeAdmission(AnotherKey(name), null);
            var key = proposed ?? Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(MinKeyBytes));
            var hash = Hash(key);
            var changes = new ChangeSet();
            changes.Add(new SetBladeKey(name, Convert.ToHexStringLower(hash), clock.GetUtcNow().ToUnixTimeMilliseconds()));
            await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
            _hashes[name] = hash;
            return new BladeAdmission(null, proposed is null ? key : null, Enrolled: true);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Releases <paramref name="name"/>: its key no longer works, and a blade showing the secret may enrol under it. False when it was not enrolled.</summary>
    public async Task<bool> ReleaseAsync(string name, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await store.GetBladeKeyHashAsync(name, cancellationToken).ConfigureAwait(false) is null)
            {
                _hashes.TryRemove(name, out _);
                return false;
            }
            var changes = new ChangeSet();
            changes.Add(new DeleteBladeKey(name));
            await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
            _hashes.TryRemove(name, out _);
            BladeKeyLog.Released(logger, name);
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    // The name's hash from the cache, else from the database (then cached). Null (not enrolled) is never cached: the
    // database says so until someone enrols the name, and enrolling fills the cache itself.
    private async ValueTask<byte[]?> StoredHashAsync(string name, CancellationToken cancellationToken)
    {
        if (_hashes.TryGetValue(name, out var cached))
            return cached;
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_hashes.TryGetValue(name, out cached))
                return cached;
            var hex = await store.GetBladeKeyHashAsync(name, cancellationToken).ConfigureAwait(false);
            if (hex is null)
                return null;
            var hash = Convert.FromHexString(hex);
            _hashes[name] = hash;
            return hash;
        }
        finally
        {
            _changes.Release();
        }
    }

    // A key is 43 characters; anything much longer is not one, and is not hashed into a buffer of its size.
    private static bool Matches(byte[] hash, string key)
    {
        if (key.Length > 128)
            return false;
        Span<byte> bytes = stackalloc byte[128 * 3];
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(key, bytes)], presented);
        return CryptographicOperations.FixedTimeEquals(presented, hash);
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    // HTTP's statuses, named here so this file needs nothing of ASP.NET Core.
    private const int StatusBadRequest = 400;
    private const int StatusUnauthorized = 401;
    private const int StatusForbidden = 403;

    private static BladeRefusal MissingKey(string name) => new(StatusUnauthorized,
        $"blade {name}: the call carries no blade key; a blade sends the key it was issued at enrolment in the " +
        $"{Client.Protocol.BladeCredentialHeaders.Key} header");

    private static BladeRefusal NotEnrolled(string name) => new(StatusUnauthorized,
        $"blade {name} is not enrolled with this engine (or an operator released the name): it enrols by showing the site's " +
        $"enrolment secret in the {Client.Protocol.BladeCredentialHeaders.EnrolmentSecret} header (furrow blade --enrolment-secret-file FILE)");

    private static BladeRefusal AnotherKey(string name) => new(StatusForbidden,
        $"blade name {name} is enrolled to another blade's key; if that blade's machine was rebuilt or its state directory lost, " +
        $"an operator releases the name with {HowToRelease(name)} and the blade then enrols again");
}
