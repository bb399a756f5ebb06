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

    /// <summary>Reads and checks the four keys; throws <see cref="SiteConfigException"/> naming the key and value that cannot be used.</summary>
    public static RequestRateLimits FromConfig(EngineConfig config) => new(
        Rate(nameof(EngineConfig.UserRequestsPerSecond), config.UserRequestsPerSecond),
        Burst(nameof(EngineConfig.UserRequestBurst), config.UserRequestBurst),
        Rate(nameof(EngineConfig.BladeRequestsPerSecond), config.BladeRequestsPerSecond),
        Burst(nameof(EngineConfig.BladeRequestBurst), config.BladeRequestBurst));

    private static int Rate(string key, int value) => value is >= 0 and <= 1_000_000 ? value
        : throw new SiteConfigException($"{key} {value} in tractor.config: expected requests a second from 0 (no limit) to 1000000");

    private static int Burst(string key, int value) => value is >= 1 and <= 1_000_000 ? value
        : throw new SiteConfigException($"{key} {value} in tractor.config: expected a number of requests from 1 to 1000000");
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

    /// <summary>Reads and checks the four keys; throws <see cref="SiteConfigException"/> naming the key and value that cannot be used.</summary>
    public static SlowClientLimits FromConfig(EngineConfig config) => new(
        config.RequestHeadersTimeoutSecs is > 0 and <= 600 ? TimeSpan.FromSeconds(config.RequestHeadersTimeoutSecs)
            : throw new SiteConfigException($"RequestHeadersTimeoutSecs {config.RequestHeadersTimeoutSecs} in tractor.config: expected seconds above 0, up to 600"),
        config.MinClientBytesPerSec is > 0 and <= 1e9 ? config.MinClientBytesPerSec
            : throw new SiteConfigException($"MinClientBytesPerSec {config.MinClientBytesPerSec} in tractor.config: expected bytes a second above 0"),
        // The web server checks rates once a second, so a grace of a second or less could never be kept to.
        config.MinClientRateGraceSecs is > 1 and <= 600 ? TimeSpan.FromSeconds(config.MinClientRateGraceSecs)
            : throw new SiteConfigException($"MinClientRateGraceSecs {config.MinClientRateGraceSecs} in tractor.config: expected seconds above 1, up to 600"),
        config.MaxConnections is >= 16 and <= 1_000_000 ? config.MaxConnections
            : throw new SiteConfigException($"MaxConnections {config.MaxConnections} in tractor.config: expected a number of connections from 16 to 1000000"));
}
