namespace Furrow.Engine.Site;

/// <summary>Where the engine's TLS certificate comes from (tractor.config `Tls`).</summary>
public enum EngineTlsMode
{
    /// <summary>Plain http: the default, for an engine on 127.0.0.1.</summary>
    Off,

    /// <summary>A certificate and key the site provides, as PEM files (`TlsCertificateFile`, `TlsKeyFile`).</summary>
    Pem,

    /// <summary>A site CA the engine makes in <c>&lt;configdir&gt;/tls</c> on first start, and an engine certificate it issues.</summary>
    SiteCa,
}

/// <summary>
/// The engine's TLS settings from tractor.config, with file names made absolute against the config directory.
/// <see cref="FromConfig"/> refuses settings that contradict each other, naming them.
/// </summary>
public sealed record EngineTlsSettings(EngineTlsMode Mode, string? CertificateFile = null, string? KeyFile = null)
{
    /// <summary>Plain http.</summary>
    public static EngineTlsSettings Off { get; } = new(EngineTlsMode.Off);

    /// <summary>Whether the engine serves https (and only https) on its port.</summary>
    public bool IsOn => Mode != EngineTlsMode.Off;

    /// <summary>The settings a tractor.config gives: `Tls` (`off`, `pem`, `site-ca`; left out: `pem` when a file is named), `TlsCertificateFile`, `TlsKeyFile`.</summary>
    /// <exception cref="SiteConfigException">The settings contradict each other or one is missing; the message names them.</exception>
    public static EngineTlsSettings FromConfig(string configDir, Core.Config.EngineConfig config)
    {
        var file = Path.Combine(configDir, SiteConfigLoader.EngineConfigFile);
        var named = !string.IsNullOrWhiteSpace(config.TlsCertificateFile) || !string.IsNullOrWhiteSpace(config.TlsKeyFile);
        var mode = config.Tls?.Trim().ToLowerInvariant() switch
        {
            null or "" => named ? EngineTlsMode.Pem : EngineTlsMode.Off,
            "off" => EngineTlsMode.Off,
            "pem" => EngineTlsMode.Pem,
            "site-ca" => EngineTlsMode.SiteCa,
            _ => throw Refusal(file, $"Tls is '{config.Tls}'; expected \"off\", \"pem\" (TlsCertificateFile and TlsKeyFile) or \"site-ca\"", "Tls"),
        };
        if (mode != EngineTlsMode.Pem && named)
        {
            throw Refusal(file, $"TlsCertificateFile and TlsKeyFile are used with \"Tls\": \"pem\", but Tls is \"{config.Tls}\"; remove one or the other", "Tls");
        }
        if (mode != EngineTlsMode.Pem)
            return new EngineTlsSettings(mode);
        if (string.IsNullOrWhiteSpace(config.TlsCertificateFile) || string.IsNullOrWhiteSpace(config.TlsKeyFile))
        {
            var missing = string.IsNullOrWhiteSpace(config.TlsCertificateFile) ? "TlsCertificateFile" : "TlsKeyFile";
            throw Refusal(file, $"TLS from PEM files needs both TlsCertificateFile and TlsKeyFile; {missing} is not set",
                string.IsNullOrWhiteSpace(config.TlsCertificateFile) ? "TlsKeyFile" : "TlsCertificateFile");
        }
        return new EngineTlsSettings(mode, Path.GetFullPath(Path.Combine(configDir, config.TlsCertificateFile)),
            Path.GetFullPath(Path.Combine(configDir, config.TlsKeyFile)));
    }

    // Said at the setting's line in tractor.config.
    private static SiteConfigException Refusal(string file, string problem, string key) =>
        new(SiteConfigLoader.Where(file, Core.Config.ConfigProblem.Value(problem, key)), file);
}
