namespace Furrow.Engine.Site;

/// <summary>Finds the certificate the engine serves https with, as tractor.config's `Tls` setting says.</summary>
public static class EngineCertificates
{
    private const string CertificateSetting = "TlsCertificateFile in tractor.config";
    private const string KeySetting = "TlsKeyFile in tractor.config";

    /// <summary>
    /// The engine's certificate with its key: read from the PEM files (`"Tls": "pem"`), or issued by the site CA, which is
    /// made first if the site has none (`"Tls": "site-ca"`, for <paramref name="listenAddress"/> and
    /// <paramref name="engineHostNames"/>); null when TLS is off.
    /// </summary>
    /// <exception cref="SiteConfigException">A file is missing, unreadable, readable by others, expired, or a key is not its
    /// certificate's; the message names the setting and the file.</exception>
    public static EngineCertificate? Load(EngineTlsSettings tls, string configDir, string listenAddress, IEnumerable<string> engineHostNames,
        DateTimeOffset now) => tls.Mode switch
    {
        EngineTlsMode.Off => null,
        EngineTlsMode.Pem => FromPem(tls.CertificateFile!, tls.KeyFile!, now),
        EngineTlsMode.SiteCa => SiteCertificateAuthority.Ensure(configDir, EngineCertificateNames.For(listenAddress, engineHostNames), now),
        _ => throw new ArgumentOutOfRangeException(nameof(tls), tls.Mode, "no such TLS mode"),
    };

    private static EngineCertificate FromPem(string certificateFile, string keyFile, DateTimeOffset now)
    {
        var (certificate, chain) = PemFiles.ReadPair(certificateFile, CertificateSetting, keyFile, KeySetting, now);
        return new EngineCertificate(certificate, chain, certificateFile, null);
    }
}
