using System.Security.Cryptography.X509Certificates;

namespace Furrow.Engine.Site;

/// <summary>
/// The certificate the engine serves https with (its private key attached), the intermediate certificates sent with it,
/// where it came from (for the log), and what was made or issued at this start, if anything.
/// </summary>
public sealed record EngineCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain, string Source, string? Made);
