using System.Net;
using System.Net.NetworkInformation;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Furrow.Engine.Api;

/// <summary>
/// The engine's first line against requests it should never act on. Before it listens: an address other hosts can
/// reach is refused unless the engine serves TLS or the site says it accepts serving without. Then, for every request: a Host
/// header that names none of this engine's names is refused (DNS rebinding: a web page whose name resolves to this
/// host), and so is a state-changing request a browser sent from another origin (CSRF: a page posting to the engine
/// from a wrangler's browser). Clients that are not browsers send no Origin and are not affected.
/// </summary>
public static class RequestGuard
{
    /// <summary>
    /// Throws <see cref="SiteConfigException"/> naming the setting when <paramref name="listenAddress"/> is not an IP
    /// address, or is one other hosts can reach while the engine would serve it unprotected: without TLS
    /// (<paramref name="tlsOn"/>) or without logins (<paramref name="authenticationRequired"/>), and without the site
    /// accepting that (<paramref name="allowUnprotected"/>). This is the one place that decides what protection a
    /// reachable address needs.
    /// </summary>
    public static void CheckListenAddress(string listenAddress, bool allowUnprotected, bool tlsOn, bool authenticationRequired = true)
    {
        if (!IPAddress.TryParse(listenAddress, out var address))
            throw new SiteConfigException($"listen address '{listenAddress}' is not an IP address (ListenAddress in tractor.config, or --listen)");
        if (IPAddress.IsLoopback(address) || allowUnprotected || (tlsOn && authenticationRequired))
            return;
        if (tlsOn)
            throw new SiteConfigException(
                $"refusing to listen on {listenAddress}, which other hosts can reach, with RequireAuthentication false in tractor.config: " +
                "anyone on the network could spool commands and act on every job. Require logins, listen on 127.0.0.1 (the default), or set " +
                "\"AllowUnprotectedListen\": true to serve this network without them anyway");
        throw new SiteConfigException(
            $"refusing to listen on {listenAddress}, which other hosts can reach, over plain http: anyone on the network could read and " +
            "alter what clients and blades send. Turn on TLS in tractor.config (\"Tls\": \"site-ca\" for a site CA the engine makes, or " +
            "TlsCertificateFile and TlsKeyFile), listen on 127.0.0.1 (the default), or set \"AllowUnprotectedListen\": true to serve this " +
            "network without TLS anyway");
    }

    /// <summary>
    /// The Host header values this engine answers to: loopback names, <c>tractor-engine</c> (Tractor's conventional engine
    /// name), this host's name and interface addresses, the listen address and <paramref name="extraNames"/>.
    /// </summary>
    public static IList<StringSegment> AllowedHosts(string listenAddress, IEnumerable<string> extraNames)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "tractor-engine", Environment.MachineName };
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (IPAddress.TryParse(listenAddress, out var listen))
            addresses.Add(listen);
        try
        {
            addresses.AddRange(NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address));
        }
        catch (NetworkInformationException)
        {
            // Without the interface list the loopback and configured names still serve.
        }
        foreach (var address in addresses)
        {
            var text = address.ToString();
            names.Add(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{text}]" : text);
        }
        foreach (var name in extraNames)
            names.Add(name);
        return names.Select(n => new StringSegment(n)).ToArray();
    }

    /// <summary>
    /// Null when the request may go on; else the reason it is refused (400 for the Host, 403 for the Origin).
    /// A request without a Host header (HTTP/1.0 written by hand, as Tractor's old clients do), or with an empty one (what
    /// RFC 9112 §3.2 has an HTTP/1.1 client send when its target has no authority), is not refused for it: the check is
    /// against DNS rebinding, and a browser always names the host it thinks it is talking to.
    /// </summary>
    public static (int Status, string Reason)? Check(HttpRequest request, IList<StringSegment> allowedHosts)
    {
        var host = request.Host;
        if (host.HasValue && !HostString.MatchesAny(new StringSegment(host.Host), allowedHosts))
        {
            return (StatusCodes.Status400BadRequest,
                $"Host '{host.Host}' is not a name of this engine; add it to EngineHostNames in tractor.config if clients call it by that name");
        }
        if (NulParameter(request.QueryString.Value) is { } withNul)
            return (StatusCodes.Status400BadRequest, NulMessage(withNul));
        // The native API reads one value of each parameter: a second, different one would be dropped in silence (the first
        // read, the second meant). Tractor's URLs merge list parameters and refuse the rest themselves (TractorRequests).
        // A native flag is 1 or 0; an empty or other value (force=, comment=yes) would read as 0 in silence.
        if (!Tractor.TractorRequests.IsTractor(request))
        {
            if (TwiceDifferent(request.Query) is { } twice)
                return (StatusCodes.Status400BadRequest, $"{Core.Text.TerminalText.Shown(twice.Name)}= is given {twice.Count} times, with different values: give it once");
            foreach (var flag in QueryParameters.FlagNames)
            {
                if (request.Query[flag].FirstOrDefault() is { } value && value is not ("0" or "1"))
                    return (StatusCodes.Status400BadRequest, $"bad {flag} '{Core.Text.TerminalText.Shown(value)}': expected 1 or 0");
            }
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return null;
        // Browsers send Origin on every cross-origin POST, PUT and DELETE (and "null" from sandboxed or file: pages).
        if (request.Headers.Origin is { Count: > 0 } origin && !IsSameOrigin(origin.ToString(), request))
        {
            return (StatusCodes.Status403Forbidden,
                $"a request from the web page at '{origin}' to {request.Path} is refused: only this engine's own pages may change the queue");
        }
        return null;
    }

    /// <summary>
    /// The name of the first parameter of <paramref name="query"/> (a URL's query string, or a form body, as sent) whose
    /// name or value holds a NUL character (<c>%00</c>), or null. No name, id, number or text the engine takes holds one,
    /// and .NET's number parsing passes over trailing NULs (<c>long.TryParse("17\0")</c> gives 17), so `jid=17%00` would
    /// otherwise act on J17 as if it had been sent clean.
    /// </summary>
    public static string? NulParameter(string? query)
    {
        if (string.IsNullOrEmpty(query) || query.IndexOf("%00", StringComparison.Ordinal) < 0)
            return null;
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            if (pair.Contains("%00", StringComparison.Ordinal))
                return Uri.UnescapeDataString(pair.Split('=')[0].Replace("%00", "", StringComparison.Ordinal).Replace('+', ' '));
        }
        return null;
    }

    /// <summary>The first parameter of <paramref name="query"/> given more than once with different values, and how often; else null.</summary>
    public static (string Name, int Count)? TwiceDifferent(IQueryCollection query)
    {
        foreach (var (name, values) in query)
        {
            if (values.Count > 1 && values.Distinct(StringComparer.Ordinal).Skip(1).Any())
                return (name, values.Count);
        }
        return null;
    }

    /// <summary>The refusal of a request whose parameter <paramref name="name"/> holds a NUL character.</summary>
    public static string NulMessage(string name) =>
        $"{(name.Length == 0 ? "a parameter" : $"{(name.Length > 60 ? name[..60] + "..." : name)}=")} holds a NUL character (%00), " +
        "which no name, id, number or text of the engine's takes: send the value without it";

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && request.Host.HasValue
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
