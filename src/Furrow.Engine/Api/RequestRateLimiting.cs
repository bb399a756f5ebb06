using System.Globalization;
using System.Threading.RateLimiting;
using Furrow.Engine.Access;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Furrow.Engine.Api;

/// <summary>Marks the calls blade processes make (register, work, report, heartbeat, leave): they are counted per blade.</summary>
internal sealed class BladeAgentCall
{
    public static BladeAgentCall Instance { get; } = new();
}

/// <summary>
/// Requests a second per caller (tractor.config `UserRequestsPerSecond`, `BladeRequestsPerSecond` and their bursts), so
/// one runaway script or blade cannot take the engine from everyone else. Each caller has a token bucket: a logged-in
/// user by name, a blade process by its name and the address it calls from (another host naming the blade does not use
/// up its allowance), anyone else by address. The engine's own account and root on its local socket are not limited:
/// they are this host's administrators (`furrow up`, the site's own tools), and a limit there would only slow them. Logins
/// have their own, stricter limit per address (<see cref="AuthEndpoints.LimitLogins"/>). A refused request gets 429 with
/// Retry-After (whole seconds) and a problem body naming the setting.
/// </summary>
internal static class RequestRateLimiting
{
    private enum Kind { Unlimited, User, Blade, Address }

    private readonly record struct Partition(Kind Kind, string Key);

    /// <summary>Sets the engine-wide limiter and the one reply for every refusal, logins' included.</summary>
    public static void Configure(RateLimiterOptions options, RequestRateLimits limits)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, Partition>(context => Of(context, limits) is var partition
            && LimitOf(partition.Kind, limits) is ({ } perSecond, { } burst)
            ? RateLimitPartition.Get(partition, _ => Bucket(burst, perSecond, TimeSpan.FromSeconds(1)))
            : RateLimitPartition.GetNoLimiter(partition));
        options.OnRejected = async (rejected, _) =>
        {
            var http = rejected.HttpContext;
            var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
            string message;
            if (IsLogin(http))
            {
                retry = Math.Max(retry, 3);
                message = "too many logins from this address: try again in a few seconds";
            }
            else
            {
                var partition = Of(http, limits);
                var (perSecond, burst) = LimitOf(partition.Kind, limits);
                var (rateKey, burstKey) = partition.Kind == Kind.Blade ? ("BladeRequestsPerSecond", "BladeRequestBurst") : ("UserRequestsPerSecond", "UserRequestBurst");
                message = $"too many requests from {Describe(partition)}: the engine takes {perSecond} a second with bursts of {burst} " +
                    $"({rateKey} and {burstKey} in tractor.config); retry after {retry} s";
            }
            http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            await ApiResults.Error(StatusCodes.Status429TooManyRequests, message).ExecuteAsync(http).ConfigureAwait(false);
        };
    }

    /// <summary>
    /// A caller's bucket: <paramref name="burst"/> requests, refilled by <paramref name="perPeriod"/> once every
    /// <paramref name="period"/> by its own timer. Not <see cref="RateLimitPartition.GetTokenBucketLimiter{TKey}"/>: that one is refilled by the partitioned
    /// limiter's 100 ms tick in proportion to the time since its last refill, and a full bucket is not refilled (nor its
    /// time reset), so the first refill after a pause credited the whole pause (a caller idle 8 s after a flood got 300
    /// requests beyond the burst in its next one). A bucket idle 10 s is dropped by the partitioned limiter, and the
    /// next call starts a full one.
    /// </summary>
    public static TokenBucketRateLimiter Bucket(int burst, int perPeriod, TimeSpan period) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = burst,
        TokensPerPeriod = perPeriod,
        ReplenishmentPeriod = period,
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    // Every Tractor URL carries the login policy (one endpoint serves all verbs), but only monitor?q=login is a login: the
    // rest are counted per caller here, as the native API's calls are.
    private static bool IsLogin(HttpContext context) => Tractor.TractorRequests.IsTractor(context.Request)
        ? Tractor.TractorRequests.IsLogin(context.Request)
        : context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == AuthEndpoints.Logins;

    private static Partition Of(HttpContext context, RequestRateLimits limits)
    {
        // Logins are limited by their own policy, so a refusal there is always the login limit's.
        if (IsLogin(context))
            return new Partition(Kind.Unlimited, "login");
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "the local socket";
        if (context.GetEndpoint()?.Metadata.GetMetadata<BladeAgentCall>() is not null)
            return new Partition(Kind.Blade, context.Request.RouteValues["name"] is string blade ? $"blade {blade} at {address}" : $"blades registering from {address}");
        if (context.User.Identity is { IsAuthenticated: true } identity)
        {
            return identity.AuthenticationType == EngineAuthentication.ByLocalSocket
                ? new Partition(Kind.Unlimited, "local")
                : new Partition(Kind.User, identity.Name ?? "");
        }
        return new Partition(Kind.Address, address);
    }

    private static (int? PerSecond, int? Burst) LimitOf(Kind kind, RequestRateLimits limits) => kind switch
    {
        Kind.User or Kind.Address when limits.UserPerSecond > 0 => (limits.UserPerSecond, limits.UserBurst),
        Kind.Blade when limits.BladePerSecond > 0 => (limits.BladePerSecond, limits.BladeBurst),
        _ => (null, null),
    };

    private static string Describe(Partition partition) => partition.Kind switch
    {
        Kind.User => $"user {partition.Key}",
        Kind.Blade => partition.Key,
        _ => $"{partition.Key} without a login",
    };
}
