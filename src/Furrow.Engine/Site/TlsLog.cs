using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Site;

/// <summary>The engine's log messages about TLS; event ids 41xx, in the API band (4xxx).</summary>
internal static partial class TlsLog
{
    /// <summary>Logs what the engine serves https with, and what it made or issued for it at this start.</summary>
    public static void Serving(ILogger logger, EngineCertificate certificate, int port)
    {
        if (certificate.Made is { } made)
            CertificateMade(logger, made);
        ServingHttps(logger, port, certificate.Certificate.Subject, certificate.Source, certificate.Certificate.NotAfter.ToUniversalTime());
    }

    [LoggerMessage(4101, LogLevel.Information, "Serving https only on port {Port} with certificate {Subject} from {Source}, valid until {NotAfter:u}")]
    private static partial void ServingHttps(ILogger logger, int port, string subject, string source, DateTime notAfter);

    [LoggerMessage(4102, LogLevel.Warning, "TLS: {What}")]
    private static partial void CertificateMade(ILogger logger, string what);
}
