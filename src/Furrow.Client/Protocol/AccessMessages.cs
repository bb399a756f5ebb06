namespace Furrow.Client.Protocol;

/// <summary>
/// `GET /api/v1/auth`: who the engine takes the caller for (null: anonymous), whether it needs a login, and, for a
/// caller on this host, the unix socket where the engine's own account and root are known without one.
/// <paramref name="Administrator"/> is true for an administrator by login (the engine's own account, root on its socket)
/// or by crews.config's Administrators crew.
/// </summary>
public sealed record AuthStatus(string? User, bool Administrator, bool AuthenticationRequired, string? LocalSocket)
{
    /// <summary>
    /// True when the caller may change the farm as a whole: pause dispatch, nimby blades, reload config (crews.config's
    /// Administrators or Wranglers). What a page offers follows this; the engine checks every call again.
    /// </summary>
    public bool MayChangeFarm { get; init; }

    /// <summary>True when crews.config's ReadOnlyLogins holds the caller: it may list and read, and change nothing.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>True when the caller may spool jobs (not read-only, and in SpoolLogins when crews.config defines it).</summary>
    public bool MaySpool { get; init; }
}

/// <summary>
/// `POST /api/v1/auth/login`: an account of the engine's users.config and its password, or instead a one-time sign-in
/// <paramref name="Code"/> (<see cref="SignInLink"/>; then no user or password); <paramref name="Cookie"/> true for a
/// browser, whose session then comes in a cookie with a CSRF token in the X-CSRF-Token reply header.
/// </summary>
/// <remarks>A key it does not have is refused (<c>passwd</c> for <c>password</c> would otherwise be a login without one).</remarks>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record LoginRequest(string? User, string? Password, bool Cookie = false, string? Code = null);

/// <summary>
/// `POST /api/v1/auth/signin-link`: a one-time code that signs a browser in as the caller who asked for it (the
/// Dashboard's link), when it expires (Unix ms, 5 minutes on), and the path of the engine's sign-in page with the code
/// in its fragment (`/signin#code=CODE`), which browsers send to no server and put in no Referer.
/// </summary>
public sealed record SignInLink(string Code, long ExpiresMs, string Path);

/// <summary>
/// A login's token (send it as `Authorization: Bearer TOKEN`), whose it is, and when it expires (Unix ms). Empty for a
/// browser's sign-in (<see cref="LoginRequest.Cookie"/>), whose token is in its HttpOnly session cookie only.
/// </summary>
public sealed record LoginReply(int Rc, string Msg, string User, string Token, long ExpiresMs);

/// <summary>A login kept in the user's tokens file (<see cref="EngineLogins"/>): whose, the token, its expiry (Unix ms).</summary>
public sealed record SavedLogin(string User, string Token, long ExpiresMs);
