using System.Net;
using System.Net.Sockets;

namespace Furrow.Testing;

/// <summary>
/// Hands out TCP port numbers on 127.0.0.1 for servers a test or bench is about to start (an engine, a PostgreSQL
/// cluster). A number is free when handed out and never handed out twice by one process.
/// </summary>
/// <remarks>
/// Binding port 0 and letting go, the usual trick, can give the same number to two callers that ask before either
/// starts its server, and that number lies in the kernel's ephemeral range, where any outgoing connection of the run
/// (a client, a blade) may take it in the meantime. The numbers here come from below that range (Linux's
/// <c>ip_local_port_range</c>, 32768-60999 by default), from a start chosen at random per process so that test
/// processes running side by side do not walk the same numbers, and each is checked bindable before it is given.
/// </remarks>
public static class LoopbackPorts
{
    private const int Lowest = 10_000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    private static readonly int Highest = EphemeralLowBound() - 1;
    private static int _next = Lowest + Random.Shared.Next(Highest - Lowest + 1);

    /// <summary>A port number on 127.0.0.1 that was free just now and that this process has not handed out before.</summary>
    /// <exception cref="InvalidOperationException">Every number in the range has been handed out or is in use.</exception>
    public static int Next()
    {
        lock (Gate)
        {
            for (var tried = 0; tried <= Highest - Lowest; tried++)
            {
                var port = _next;
                _next = port == Highest ? Lowest : port + 1;
                if (Given.Contains(port) || !Bindable(port))
                    continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free TCP port left on 127.0.0.1 in {Lowest}-{Highest}");
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Below the ephemeral range, which outgoing connections draw from; 32768 when the kernel does not say (not Linux).
    private static int EphemeralLowBound()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            var low = int.Parse(text.Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
            return low > Lowest + 1_000 ? low : 32_768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32_768;
        }
    }
}
