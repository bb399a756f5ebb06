using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Furrow.Engine.Site;

/// <summary>
/// `"Tls": "site-ca"`: a certificate authority of the site's own, kept in <c>&lt;configdir&gt;/tls</c>, and the engine
/// certificate it issues. The CA is made on the first start (its key readable by the engine's user only) and kept; clients
/// trust it through its certificate, <c>tls/site-ca.crt</c> (FURROW_CA_FILE, <c>furrow blade --ca-file</c>). The engine
/// certificate is issued again at start when the names it must carry changed, when it nears expiry, or when it is missing,
/// damaged or not the CA's.
/// </summary>
internal static class SiteCertificateAuthority
{
    public const string DirectoryName = "tls";
    public const string CaCertificateFile = "site-ca.crt";
    public const string CaKeyFile = "site-ca.key";
    public const string EngineCertificateFile = "engine.crt";
    public const string EngineKeyFile = "engine.key";

    private const string Setting = "\"Tls\": \"site-ca\" in tractor.config";

    // Long enough that a site never meets it in practice; clients hold this certificate, so renewing it is work for them.
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);

    // The engine certificate is the engine's own business: a year, reissued at a start within a month of its end.
    private static readonly TimeSpan EngineLifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan ReissueBefore = TimeSpan.FromDays(30);

    // Clocks of hosts on one site differ a little; a certificate made now should not be "not yet valid" on a blade.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The engine certificate for <paramref name="names"/>, making the CA and issuing the certificate as needed.</summary>
    /// <exception cref="SiteConfigException">A CA file is damaged, not the owner's alone, or expired; the message names the file and what to do.</exception>
    public static EngineCertificate Ensure(string configDir, EngineCertificateNames names, DateTimeOffset now)
    {
        var directory = Path.Combine(configDir, DirectoryName);
        Directory.CreateDirectory(directory);
        var caCertificateFile = Path.Combine(directory, CaCertificateFile);
        var caKeyFile = Path.Combine(directory, CaKeyFile);
        string? made = null;
        if (!File.Exists(caCertificateFile) && !File.Exists(caKeyFile))
        {
            MakeCa(caCertificateFile, caKeyFile, now);
            made = $"made the site CA {caCertificateFile}; clients trust the engine with it (FURROW_CA_FILE, furrow blade --ca-file)";
        }
        else if (!File.Exists(caKeyFile) || !File.Exists(caCertificateFile))
        {
            var (present, absent) = File.Exists(caKeyFile) ? (caKeyFile, caCertificateFile) : (caCertificateFile, caKeyFile);
            throw new SiteConfigException($"{absent} ({Setting}): missing while {present} exists; restore it, or remove {present} too " +
                "to make a new site CA (every client then needs the new site-ca.crt)");
        }
        using var ca = LoadCa(caCertificateFile, caKeyFile, now);

        var engineCertificateFile = Path.Combine(directory, EngineCertificateFile);
        var engineKeyFile = Path.Combine(directory, EngineKeyFile);
        var (current, why) = Current(engineCertificateFile, engineKeyFile, ca, names, now);
        if (current is not null)
            return new EngineCertificate(current, [], $"{engineCertificateFile} (site CA {caCertificateFile})", made);
        var issued = Issue(ca, names, engineCertificateFile, engineKeyFile, now);
        var note = $"issued the engine certificate {engineCertificateFile} for {names} ({why})";
        return new EngineCertificate(issued, [], $"{engineCertificateFile} (site CA {caCertificateFile})", made is null ? note : $"{made}; {note}");
    }

    private static X509Certificate2 LoadCa(string certificateFile, string keyFile, DateTimeOffset now)
    {
        var certificate = PemFiles.ReadCertificates(certificateFile, Setting)[0];
        if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime)
        {
            throw new SiteConfigException($"{certificateFile} ({Setting}): the site CA expired on {certificate.NotAfter.ToUniversalTime():u}; " +
                $"remove {certificateFile} and {keyFile} to make a new one at the next start (every client then needs the new site-ca.crt)");
        }
        using var key = PemFiles.ReadPrivateKey(keyFile, Setting);
        return PemFiles.Pair(certificate, key, certificateFile, Setting, keyFile, Setting);
    }

    /// <summary>The engine certificate on disk if it can serve as it is; else null and why it is issued again.</summary>
    private static (X509Certificate2? Certificate, string Why) Current(string certificateFile, string keyFile, X509Certificate2 ca,
        EngineCertificateNames names, DateTimeOffset now)
    {
        if (!File.Exists(certificateFile) || !File.Exists(keyFile))
            return (null, "there was none");
        X509Certificate2 certificate;
        try
        {
            certificate = PemFiles.ReadCertificates(certificateFile, Setting)[0];
            using var key = PemFiles.ReadPrivateKey(keyFile, Setting);
            certificate = PemFiles.Pair(certificate, key, certificateFile, Setting, keyFile, Setting);
        }
        catch (SiteConfigException error)
        {
            // The engine's own files, rewritten below: the CA's key is what must be kept, and it is.
            return (null, $"the one there could not be used: {error.Message}");
        }
        var why = !IssuedBy(certificate, ca) ? "the one there was not issued by this site CA"
            : certificate.NotAfter.ToUniversalTime() - now.UtcDateTime < ReissueBefore ? $"the one there expires on {certificate.NotAfter.ToUniversalTime():u}"
            : certificate.NotBefore.ToUniversalTime() > now.UtcDateTime ? $"the one there is not valid until {certificate.NotBefore.ToUniversalTime():u}"
            : EngineCertificateNames.Of(certificate) is var held && !held.SameAs(names) ? $"the names changed; it was for {held}"
            : null;
        if (why is null)
            return (certificate, "");
        certificate.Dispose();
        return (null, why);
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Time is judged by the caller, which reissues near expiry; here only the signature and the issuer count.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(certificate) && chain.ChainElements.Count == 2 && chain.ChainElements[1].Certificate.Thumbprint == ca.Thumbprint;
    }

    private static void MakeCa(string certificateFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=Furrow site CA {Environment.MachineName}, O=Furrow"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now - ClockSkew, now + CaLifetime);
        // The key first: a certificate without its key would stop the next start, a key without its certificate is made again.
        WriteKey(keyFile, key);
        Furrow.Client.AtomicFile.Write(certificateFile, certificate.ExportCertificatePem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite
            | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, EngineCertificateNames names, string certificateFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Environment.MachineName}, O=Furrow"),
            key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names.DnsNames)
            alternativeNames.AddDnsName(name);
        foreach (var address in names.Addresses)
            alternativeNames.AddIpAddress(address);
        request.CertificateExtensions.Add(alternativeNames.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "TLS server")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var notAfter = now + EngineLifetime < ca.NotAfter.ToUniversalTime() ? now + EngineLifetime : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        using var issued = request.Create(ca, now - ClockSkew, notAfter, serial);
        WriteKey(keyFile, key);
        Furrow.Client.AtomicFile.Write(certificateFile, issued.ExportCertificatePem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite
            | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return issued.CopyWithPrivateKey(key);
    }

    private static void WriteKey(string path, ECDsa key) =>
        Furrow.Client.AtomicFile.Write(path, key.ExportPkcs8PrivateKeyPem() + "\n");
}
