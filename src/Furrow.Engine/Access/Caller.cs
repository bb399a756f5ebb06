using Furrow.Core.Config;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Access;

/// <summary>
/// The user a request acts as. It is the authenticated user; `?user=NAME` (what tq's `--user` sends) may name another
/// only when the caller is an administrator, who then acts for that user (keeping an administrator's rights). On an engine that
/// serves anonymous calls (RequireAuthentication false) an anonymous request is whoever `?user=` names.
/// </summary>
public static class Caller
{
    private static readonly object Key = new();

    /// <summary>
    /// Settles who <paramref name="context"/> acts as, for <see cref="User"/>; returns why not when the request may not act
    /// as the user it names (status and message).
    /// </summary>
    public static (int Status, string Reason)? Settle(HttpContext context)
    {
        var asked = context.Request.Query["user"].FirstOrDefault();
        if (!string.IsNullOrEmpty(asked) && AccountName.Problem(asked) is { } problem)
            return (StatusCodes.Status400BadRequest, $"bad user {AccountName.Quote(asked)}: {problem}");
        var identity = context.User.Identity;
        if (identity is not { IsAuthenticated: true, Name: { } name })
        {
            context.Items[Key] = string.IsNullOrEmpty(asked) ? null : asked;
            return null;
        }
        if (!string.IsNullOrEmpty(asked) && asked != name && !context.User.IsInRole(EngineAuthentication.AdministratorRole))
            return (StatusCodes.Status403Forbidden,
                $"you are logged in as {name}: acting as {asked} (?user=, tq's --user) takes an administrator (crews.config Administrators)");
        context.Items[Key] = string.IsNullOrEmpty(asked) ? name : asked;
        return null;
    }

    /// <summary>The user the request acts as (see <see cref="Settle"/>), or null for an anonymous request that names none.</summary>
    public static string? User(HttpContext context) => context.Items.TryGetValue(Key, out var user) ? user as string : null;
}
