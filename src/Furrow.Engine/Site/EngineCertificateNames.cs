using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Furrow.Engine.Site;

/// <summary>
/// The names and addresses a site CA engine certificate is issued for: the ones clients call the engine by. Kept sorted,
/// so two sets compare equal when the certificate need not be reissued.
/// </summary>
internal sealed record EngineCertificateNames(IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>
    /// localhost, <c>tractor-engine</c> (Tractor's conventional engine name), this host's name (and its domain name when the
    /// system knows one), every name in <c>EngineHostNames</c>, loopback, and the listen address; for an engine listening on
    /// every address (0.0.0.0, ::), this host's interface addresses.
    /// </summary>
    public static EngineCertificateNames For(string listenAddress, IEnumerable<string> engineHostNames)
    {
        var dns = new SortedSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "tractor-engine", Host };
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        try
        {
            var domain = IPGlobalProperties.GetIPGlobalProperties().DomainName;
            if (!string.IsNullOrWhiteSpace(domain) && domain != "(none)")
                dns.Add($"{Host}.{domain.TrimStart('.').ToLowerInvariant()}");
        }
        catch (NetworkInformationException)
        {
            // Without a domain name the short host name still serves.
        }
        foreach (var name in engineHostNames)
        {
            if (IPAddress.TryParse(name.Trim('[', ']'), out var named))
                addresses.Add(named);
            else if (!string.IsNullOrWhiteSpace(name))
                dns.Add(name.Trim().ToLowerInvariant());
        }
        if (IPAddress.TryParse(listenAddress, out var listen))
        {
            if (!listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
                addresses.Add(listen);
            else
                addresses.AddRange(InterfaceAddresses());
        }
        return new EngineCertificateNames(dns.ToList(), Sorted(addresses.Where(a => !a.IsIPv6LinkLocal)));
    }

    // DNS names are case-insensitive; certificates and IdnMapping give them in lower case.
    private static string Host => Environment.MachineName.ToLowerInvariant();

    private static List<IPAddress> Sorted(IEnumerable<IPAddress> addresses) =>
        addresses.Distinct().OrderBy(a => a.AddressFamily).ThenBy(a => a.ToString(), StringComparer.Ordinal).ToList();

    /// <summary>The names and addresses in a certificate's subject alternative name extension.</summary>
    public static EngineCertificateNames Of(X509Certificate2 certificate)
    {
        var raw = certificate.Extensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
        if (raw is null)
            return new EngineCertificateNames([], []);
        var san = new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
        return new EngineCertificateNames(san.EnumerateDnsNames().Select(n => n.ToLowerInvariant()).Order(StringComparer.OrdinalIgnoreCase).ToList(),
            Sorted(san.EnumerateIPAddresses()));
    }

    /// <summary>The set as a certificate shows it, e.g. <c>DNS:localhost, IP:127.0.0.1</c>.</summary>
    public override string ToString() => string.Join(", ", DnsNames.Select(n => "DNS:" + n).Concat(Addresses.Select(a => "IP:" + a)));

    /// <summary>Whether both sets hold the same names and addresses.</summary>
    public bool SameAs(EngineCertificateNames other) =>
        DnsNames.SequenceEqual(other.DnsNames, StringComparer.OrdinalIgnoreCase) && Addresses.SequenceEqual(other.Addresses);

    private static IEnumerable<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address).Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
