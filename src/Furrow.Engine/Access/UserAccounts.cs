using Furrow.Core.Access;
using Furrow.Core.Config;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Access;

/// <summary>
/// The site's accounts (users.config), crews (crews.config) and site password validator (crews.config's
/// SitePasswordValidator) as the engine checks them. Both files are read again when they change (looked at no more
/// than once a second), so `furrow user add` and an edited crews.config apply without a restart; a file made
/// unreadable, or a validator program gone, keeps the last good one and logs why.
/// </summary>
/// <remarks>
/// Furrow's rule for which check decides a login: a name with a users.config account is checked against that account
/// only; any other name goes to the validator, when crews.config names one. The validator's answer stands for the
/// password only: ValidLogins and BannedLogins apply to its logins as to every other.
/// </remarks>
public sealed class UserAccounts
{
    private static readonly PasswordHasher<string> Hasher = new();

    // A hash of a password no one has: checked when the user is unknown, so a wrong name costs as long as a wrong password.
    private static readonly string DecoyHash = Hasher.HashPassword("", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    private readonly string _configDirectory;
    private readonly TimeProvider _clock;
    private readonly ILogger<UserAccounts> _logger;
    private readonly Lock _lock = new();
    private Snapshot _current;
    private long _checkedAtMs;

    private readonly SiteLoginValidator _validator;
    private readonly SystemLogins _systemLogins;

    private sealed record Snapshot(UsersConfig Users, CrewRules Crews, PasswordValidatorCommand? Validator, string? ValidatorStamp,
        DateTime UsersStamp, DateTime CrewsStamp)
    {
        /// <summary>Which reading of the files this is: a later one has a larger number (in this engine process).</summary>
        public long Generation { get; init; }
    }

    private long _generations;

    /// <summary>Reads both files now: a bad file at start stops the engine (<see cref="SiteConfigException"/>).</summary>
    public UserAccounts(IOptions<EngineOptions> options, TimeProvider clock, ILogger<UserAccounts> logger)
    {
        _configDirectory = options.Value.ConfigDirectory;
        _clock = clock;
        _logger = logger;
        _validator = new SiteLoginValidator(clock, logger);
        _systemLogins = new SystemLogins(clock);
        _current = Read();
        _checkedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>A new PBKDF2 hash of <paramref name="password"/> for users.config.</summary>
    public static string HashPassword(string user, string password) => Hasher.HashPassword(user, password);

    /// <summary>Whether crews.config names a SitePasswordValidator (as last read).</summary>
    public bool HasValidator => Current().Validator is not null;

    /// <summary>
    /// Whether <paramref name="password"/> is <paramref name="user"/>'s: a users.config account's hash decides for a
    /// name that has one; any other name is put to crews.config's SitePasswordValidator, when it names one. An empty
    /// password, or one with a line break or NUL, is refused without running the validator (an empty one would pass a
    /// directory's anonymous bind). Trouble is set when the validator could not answer (see <see cref="ValidatorAnswer"/>).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while the validator ran.</exception>
    public async Task<ValidatorAnswer> CheckLoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        var current = Current(fresh: true);
        if (current.Users.Users.ContainsKey(user) || current.Validator is not { } validator)
            return new ValidatorAnswer(CheckPassword(current, user, password), null);
        if (password.Length == 0 || password.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
            return new ValidatorAnswer(false, null);
        return await _validator.CheckAsync(validator, _configDirectory, user, password, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="user"/> has a users.config account and <paramref name="password"/> is its password.</summary>
    public bool CheckPassword(string user, string password) => CheckPassword(Current(fresh: true), user, password);

    // Against one reading of the files: a login is judged by the reading it started with, and reads them once.
    private static bool CheckPassword(Snapshot current, string user, string password)
    {
        if (!current.Users.Users.TryGetValue(user, out var account))
        {
            Hasher.VerifyHashedPassword("", DecoyHash, password);
            return false;
        }
        try
        {
            return Hasher.VerifyHashedPassword(user, account.PasswordHash, password) != PasswordVerificationResult.Failed;
        }
        catch (FormatException)
        {
            // A hash edited by hand into something else: that account cannot log in until `furrow user passwd`.
            return false;
        }
    }

    /// <summary>
    /// The password stamp of <paramref name="user"/>'s account, or null when it has none (a removed account's tokens stop
    /// working). A name without a users.config account has the validator's stamp while crews.config names a validator:
    /// its logins end when the validator is removed or replaced by another command, or when the name gets an account.
    /// </summary>
    public string? StampOf(string user)
    {
        var current = Current();
        return current.Users.Users.TryGetValue(user, out var account) ? account.Stamp : current.ValidatorStamp;
    }

    /// <summary>Whether <paramref name="user"/> is in crews.config's Administrators crew (directly or through a crew it lists).</summary>
    public bool IsAdministrator(string user) => Current().Crews.IsMember(user, CrewRules.Administrators);

    /// <summary>
    /// What crews.config allows, as last read: job edit policies, who may change the farm, who may log in
    /// (<see cref="CrewRules"/>); <see cref="CrewRules.None"/>'s rules when the site has no crews.config.
    /// </summary>
    public CrewRules Crews => Current().Crews;

    /// <summary>
    /// Which reading of users.config and crews.config <see cref="Crews"/> now comes from: a larger number whenever the
    /// files are read again, so a reply judged by the rules can say in its ETag which rules judged it.
    /// </summary>
    public long CrewsGeneration => Current().Generation;

    /// <summary>
    /// Reads users.config and crews.config now, whatever their times say (POST /api/v1/config/reload): both are put in
    /// force together, or, when either does not parse or check, neither, and <see cref="SiteConfigException"/> names it.
    /// </summary>
    public void Reload()
    {
        lock (_lock)
        {
            _current = Read();
            _checkedAtMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        }
    }

    // The files as last read, their times checked at most once a second; with fresh, checked now. A login checks them
    // now (two stats beside a PBKDF2 hash), so `furrow user add` or `passwd` and a login right after it agree.
    private Snapshot Current(bool fresh = false)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (!fresh && now - _checkedAtMs < 1000)
                return _current;
            _checkedAtMs = now;
            if (Stamp(AccessFiles.UsersFile) == _current.UsersStamp && Stamp(AccessFiles.CrewsFile) == _current.CrewsStamp)
                return _current;
            try
            {
                _current = Read();
            }
            catch (SiteConfigException error)
            {
                AccessLog.AccessFileRefused(_logger, error.Message);
            }
            return _current;
        }
    }

    private Snapshot Read()
    {
        var usersStamp = Stamp(AccessFiles.UsersFile);
        var crewsStamp = Stamp(AccessFiles.CrewsFile);
        var crews = AccessFiles.ReadCrews(_configDirectory);
        var validator = AccessFiles.ReadValidator(_configDirectory, crews);
        var users = AccessFiles.ReadUsers(_configDirectory);
        // @externlogins: a name whose logins the validator decides (one without a users.config account, while there is a validator).
        var directory = new LoginDirectory(_systemLogins.Knows, name => validator is not null && !users.Users.ContainsKey(name));
        return new Snapshot(users, new CrewRules(crews, directory), validator, validator is null ? null : ValidatorStamp(validator),
            usersStamp, crewsStamp) { Generation = Interlocked.Increment(ref _generations) };
    }

    // Never equal to an account's stamp (those are hex); another command, another stamp.
    private static string ValidatorStamp(PasswordValidatorCommand validator) =>
        "validator:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join('\0', validator.Argv))))[..16];

    private DateTime Stamp(string file) => File.GetLastWriteTimeUtc(Path.Combine(_configDirectory, file));
}

internal static partial class AccessLog
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Error, Message = "keeping the accounts and crews read before: {Reason}")]
    public static partial void AccessFileRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "{User} logged in from {Address}")]
    public static partial void LoggedIn(ILogger logger, string user, string? address);

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "failed login as {User} from {Address}")]
    public static partial void LoginFailed(ILogger logger, string user, string? address);

    [LoggerMessage(EventId = 67, Level = LogLevel.Information, Message = "{User} asked for a sign-in link")]
    public static partial void SignInLinkMade(ILogger logger, string user);

    [LoggerMessage(EventId = 68, Level = LogLevel.Information, Message = "{User} signed in with a sign-in link from {Address}")]
    public static partial void SignedIn(ILogger logger, string user, string? address);

    [LoggerMessage(EventId = 69, Level = LogLevel.Warning, Message = "sign-in with an unknown, used or expired code from {Address}")]
    public static partial void SignInFailed(ILogger logger, string? address);
}
