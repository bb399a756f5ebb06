using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Furrow.Client;

/// <summary>
/// How clients trust an engine that serves https: by the CA certificate in a file (<see cref="CaFileVariable"/>, the
/// <c>caFile</c> argument of <see cref="EngineClient"/>, <c>furrow blade --ca-file</c>), such as the site CA an engine
/// makes (<c>tls/site-ca.crt</c> in its config directory); else by this host's trust store. Host names are checked as
/// usual either way.
/// </summary>
public static class EngineTls
{
    /// <summary>The environment variable naming the CA certificate file (PEM or DER) clients trust the engine with.</summary>
    public const string CaFileVariable = "FURROW_CA_FILE";

    /// <summary>
    /// The exception for a failed TLS connection to <paramref name="engine"/>: the reasons the certificate was refused
    /// (<paramref name="refusal"/>) and the setting that fixes each, or, when no certificate was judged, what the
    /// connection failed with.
    /// </summary>
    internal static HttpRequestException Failed(Uri engine, string? refusal, HttpRequestException error)
    {
        var message = refusal is not null
            ? $"the TLS certificate of the engine at {engine.Authority} was refused: {refusal}"
            : $"no TLS connection could be made with the engine at {engine.Authority} ({Innermost(error).Message}); if it serves plain http, " +
              "give the engine as HOST:PORT without https://";
        return new HttpRequestException(HttpRequestError.SecureConnectionError, message, error);
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is { } inner)
            error = inner;
        return error;
    }
}

/// <summary>
/// The certificate check of one <see cref="EngineClient"/>: with a CA file, the engine's chain must end at a certificate
/// in that file (<see cref="X509ChainTrustMode.CustomRootTrust"/>); without, at one this host's trust store holds. Keeps
/// the last refusal's reasons in words, for the error the request then fails with.
/// </summary>
internal sealed class EngineCertificateCheck
{
    private readonly string? _caFile;
    private readonly string _caSetting;
    private readonly Lock _loading = new();
    private X509Certificate2Collection? _roots; // loaded on the first handshake, under _loading; a file that failed is tried again next time
    private volatile string? _lastRefusal; // written by the handshake that refused, read by the request that failed with it

    /// <param name="caFile">The CA certificate file; null for <see cref="EngineTls.CaFileVariable"/>, else the system trust store.</param>
    public EngineCertificateCheck(string? caFile)
    {
        var fromVariable = string.IsNullOrWhiteSpace(caFile);
        _caFile = fromVariable ? Environment.GetEnvironmentVariable(EngineTls.CaFileVariable) : caFile;
        _caFile = string.IsNullOrWhiteSpace(_caFile) ? null : Path.GetFullPath(_caFile);
        _caSetting = fromVariable ? EngineTls.CaFileVariable : "the CA file option (furrow blade --ca-file)";
    }

    /// <summary>The reasons the last refused certificate was refused, in words; null when none was.</summary>
    public string? LastRefusal => _lastRefusal;

    /// <summary>The TLS options for the client's handler.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new() { RemoteCertificateValidationCallback = Check };

    private bool Check(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
            return Refuse("the engine sent no certificate");
        var engineCertificate = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var host = sender is SslStream { TargetHostName: { Length: > 0 } name } ? name : null;
        var reasons = new List<string>();
        X509ChainStatusFlags status;
        if (_caFile is null)
        {
            status = (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0 || chain is null ? X509ChainStatusFlags.NoError : Flags(chain);
        }
        else
        {
            var roots = Roots(out var problem);
            if (roots is null)
                return Refuse(problem!);
            using var own = new X509Chain();
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.AddRange(roots);
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
                own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            status = own.Build(engineCertificate) ? X509ChainStatusFlags.NoError : Flags(own);
        }
        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            reasons.Add(_caFile is null
                ? $"it was issued by '{engineCertificate.Issuer}', which this host's trust store does not trust; name the site's CA certificate in " +
                  $"{EngineTls.CaFileVariable} (furrow blade: --ca-file), e.g. a copy of tls/site-ca.crt from an engine's config directory that makes its own"
                : $"it was issued by '{engineCertificate.Issuer}', not by the CA in {_caFile} ({_caSetting}); name the CA certificate that issued it");
        }
        if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            reasons.Add(engineCertificate.NotAfter.ToUniversalTime() < DateTime.UtcNow
                ? $"it expired on {engineCertificate.NotAfter.ToUniversalTime():u}; the engine needs a renewed certificate (an engine with \"Tls\": \"site-ca\" " +
                  "issues itself a new one when it restarts)"
                : $"it is not valid until {engineCertificate.NotBefore.ToUniversalTime():u}; check this host's clock");
        }
        var other = status & ~(X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotTimeValid);
        if (other != X509ChainStatusFlags.NoError)
            reasons.Add($"its certificate chain is not valid ({other})");
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            reasons.Add($"it is for {Names(engineCertificate)}, not for '{host}'; call the engine by one of those names, or have its certificate " +
                $"name '{host}' (an engine with \"Tls\": \"site-ca\": add it to EngineHostNames in its tractor.config and restart it)");
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            reasons.Add("the engine sent no certificate");
        return reasons.Count == 0 || Refuse(string.Join("; and ", reasons));
    }

    private bool Refuse(string reason)
    {
        _lastRefusal = reason;
        return false;
    }

    private X509Certificate2Collection? Roots(out string? problem)
    {
        problem = null;
        lock (_loading)
        {
            if (_roots is not null)
                return _roots;
            var roots = new X509Certificate2Collection();
            try
            {
                var text = File.ReadAllText(_caFile!);
                if (text.Contains("-----BEGIN", StringComparison.Ordinal))
                    roots.ImportFromPem(text);
                else
                    roots.Add(X509CertificateLoader.LoadCertificateFromFile(_caFile!));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
            {
                problem = $"the CA file {_caFile} ({_caSetting}) cannot be read: {error.Message}";
                return null;
            }
            if (roots.Count == 0)
            {
                problem = $"the CA file {_caFile} ({_caSetting}) holds no certificate";
                return null;
            }
            return _roots = roots;
        }
    }

    private static X509ChainStatusFlags Flags(X509Chain chain) =>
        chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);

    private static string Names(X509Certificate2 certificate)
    {
        var raw = certificate.Extensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
        if (raw is null)
            return $"'{certificate.GetNameInfo(X509NameType.SimpleName, false)}' alone (it has no subject alternative names)";
        var names = new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
        return string.Join(", ", names.EnumerateDnsNames().Concat(names.EnumerateIPAddresses().Select(a => a.ToString())));
    }
}
