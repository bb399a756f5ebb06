using System.Threading.RateLimiting;
using Furrow.Client.Protocol;
using Furrow.Core.Config;
using Furrow.Engine.Access;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Antiforgery;
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
    /// </summary>
    public static void LimitLogins(RateLimiterOptions options) =>
        options.AddPolicy(Logins, context => RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "local",
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = 20,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(3),
                QueueLimit = 0,
            }));

    /// <summary>Maps /auth (who am I), /auth/login and /auth/logout under <paramref name="v1"/>.</summary>
    public static void MapAuthApi(this IEndpointRouteBuilder v1)
    {
        var auth = v1.MapGroup("/auth").WithTags("Authentication").AllowAnonymous();
        auth.MapGet("", Status).WithName("WhoAmI").Replies<AuthStatus>()
            .WithSummary("Who the engine takes the caller for, whether it needs a login, and (on this host) its local socket.");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting(Logins).WithName("Login").TakesJson<LoginRequest>().Replies<LoginReply>(401, 403, 429, 503)
            .WithSummary("Checks a password (a users.config account's, else crews.config's SitePasswordValidator) and returns a login token " +
                "to send as `Authorization: Bearer TOKEN`; with `\"cookie\": true` (a browser) the token also comes as the HttpOnly, " +
                $"SameSite=Strict session cookie {BrowserSessions.CookieName}, and the {BrowserSessions.HeaderName} reply header holds the " +
                "CSRF token its unsafe calls must send back in that header. 503 when the validator could not answer.");
        auth.MapPost("/logout", LogoutAsync).WithName("Logout").Replies<OperationReply>(401, 403)
            .WithSummary($"Ends the session of the token sent, or of the session cookie {BrowserSessions.CookieName} (then with its CSRF token), and clears the cookie.");
    }

    private static AuthStatus Status(HttpContext context, IOptions<EngineOptions> options, IAntiforgery antiforgery)
    {
        // A page of another site cannot read this reply (SameSite=Strict keeps the cookie off its requests, and the
        // browser's same-origin rule keeps the reply from it), so handing the token out on a GET gives it to no one else.
        if (BrowserSessions.IsCookieSession(context))
            BrowserSessions.GiveToken(context, antiforgery);
        var user = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;
        var socket = LocalPeer.IsLocal(context) && options.Value.LocalSocketPath is { } path && File.Exists(path) ? path : null;
        var administrator = user is not null && context.User.IsInRole(EngineAuthentication.AdministratorRole);
        var crews = context.RequestServices.GetRequiredService<UserAccounts>().Crews;
        var caller = new Core.Access.AccessCaller(user ?? "", administrator);
        return new AuthStatus(user, administrator, options.Value.RequireAuthentication, socket)
        {
            MayChangeFarm = user is not null && crews.FarmRefusal(caller, "change the farm") is null,
            ReadOnly = user is not null && crews.ReadOnlyRefusal(caller, "change anything") is not null,
            MaySpool = user is not null && crews.SpoolRefusal(caller) is null,
        };
    }

    private static async Task<IResult> LoginAsync(LoginRequest login, HttpContext context, UserAccounts accounts, LoginSessions sessions,
        IAntiforgery antiforgery, ILogger<LoginSessions> logger, CancellationToken ct)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "the local socket";
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
        var (token, expires) = await sessions.StartAsync(user, accounts.StampOf(user) ?? "", ct);
        AccessLog.LoggedIn(logger, user, address);
        // A browser's token stays in its HttpOnly cookie: a script on the page never sees it.
        if (login.Cookie)
        {
            BrowserSessions.SignIn(context, antiforgery, token, expires, user, accounts.IsAdministrator(user));
            token = "";
        }
        return TypedResults.Json(new LoginReply(0, $"logged in as {user}", user, token, expires), FurrowJsonContext.Default.LoginReply);
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
