using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Furrow.Engine.Site;

/// <summary>
/// Reads a certificate and its private key from PEM files and pairs them, refusing (with <see cref="SiteConfigException"/>
/// naming the setting and the file) a missing file, a key others may read, a key that does not parse or does not belong
/// to the certificate, and a certificate outside its validity period.
/// </summary>
internal static class PemFiles
{
    /// <summary>Group and other permission bits: a private key with any of them set is refused, as ssh refuses such a key.</summary>
    private const UnixFileMode NotOwnerBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The certificate with its key, and the certificates that followed it in its file (intermediates, sent to clients).</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) ReadPair(string certificateFile, string certificateSetting,
        string keyFile, string keySetting, DateTimeOffset now)
    {
        var certificates = ReadCertificates(certificateFile, certificateSetting);
        var leaf = certificates[0];
        CheckValidity(leaf, certificateFile, certificateSetting, now);
        var key = ReadPrivateKey(keyFile, keySetting);
        try
        {
            var paired = Pair(leaf, key, certificateFile, certificateSetting, keyFile, keySetting);
            certificates.RemoveAt(0);
            return (paired, certificates);
        }
        finally
        {
            key.Dispose();
        }
    }

    /// <summary>Every certificate in a PEM file, the first being the one the file is for.</summary>
    public static X509Certificate2Collection ReadCertificates(string path, string setting)
    {
        var text = ReadText(path, setting);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException error)
        {
            throw new SiteConfigException($"{path} ({setting}): not a readable PEM certificate ({error.Message})");
        }
        return certificates.Count > 0 ? certificates
            : throw new SiteConfigException($"{path} ({setting}): holds no certificate (expected a \"-----BEGIN CERTIFICATE-----\" block)");
    }

    /// <summary>An unencrypted RSA or ECDSA private key from a file only its owner may read.</summary>
    public static AsymmetricAlgorithm ReadPrivateKey(string path, string setting)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & NotOwnerBits) != 0)
        {
            throw new SiteConfigException($"{path} ({setting}): the private key may be read by other users " +
                $"(mode {Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0')}); run chmod 600 {path}");
        }
        var text = ReadText(path, setting);
        if (text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) || text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            throw new SiteConfigException($"{path} ({setting}): the key is encrypted; the engine needs it unencrypted (protected by its file mode, 0600)");
        var problems = new List<string>();
        foreach (var make in new Func<AsymmetricAlgorithm>[] { RSA.Create, ECDsa.Create })
        {
            var key = make();
            try
            {
                key.ImportFromPem(text);
                return key;
            }
            catch (Exception error) when (error is CryptographicException or ArgumentException)
            {
                key.Dispose();
                problems.Add(error.Message);
            }
        }
        throw new SiteConfigException($"{path} ({setting}): not a readable private key (expected an unencrypted RSA or ECDSA key in PEM: " +
            $"{problems[^1]})");
    }

    /// <summary>The certificate joined to its key; refused when the key is another certificate's.</summary>
    public static X509Certificate2 Pair(X509Certificate2 certificate, AsymmetricAlgorithm key, string certificateFile, string certificateSetting,
        string keyFile, string keySetting)
    {
        var mismatch = new SiteConfigException($"{keyFile} ({keySetting}): this key does not belong to the certificate in {certificateFile} " +
            $"({certificateSetting}, {certificate.Subject}); give the key that certificate was issued for");
        if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
            throw mismatch;
        try
        {
            return key switch
            {
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                _ => throw mismatch,
            };
        }
        catch (CryptographicException)
        {
            throw mismatch;
        }
    }

    /// <summary>Refuses a certificate that has expired or is not valid yet.</summary>
    public static void CheckValidity(X509Certificate2 certificate, string path, string setting, DateTimeOffset now)
    {
        if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime)
            throw new SiteConfigException($"{path} ({setting}): the certificate ({certificate.Subject}) expired on {certificate.NotAfter.ToUniversalTime():u}; renew it");
        if (certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
            throw new SiteConfigException($"{path} ({setting}): the certificate ({certificate.Subject}) is not valid until {certificate.NotBefore.ToUniversalTime():u}");
    }

    private static string ReadText(string path, string setting)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SiteConfigException($"{path} ({setting}): no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new SiteConfigException($"{path} ({setting}): permission denied (the engine's user may not read it)");
        }
        catch (IOException error)
        {
            throw new SiteConfigException($"{path} ({setting}): cannot be read: {error.Message}");
        }
    }
}
