using Furrow.Core.Config;

namespace Furrow.Engine.Site;

/// <summary>
/// How many requests a second the engine takes from each caller, from tractor.config: a logged-in user (or, without a
/// login, an address) gets <see cref="UserPerSecond"/> on average with bursts of <see cref="UserBurst"/>; a blade process
/// <see cref="BladePerSecond"/> and <see cref="BladeBurst"/>. A rate of 0 means no limit.
/// </summary>
public sealed record RequestRateLimits(int UserPerSecond, int UserBurst, int BladePerSecond, int BladeBurst)
{
    /// <summary>The defaults of tractor.config: 100 a second (bursts of 500) per user, 200 (bursts of 1000) per blade.</summary>
    public static RequestRateLimits Default { get; } = FromConfig(new EngineConfig());

    /// <summary>The four keys of a config whose ranges <see cref="SiteConfigLoader.LoadEngine"/> checked (<see cref="EngineSettingRanges"/>).</summary>
    public static RequestRateLimits FromConfig(EngineConfig config) =>
        new(config.UserRequestsPerSecond, config.UserRequestBurst, config.BladeRequestsPerSecond, config.BladeRequestBurst);
}

/// <summary>
/// When the engine cuts a client that sends or reads too slowly, from tractor.config: headers must be complete within
/// <see cref="RequestHeadersTimeout"/> of their first byte; a request body and a reply must move at
/// <see cref="MinBytesPerSecond"/> or more once <see cref="MinRateGrace"/> has passed; at most
/// <see cref="MaxConnections"/> connections are open at once. They apply to the TCP port and the local socket alike.
/// </summary>
public sealed record SlowClientLimits(TimeSpan RequestHeadersTimeout, double MinBytesPerSecond, TimeSpan MinRateGrace, long MaxConnections)
{
    /// <summary>The defaults of tractor.config: 30 s for headers, 240 bytes a second after 5 s, 10000 connections.</summary>
    public static SlowClientLimits Default { get; } = FromConfig(new EngineConfig());

    /// <summary>The four keys of a config whose ranges <see cref="SiteConfigLoader.LoadEngine"/> checked (<see cref="EngineSettingRanges"/>).</summary>
    public static SlowClientLimits FromConfig(EngineConfig config) => new(TimeSpan.FromSeconds(config.RequestHeadersTimeoutSecs),
        config.MinClientBytesPerSec, TimeSpan.FromSeconds(config.MinClientRateGraceSecs), config.MaxConnections);
}
