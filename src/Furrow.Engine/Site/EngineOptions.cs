using Furrow.Core.Scripts;

namespace Furrow.Engine.Site;

/// <summary>Everything the engine runs with, resolved from the site config and the command line.</summary>
public sealed class EngineOptions
{
    public string ConfigDirectory { get; set; } = ".";
    public string DataDirectory { get; set; } = "data";

    /// <summary>Where the job database lives (`DBDataDir`); by default `&lt;data&gt;/db`.</summary>
    public string DatabaseDirectory { get; set; } = Path.Combine("data", "db");

    /// <summary>db.config: provider, managed or external, port, connection, DBShutdown.</summary>
    public Core.Config.DbConfig Database { get; set; } = new();
    public int Port { get; set; } = 5600;

    /// <summary>tractor.config `ListenAddress`: where `furrow engine` listens unless `--listen` says otherwise.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>tractor.config `AllowUnprotectedListen`: whether an address other hosts reach may be listened on without TLS.</summary>
    public bool AllowUnprotectedListen { get; set; }

    /// <summary>tractor.config `EngineHostNames`: Host header values accepted besides the host's own names and addresses.</summary>
    public IReadOnlyList<string> EngineHostNames { get; set; } = [];

    /// <summary>tractor.config `Tls`, `TlsCertificateFile`, `TlsKeyFile`: whether the engine serves https, and with which certificate.</summary>
    public EngineTlsSettings Tls { get; set; } = EngineTlsSettings.Off;

    /// <summary>tractor.config `RequireAuthentication`: every API call needs a login token or the local socket's trusted account.</summary>
    public bool RequireAuthentication { get; set; } = true;

    /// <summary>tractor.config `LoginSessionDays`: how long a login token is valid.</summary>
    public TimeSpan LoginSessionLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The unix socket where the engine's own account and root are known without a token (the kernel says who connects):
    /// `&lt;data&gt;/engine.sock`; null when that path is too long for a socket.
    /// </summary>
    public string? LocalSocketPath => Access.LocalPeer.SocketPathFor(DataDirectory);
    public TimeSpan BladeSilenceTimeout { get; set; } = TimeSpan.FromSeconds(15);
    public int BladeReportIntervalMs { get; set; } = 1000;

    /// <summary>How long an invocation may be missing from its blade's reports before it counts as lost in transit.</summary>
    public long VanishedGraceMs { get; set; } = 10_000;

    public int MaxAutoRetries { get; set; } = 3;

    /// <summary>tractor.config `DispatchTiers`: a job's `-tier` must name one; earlier tiers are served first.</summary>
    public IReadOnlyList<string> DispatchTiers { get; set; } = ["admin", "rush", "default", "batch"];

    /// <summary>tractor.config `ProjectShares`: fair-share weight per project (unlisted projects weigh 1).</summary>
    public IReadOnlyDictionary<string, double> ProjectShares { get; set; } = new Dictionary<string, double>();

    /// <summary>tractor.config `BladeBlocklistFailures`: failures of one job's commands on a blade before it stops getting them.</summary>
    public int BlocklistFailures { get; set; } = 3;

    /// <summary>tractor.config and db.config as the engine read them at start, for a config reload to say whether they changed.</summary>
    public StartupConfigFiles StartupFiles { get; set; } = StartupConfigFiles.None;

    /// <summary>Keys of tractor.config and db.config the engine read past at start; logged once it listens.</summary>
    public IReadOnlyList<IgnoredSetting> IgnoredSettings { get; set; } = [];

    /// <summary>blade.config at start, or null when the site has none (then every blade provides every service key); the
    /// one in force is the farm's (<see cref="SiteRules"/>), which a config reload replaces.</summary>
    public Core.Config.BladeConfig? Blades { get; set; }

    /// <summary>limits.config at start, or null when the site has none (then nothing is limited); the one in force is the
    /// farm's (<see cref="SiteRules"/>), which a config reload replaces.</summary>
    public Core.Config.LimitsConfig? Limits { get; set; }

    /// <summary>Which limits.config text <see cref="Limits"/> was read from (<see cref="SiteConfigLoader.Fingerprint"/>), or null when not known.</summary>
    public string? LimitsFingerprint { get; set; }

    /// <summary>The zone `-after` dates without an offset are read in (the engine host's).</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Local;

    /// <summary>How long an API call waits for an unreachable job database to come back before it fails.</summary>
    public TimeSpan StoreWaitTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public ScriptLimits ScriptLimits { get; set; } = new();

    /// <summary>tractor.config `SpoolMaxInFlightBytes`: script bytes read and parsed at once across all spools.</summary>
    public long SpoolMaxInFlightBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>tractor.config `SpoolQueueWaitSecs`: how long a spool waits for room before a 503.</summary>
    public TimeSpan SpoolQueueWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>tractor.config `UserRequestsPerSecond`, `UserRequestBurst`, `BladeRequestsPerSecond`, `BladeRequestBurst`.</summary>
    public RequestRateLimits RequestRates { get; set; } = RequestRateLimits.Default;

    /// <summary>tractor.config `RequestHeadersTimeoutSecs`, `MinClientBytesPerSec`, `MinClientRateGraceSecs`, `MaxConnections`.</summary>
    public SlowClientLimits SlowClients { get; set; } = SlowClientLimits.Default;

    /// <summary>tractor.config `ArchiveRetentionDays`: how long a deleted job is kept before it is purged; null keeps it forever.</summary>
    public TimeSpan? ArchiveRetention { get; set; }

    /// <summary>tractor.config `BladeEnrolmentSecretFile`: the site's blade enrolment secret; null is `&lt;data&gt;/blade-enrolment.secret`.</summary>
    public string? EnrolmentSecretFile { get; set; }

    /// <summary>The file the engine reads the enrolment secret from (and makes on its first start).</summary>
    public string EnrolmentSecretPath => EnrolmentSecretFile ?? Path.Combine(DataDirectory, Core.Config.EngineConfig.DefaultEnrolmentSecretFileName);

    public string LogDirectory => Path.Combine(DataDirectory, "logs");
}
