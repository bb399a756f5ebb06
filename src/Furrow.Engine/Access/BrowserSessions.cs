using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Access;

/// <summary>
/// Sessions of browsers (the Dashboard's groundwork). A browser signs in with `POST /api/v1/auth/login` and `"cookie": true`:
/// its login token, from <see cref="LoginSessions"/> like any other, comes back in the HttpOnly, SameSite=Strict, Path=/
/// cookie <see cref="CookieName"/> (Secure over TLS), so logout, a password change, an account's removal, crews.config's
/// ValidLogins and BannedLogins and LoginSessionDays end it exactly as they end a token. A browser sends cookies by
/// itself, so every unsafe call (POST, PUT, PATCH, DELETE) it makes with the cookie must also carry the CSRF token of
/// that session in the <see cref="HeaderName"/> header; ASP.NET Core's antiforgery makes and checks it (a pair of this
/// token and the HttpOnly cookie <see cref="AntiforgeryCookieName"/>, bound to the session).
/// </summary>
public static class BrowserSessions
{
    /// <summary>The session cookie: the login token (a 36-character UUID), HttpOnly, SameSite=Strict, Path=/, expiring with the session.</summary>
    public const string CookieName = "furrow-session";

    /// <summary>The antiforgery cookie that pairs with the CSRF token (HttpOnly, SameSite=Strict, Path=/).</summary>
    public const string AntiforgeryCookieName = "furrow-csrf";

    /// <summary>The header in which login and `GET /api/v1/auth` give a cookie session its CSRF token, and in which its unsafe calls send it back.</summary>
    public const string HeaderName = "X-CSRF-Token";

    /// <summary>The claim naming the session (a SHA-256 of its token, hex): antiforgery binds CSRF tokens to the caller's claims, so to this session.</summary>
    public const string SessionClaim = "furrow:session";

    /// <summary>Antiforgery's settings for the engine: the names above, cookies as strict as the session's.</summary>
    public static void Configure(AntiforgeryOptions options)
    {
        options.HeaderName = HeaderName;
        // Browsers post JSON, never forms, to the API: a form field would only be a second way to send the same token.
        options.FormFieldName = "csrf-token";
        options.Cookie.Name = AntiforgeryCookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.Path = "/";
        options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
        // The API's replies are JSON, not pages to frame; the header antiforgery would add says nothing to them.
        options.SuppressXFrameOptionsHeader = true;
    }

    /// <summary>The value of <see cref="SessionClaim"/> for the session of <paramref name="token"/>.</summary>
    public static string SessionId(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// Sets the session cookie of <paramref name="token"/> (expiring at <paramref name="expiresMs"/>, Unix ms) on the reply, takes
    /// the caller for that session, and returns its CSRF token (also sent as the <see cref="HeaderName"/> reply header).
    /// </summary>
    public static string SignIn(HttpContext context, IAntiforgery antiforgery, string token, long expiresMs, string user, bool administrator)
    {
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Secure = context.Request.IsHttps,
            Expires = DateTimeOffset.FromUnixTimeMilliseconds(expiresMs),
        });
        // The CSRF token is bound to the caller's claims: those of the new session, not the anonymous caller of the login.
        context.User = EngineAuthentication.Principal(user, administrator, EngineAuthentication.ByCookie, SessionId(token));
        return GiveToken(context, antiforgery);
    }

    /// <summary>Gives a cookie session its CSRF token in the <see cref="HeaderName"/> reply header (and returns it).</summary>
    public static string GiveToken(HttpContext context, IAntiforgery antiforgery)
    {
        var csrf = antiforgery.GetAndStoreTokens(context).RequestToken!;
        context.Response.Headers[HeaderName] = csrf;
        return csrf;
    }

    /// <summary>Clears the session and antiforgery cookies (logout).</summary>
    public static void SignOut(HttpContext context)
    {
        foreach (var name in new[] { CookieName, AntiforgeryCookieName })
            context.Response.Cookies.Delete(name, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });
    }

    /// <summary>True when <paramref name="context"/>'s caller was known by the session cookie.</summary>
    public static bool IsCookieSession(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, AuthenticationType: EngineAuthentication.ByCookie };

    /// <summary>
    /// Null when the request may go on; else why not (403): an unsafe call known by the session cookie without its
    /// session's CSRF token in <see cref="HeaderName"/>, or with another's. Bearer-token and unix-socket callers never need one.
    /// </summary>
    public static async Task<string?> CheckAsync(HttpContext context, IAntiforgery antiforgery)
    {
        var method = context.Request.Method;
        if (!IsCookieSession(context) || HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method))
            return null;
        if (!context.Request.Headers.ContainsKey(HeaderName))
            return $"{method} {context.Request.Path} with the session cookie {CookieName} needs the session's CSRF token in the {HeaderName} header " +
                $"(login and GET /api/v1/auth give it): none came";
        if (!context.Request.Cookies.ContainsKey(AntiforgeryCookieName))
            return $"{method} {context.Request.Path} with the session cookie {CookieName} needs the cookie {AntiforgeryCookieName} " +
                $"that pairs with its {HeaderName}: none came (GET /api/v1/auth sets it again)";
        return await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false) ? null
            : $"{method} {context.Request.Path}: the {HeaderName} header is not a CSRF token of this session (GET /api/v1/auth gives the right one)";
    }
}
