namespace Furrow.Core.Config;

/// <summary>The engine's settings from `tractor.config`, with Tractor's key names where Tractor has them.</summary>
public sealed class EngineConfig
{
    /// <summary>Where the job database and task logs live; relative paths are relative to the config directory.</summary>
    public string? TractorDataDirectory { get; set; }

    public int ListenPort { get; set; } = 5600;

    /// <summary>
    /// The address the engine listens on (`--listen` overrides): 127.0.0.1 by default, this host only. Any other address
    /// is refused unless <see cref="Tls"/> is on, or <see cref="AllowUnprotectedListen"/> says the site accepts serving without TLS.
    /// </summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// True lets the engine listen on an address other hosts can reach although it has neither TLS nor user
    /// authentication: anyone who reaches the port can spool commands and act on every job. False by default.
    /// </summary>
    public bool AllowUnprotectedListen { get; set; }

    /// <summary>
    /// How the engine serves TLS: `off` (plain http), `pem` (the certificate and key in <see cref="TlsCertificateFile"/> and
    /// <see cref="TlsKeyFile"/>) or `site-ca` (a site CA the engine makes in `tls/` under the config directory on first
    /// start, and an engine certificate it issues from it). Null: `pem` when either file is named, else `off`. With TLS on
    /// the engine serves https only, and may listen where other hosts reach it.
    /// </summary>
    public string? Tls { get; set; }

    /// <summary>The engine's certificate in PEM (intermediate CA certificates may follow it), relative to the config directory.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The certificate's private key in PEM, unencrypted, readable by its owner only (mode 0600), relative to the config directory.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>
    /// Names (and addresses) clients may call this engine by, besides this host's own names and addresses, localhost and
    /// `tractor-engine`: a request whose Host header names anything else is refused (a web page cannot reach the engine
    /// through a DNS name it controls). Entries may start with `*.` for a whole domain.
    /// </summary>
    public List<string>? EngineHostNames { get; set; }

    /// <summary>
    /// True (the default): every API call must be authenticated, loopback included: a login token (`tq --login`), or the
    /// engine's own account or root calling through its local socket. False serves anyone as the user a request names,
    /// as Tractor engines without a login validator do (for a site moving its tools over).
    /// </summary>
    public bool RequireAuthentication { get; set; } = true;

    /// <summary>Days a login token stays valid (default 30); `tq --logout` ends it sooner.</summary>
    public double LoginSessionDays { get; set; } = 30;

    /// <summary>Seconds without a report after which a blade's commands go back to ready.</summary>
    public double BladeSilenceTimeoutSecs { get; set; } = 15;

    public long ScriptMaxBytes { get; set; } = 64L * 1024 * 1024;

    public int ScriptMaxDepth { get; set; } = 256;

    /// <summary>
    /// Script bytes the engine reads and parses at once, across all spools (default 128 MB): a spool that does not fit
    /// waits, oldest first, up to <see cref="SpoolQueueWaitSecs"/>, then is refused with 503.
    /// </summary>
    public long SpoolMaxInFlightBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Seconds a spool may wait for room under <see cref="SpoolMaxInFlightBytes"/> before it is refused.</summary>
    public double SpoolQueueWaitSecs { get; set; } = 30;

    /// <summary>
    /// Requests a second each logged-in user may make, averaged (default 100); callers without a login are counted by
    /// address under the same figures. Over it the engine answers 429 with Retry-After. 0 turns the limit off. The
    /// engine's own account and root on its local socket are never limited.
    /// </summary>
    public int UserRequestsPerSecond { get; set; } = 100;

    /// <summary>Requests a user may make at once above <see cref="UserRequestsPerSecond"/> after being quiet (default 500).</summary>
    public int UserRequestBurst { get; set; } = 500;

    /// <summary>
    /// Requests a second each blade process may make (polls, reports, heartbeats), counted by blade name and the address
    /// it calls from (default 200). Over it the engine answers 429 and the blade waits as told. 0 turns the limit off.
    /// </summary>
    public int BladeRequestsPerSecond { get; set; } = 200;

    /// <summary>Requests a blade may make at once above <see cref="BladeRequestsPerSecond"/> after being quiet (default 1000).</summary>
    public int BladeRequestBurst { get; set; } = 1000;

    /// <summary>Seconds a client has to send a request's headers, counted from its first byte (default 30); then the connection is cut.</summary>
    public double RequestHeadersTimeoutSecs { get; set; } = 30;

    /// <summary>
    /// Bytes a second a client must at least send a request body at, and read a reply at (default 240), once
    /// <see cref="MinClientRateGraceSecs"/> have passed; a slower one is cut.
    /// </summary>
    public double MinClientBytesPerSec { get; set; } = 240;

    /// <summary>Seconds a body or reply may go slower than <see cref="MinClientBytesPerSec"/> before the connection is cut (default 5, more than 1).</summary>
    public double MinClientRateGraceSecs { get; set; } = 5;

    /// <summary>Connections the engine keeps open at once, TCP and local socket together (default 10000); more are closed as they come.</summary>
    public long MaxConnections { get; set; } = 10_000;

    /// <summary>How many times a command whose exit code is in its `-retryrc` list is rerun before the task errors.</summary>
    public int MaxAutoRetries { get; set; } = 3;

    /// <summary>
    /// Tractor's dispatch tiers, first served first: a job's `-tier` names one; no `-tier` means "default". Null means
    /// Tractor's own list: admin, rush, default, batch.
    /// </summary>
    public List<string>? DispatchTiers { get; set; }

    /// <summary>
    /// Fair-share weights by project (a job's first `-projects` entry; "default" for none): among jobs of the same tier
    /// and priority, a project with weight 2 gets twice the running commands of one with weight 1. Unlisted: 1.
    /// </summary>
    public Dictionary<string, double>? ProjectShares { get; set; }

    /// <summary>After this many failed commands of one job on one blade, the blade gets no more of that job's commands.</summary>
    public int BladeBlocklistFailures { get; set; } = 3;

    /// <summary>
    /// Days a deleted (archived) job is kept, counted from its delete: after that its rows and logs are purged for good.
    /// 0, the default, keeps archived jobs forever.
    /// </summary>
    public double ArchiveRetentionDays { get; set; }

    /// <summary>The enrolment secret's file name in the data directory when <see cref="BladeEnrolmentSecretFile"/> names none.</summary>
    public const string DefaultEnrolmentSecretFileName = "blade-enrolment.secret";

    /// <summary>
    /// The file holding the site's blade enrolment secret (relative to the config directory); by default
    /// `&lt;TractorDataDirectory&gt;/blade-enrolment.secret`, which the engine makes on its first start.
    /// </summary>
    public string? BladeEnrolmentSecretFile { get; set; }

    /// <summary>
    /// Where the enrolment secret of the site in <paramref name="configDir"/> is: one rule for the engine, which makes and
    /// reads it, and for a blade on the engine's host that is given the site's config directory.
    /// </summary>
    public string EnrolmentSecretPath(string configDir) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(configDir, string.IsNullOrWhiteSpace(BladeEnrolmentSecretFile)
            ? System.IO.Path.Combine(string.IsNullOrWhiteSpace(TractorDataDirectory) ? "data" : TractorDataDirectory, DefaultEnrolmentSecretFileName)
            : BladeEnrolmentSecretFile));

    /// <summary>
    /// Keys Furrow does not read (Tractor's tractor.config has many: a site may start from it): kept so the engine can
    /// name each one as ignored, with its line, rather than pass over it in silence.
    /// </summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? OtherKeys { get; set; }
}

/// <summary>The job database's settings from `db.config`.</summary>
public sealed class DbConfig
{
    /// <summary>`sqlite` (default) or `postgresql`.</summary>
    public string DBProvider { get; set; } = "sqlite";

    /// <summary>`managed` (default) or `external`.</summary>
    public string DBMode { get; set; } = "managed";

    public string? DBDataDir { get; set; }

    public int DBPort { get; set; } = 9876;

    /// <summary>For an external server: an Npgsql connection string without the password.</summary>
    public string? DBConnection { get; set; }

    /// <summary>A file holding the external server's password (else `$FURROW_DB_PASSWORD`); never logged.</summary>
    public string? DBPasswordFile { get; set; }

    public bool DBShutdown { get; set; } = true;

    /// <summary>Keys Furrow does not read: kept so the engine names each one as ignored, and tractor-dbctl writes them back.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? OtherKeys { get; set; }
}
