using System.Threading.RateLimiting;
using Furrow.Client.Protocol;
using Furrow.Core.Access;
using Furrow.Core.Config;
using Furrow.Engine.Access;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Api;

/// <summary>Logging in and out, and who the engine takes the caller for; open to anonymous callers.</summary>
internal static class AuthEndpoints
{
    /// <summary>The rate-limiting policy of logins (<see cref="LimitLogins"/>).</summary>
    public const string Logins = "logins";

    /// <summary>
    /// Logins from one address: a burst of 20, then one every 3 s. Each costs a PBKDF2 hash (tens of ms of CPU), and
    /// guessing passwords should be slow; a refused one gets 429 with Retry-After (<see cref="RequestRateLimiting"/> answers it).
    /// The policy is also on Tractor's URLs, where only `monitor?q=login` is a login (one bucket per address for both).
    /// </summary>
    public static void LimitLogins(RateLimiterOptions options) =>
        options.AddPolicy(Logins, context => !Tractor.TractorRequests.IsTractor(context.Request) || Tractor.TractorRequests.IsLogin(context.Request)
            ? RateLimitPartition.Get(context.Connection.RemoteIpAddress?.ToString() ?? "local",
                _ => RequestRateLimiting.Bucket(20, 1, TimeSpan.FromSeconds(3)))
            : RateLimitPartition.GetNoLimiter(""));

    /// <summary>The path of the Dashboard's sign-in page, which reads the code from its fragment and logs in with it.</summary>
    public const string SignInPage = "/signin";

    /// <summary>Maps /auth (who am I), /auth/login, /auth/logout and /auth/signin-link under <paramref name="v1"/>.</summary>
    public static void MapAuthApi(this IEndpointRouteBuilder v1)
    {
        var auth = v1.MapGroup("/auth").WithTags("Authentication").AllowAnonymous();
        auth.MapGet("", Status).WithName("WhoAmI").Replies<AuthStatus>(401)
            .WithSummary("Who the engine takes the caller for, whether it needs a login, and (on this host) its local socket; 401 when the token or session cookie sent is not a live one.");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting(Logins).WithName("Login").TakesJson<LoginRequest>().Replies<LoginReply>(401, 403, 429, 503)
            .WithSummary("Checks a password (a users.config account's, else crews.config's SitePasswordValidator) and returns a login token " +
                "to send as `Authorization: Bearer TOKEN`; with `\"cookie\": true` (a browser) the token also comes as the HttpOnly, " +
                $"SameSite=Strict session cookie {BrowserSessions.CookieName}, and the {BrowserSessions.HeaderName} reply header holds the " +
                "CSRF token its unsafe calls must send back in that header. 503 when the validator could not answer. Instead of user and " +
                "password, `\"code\"` takes a one-time code from POST /api/v1/auth/signin-link and logs in as whoever asked for it " +
                "(a token, or with `\"cookie\": true` a browser session, as for a password); an unknown, used or expired code gets 401.");
        auth.MapPost("/signin-link", SignInLinkAsync).WithName("SignInLink").Replies<SignInLink>(401, 403)
            .WithSummary($"A one-time code that signs a browser in as the caller (any login: token, session cookie with its CSRF token, or the " +
                $"engine's unix socket): POST it to /api/v1/auth/login as `{{\"code\": CODE, \"cookie\": true}}`. It works once, for " +
                $"{(int)SignInCodes.DefaultLifetime.TotalMinutes} minutes, and is kept only in the engine's memory; path is the Dashboard's " +
                $"sign-in page with the code in its fragment ({SignInPage}#code=CODE), which browsers keep out of requests and Referer headers. " +
                "401 for an anonymous caller.");
        auth.MapPost("/logout", LogoutAsync).WithName("Logout").Replies<OperationReply>(401, 403)
            .WithSummary($"Ends the session of the token sent, or of the session cookie {BrowserSessions.CookieName} (then with its CSRF token), and clears the cookie.");
    }

    private static async Task<IResult> Status(HttpContext context, IOptions<EngineOptions> options, IAntiforgery antiforgery)
    {
        // A token or session cookie sent and not known is said so, as every other endpoint says it; no login sent is anonymous.
        // (The handler keeps its result for the request: this asks it again, it does not look the token up again.)
        if ((await context.AuthenticateAsync(EngineAuthentication.SchemeName)).Failure is { } failure)
            return ApiResults.Error(StatusCodes.Status401Unauthorized, failure.Message);
        // A page of another site cannot read this reply (SameSite=Strict keeps the cookie off its requests, and the
        // browser's same-origin rule keeps the reply from it), so handing the token out on a GET gives it to no one else.
        if (BrowserSessions.IsCookieSession(context))
            BrowserSessions.GiveToken(context, antiforgery);
        var user = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;
        var socket = LocalPeer.IsLocal(context) && options.Value.LocalSocketPath is { } path && File.Exists(path) ? path : null;
        var crews = context.RequestServices.GetRequiredService<UserAccounts>().Crews;
        var caller = new Core.Access.AccessCaller(user ?? "", user is not null && context.User.IsInRole(EngineAuthentication.AdministratorRole));
        // An administrator by login (the engine's own account, root on the socket) or by crews.config's Administrators crew.
        var administrator = user is not null && crews.IsAdministrator(caller);
        return TypedResults.Json(new AuthStatus(user, administrator, options.Value.RequireAuthentication, socket)
        {
            MayChangeFarm = user is not null && crews.FarmRefusal(caller, "change the farm") is null,
            ReadOnly = user is not null && crews.ReadOnlyRefusal(caller, "change anything") is not null,
            MaySpool = user is not null && crews.SpoolRefusal(caller) is null,
        }, FurrowJsonContext.Default.AuthStatus);
    }

    private static async Task<IResult> LoginAsync(LoginRequest login, HttpContext context, UserAccounts accounts, LoginSessions sessions,
        SignInCodes codes, TimeProvider clock, IAntiforgery antiforgery, ILogger<LoginSessions> logger, CancellationToken ct)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "the local socket";
        if (login.Code is { } code)
        {
            if (login.User is not null || login.Password is not null)
                return ApiResults.BadRequest("a login gives either a user and password, or a sign-in code: not both");
            return await CodeLoginAsync(code, login.Cookie, address, context, accounts, sessions, codes, clock, antiforgery, logger, ct);
        }
        // A body without a user binds as null despite the record's annotation: it is refused below like an empty name.
        var user = login.User ?? "";
        if (AccountName.Problem(user) is { } problem)
            return ApiResults.BadRequest($"bad user {AccountName.Quote(user)}: {problem}");
        var answer = await accounts.CheckLoginAsync(user, login.Password ?? "", ct);
        if (answer.Trouble is { } trouble)
            return ApiResults.Unavailable($"login as {user} could not be checked: {trouble}");
        if (!answer.Accepted)
        {
            AccessLog.LoginFailed(logger, user, address);
            return ApiResults.Error(StatusCodes.Status401Unauthorized, accounts.HasValidator
                ? $"login as {user} refused: neither users.config nor crews.config's SitePasswordValidator accepts that user name and password"
                : $"login as {user} refused: no such account in users.config, or a wrong password");
        }
        // The password is checked first, so the reply says nothing of crews.config to one who does not know it.
        if (accounts.Crews.LoginRefusal(user) is { } refusal)
        {
            AccessLog.LoginFailed(logger, user, address);
            return ApiResults.Error(StatusCodes.Status403Forbidden, $"login as {user} refused: {refusal}");
        }
        AccessLog.LoggedIn(logger, user, address);
        return await StartSessionAsync(user, accounts.StampOf(user) ?? "", accounts.IsAdministrator(user), login.Cookie, context, sessions, antiforgery, ct);
    }

    // A code stands for whoever asked for it: its session is theirs, kept under their stamp, so it ends as theirs would.
    private static async Task<IResult> CodeLoginAsync(string code, bool cookie, string address, HttpContext context, UserAccounts accounts,
        LoginSessions sessions, SignInCodes codes, TimeProvider clock, IAntiforgery antiforgery, ILogger<LoginSessions> logger, CancellationToken ct)
    {
        // Unknown, used, expired, or its account's password changed since: one answer, so a guess learns nothing.
        if (codes.Redeem(code, clock.GetUtcNow().ToUnixTimeMilliseconds()) is not { } who
            || EngineAuthentication.Admits(accounts, who.User, who.Stamp) is not { } administrator)
        {
            AccessLog.SignInFailed(logger, address);
            return ApiResults.Error(StatusCodes.Status401Unauthorized,
                "sign-in refused: the code is not one this engine gave, was used already, or expired (a code works once, for " +
                $"{(int)codes.Lifetime.TotalMinutes} minutes): ask for a new link (furrow dashboard)");
        }
        if (accounts.Crews.LoginRefusal(who.User) is { } refusal)
        {
            AccessLog.LoginFailed(logger, who.User, address);
            return ApiResults.Error(StatusCodes.Status403Forbidden, $"login as {who.User} refused: {refusal}");
        }
        AccessLog.SignedIn(logger, who.User, address);
        return await StartSessionAsync(who.User, who.Stamp, administrator, cookie, context, sessions, antiforgery, ct);
    }

    private static async Task<IResult> StartSessionAsync(string user, string stamp, bool administrator, bool cookie, HttpContext context,
        LoginSessions sessions, IAntiforgery antiforgery, CancellationToken ct)
    {
        var (token, expires) = await sessions.StartAsync(user, stamp, ct);
        // A browser's token stays in its HttpOnly cookie: a script on the page never sees it.
        if (cookie)
        {
            BrowserSessions.SignIn(context, antiforgery, token, expires, user, administrator);
            token = "";
        }
        return TypedResults.Json(new LoginReply(0, $"logged in as {user}", user, token, expires), FurrowJsonContext.Default.LoginReply);
    }

    private static async Task<IResult> SignInLinkAsync(HttpContext context, UserAccounts accounts, LoginSessions sessions, SignInCodes codes,
        TimeProvider clock, ILogger<LoginSessions> logger, CancellationToken ct)
    {
        if (context.User.Identity is not { IsAuthenticated: true, Name: { } user } identity)
            return ApiResults.Error(StatusCodes.Status401Unauthorized,
                "a sign-in link signs a browser in as whoever asks for it: log in first (tq --login, or POST /api/v1/auth/login), or ask " +
                "on the engine's host as the engine's own account (furrow dashboard)");
        // The link carries the login the caller has: the socket's trust, or the session (and so the stamp) it came with.
        string stamp;
        if (identity.AuthenticationType == EngineAuthentication.ByLocalSocket)
            stamp = LoginSessions.LocalStamp;
        else if (SessionToken(context) is { } token && await sessions.FindAsync(token, ct) is var (login, kept) && login == user)
            stamp = kept;
        else
            return ApiResults.Error(StatusCodes.Status401Unauthorized, "the login this call came with has ended: log in again");
        var (code, expires) = codes.Mint(new SignInIdentity(user, context.User.IsInRole(EngineAuthentication.AdministratorRole), stamp),
            clock.GetUtcNow().ToUnixTimeMilliseconds());
        AccessLog.SignInLinkMade(logger, user);
        return TypedResults.Json(new SignInLink(code, expires, $"{SignInPage}#code={code}"), FurrowJsonContext.Default.SignInLink);
    }

    // The login token a token or cookie caller was known by (EngineAuthentication took the header first, then the cookie).
    private static string? SessionToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim()
            : header.Length == 0 ? context.Request.Cookies[BrowserSessions.CookieName] : null;
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, LoginSessions sessions, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            await sessions.EndAsync(header["Bearer ".Length..].Trim(), ct);
        // A cookie reaches here only with its CSRF token, or dead (checked when the caller was authenticated).
        else if (header.Length == 0 && context.Request.Cookies[BrowserSessions.CookieName] is { Length: > 0 } cookie)
        {
            await sessions.EndAsync(cookie, ct);
            BrowserSessions.SignOut(context);
        }
        else
            return ApiResults.Error(StatusCodes.Status401Unauthorized,
                $"logout ends the session of the token sent as `Authorization: Bearer TOKEN`, or of the session cookie {BrowserSessions.CookieName}: none came");
        return TypedResults.Json(new OperationReply("logout", 1, [], []), FurrowJsonContext.Default.OperationReply);
    }
}
