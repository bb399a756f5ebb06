using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Furrow.Client.Tests;

/// <summary>
/// The client's side of an engine's certificate that has expired since the engine started (an engine refuses to start
/// with one): a real TLS handshake with a server that presents it, and the error the client gives.
/// </summary>
public sealed class EngineTlsTests
{
    [Fact]
    public async Task StatusAsync_Fails_SayingTheCertificateExpired_WhenTheEnginesCertificateHasExpired()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test site CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddYears(-1), now.AddYears(5));
        using var engineKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var engineRequest = new CertificateRequest("CN=engine", engineKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        engineRequest.CertificateExtensions.Add(names.Build());
        using var expiredPublic = engineRequest.Create(ca, now.AddDays(-60), now.AddDays(-2), [1, 2, 3, 4]);
        using var expired = expiredPublic.CopyWithPrivateKey(engineKey);
        var caFile = Path.Combine(Path.GetTempPath(), $"furrow-test-ca-{Guid.NewGuid():N}.crt");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = ServeOneHandshakeAsync(listener, expired);
        try
        {
            using var client = new EngineClient($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", caFile: caFile);

            var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.StatusAsync());

            Assert.Contains($"it expired on {expired.NotAfter.ToUniversalTime():u}", error.Message);
            Assert.Contains("127.0.0.1", error.Message);
            Assert.DoesNotContain("issued by", error.Message); // the CA file trusts its issuer: expiry is the one reason
            await serving;
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    private static async Task ServeOneHandshakeAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(connection.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        }
        catch (Exception error) when (error is AuthenticationException or IOException)
        {
            // The client refuses the certificate and ends the handshake: what the test expects.
        }
    }
}
