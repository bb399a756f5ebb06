using System.Security.Claims;
using System.Text.Encodings.Web;
using Furrow.Engine.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Access;

/// <summary>
/// Who calls, for ASP.NET Core's authentication: `Authorization: Bearer TOKEN` with a live login token of an account
/// that still exists; without an Authorization header, a browser's session cookie (<see cref="BrowserSessions"/>) holding
/// such a token, except on Tractor's URLs, which take their callers' `tsid` instead; or the engine's own account or root
/// on the local unix socket (<see cref="LocalPeer"/>). Anything
/// else is anonymous; whether anonymous calls are served is the authorisation policy's to say (RequireAuthentication).
/// </summary>
public sealed class EngineAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    LoginSessions sessions, UserAccounts accounts) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "Furrow";

    /// <summary>How a caller known by a login token was authenticated (the identity's AuthenticationType).</summary>
    public const string ByToken = "token";

    /// <summary>How a browser known by its session cookie was authenticated (the identity's AuthenticationType); its unsafe calls need a CSRF token.</summary>
    public const string ByCookie = "cookie";

    /// <summary>How the engine's own account or root on the unix socket was authenticated (the identity's AuthenticationType).</summary>
    public const string ByLocalSocket = "local";

    /// <summary>The role claim every administrator carries: crews.config Administrators, the engine's own account, root.</summary>
    public const string AdministratorRole = "Administrators";

    /// <summary>The principal of <paramref name="user"/>, an administrator or not, authenticated by <paramref name="how"/> (token, cookie, local).</summary>
    /// <remarks><paramref name="session"/>, when given, names the browser session (<see cref="BrowserSessions.SessionClaim"/>) so CSRF tokens are bound to it.</remarks>
    public static ClaimsPrincipal Principal(string user, bool administrator, string how, string? session = null)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, user) };
        if (session is not null)
            claims.Add(new Claim(BrowserSessions.SessionClaim, session));
        if (administrator)
            claims.Add(new Claim(ClaimTypes.Role, AdministratorRole));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, how));
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return await sessions.FindAsync(token, Context.RequestAborted).ConfigureAwait(false) is var (login, stamp) && Admits(accounts, login, stamp) is { } administrator
                ? Success(login, administrator, ByToken)
                : AuthenticateResult.Fail("the login token is unknown, ended, expired, or its account's password changed: log in again (tq --login)");
        }
        if (header.Length > 0)
            return AuthenticateResult.Fail("the Authorization header is not `Bearer TOKEN`");
        // Tractor's URLs take no browser session: they change the queue on a GET (as Tractor's clients send them), where
        // the session's CSRF token and Origin checks cannot stand guard, and their callers say who they are by tsid.
        if (!Tractor.TractorRequests.IsTractor(Request) && Request.Cookies[BrowserSessions.CookieName] is { Length: > 0 } cookie)
        {
            return await sessions.FindAsync(cookie, Context.RequestAborted).ConfigureAwait(false) is var (login, stamp) && Admits(accounts, login, stamp) is { } administrator
                ? Success(login, administrator, ByCookie, BrowserSessions.SessionId(cookie))
                : AuthenticateResult.Fail($"the session cookie {BrowserSessions.CookieName} is unknown, ended, expired, or its account's password changed: sign in again");
        }
        // Tractor's clients carry their login as ?tsid= (TRACTOR-PROTOCOL §2): a login token by another name.
        if (Tractor.TractorRequests.Tsid(Request) is { } tsid)
        {
            if (await sessions.FindAsync(tsid, Context.RequestAborted).ConfigureAwait(false) is var (login, stamp) && Admits(accounts, login, stamp) is { } administrator)
                return Success(login, administrator, ByToken);
        }
        return LocalPeer.Identify(Context) is { } local ? Success(local, true, ByLocalSocket) : AuthenticateResult.NoResult();
    }

    /// <summary>
    /// Whether a session of <paramref name="login"/> kept under <paramref name="stamp"/> still stands, and then whether it
    /// is an administrator's; null when it no longer stands. An account's session stands while the account keeps that
    /// password stamp; a session from a sign-in link the engine's socket asked for (<see cref="LoginSessions.LocalStamp"/>)
    /// stands while its login is one the socket trusts, always an administrator there.
    /// </summary>
    public static bool? Admits(UserAccounts accounts, string login, string stamp) =>
        stamp == LoginSessions.LocalStamp ? LocalPeer.Trusts(login) ? true : null
        : accounts.StampOf(login) == stamp ? accounts.IsAdministrator(login) : null;

    private AuthenticateResult Success(string user, bool administrator, string how, string? session = null) =>
        AuthenticateResult.Success(new AuthenticationTicket(Principal(user, administrator, how, session), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false)).Failure?.Message;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"furrow\"";
        await ApiResults.Error(StatusCodes.Status401Unauthorized, failure ??
            "this engine needs a login: run `tq --login` (or POST /api/v1/auth/login) and send the token as `Authorization: Bearer TOKEN`")
            .ExecuteAsync(Context).ConfigureAwait(false);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiResults.Error(StatusCodes.Status403Forbidden, $"{Context.User.Identity?.Name} may not {Request.Method} {Request.Path}").ExecuteAsync(Context);
}
