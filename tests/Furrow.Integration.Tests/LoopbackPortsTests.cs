using System.Net;
using System.Net.Sockets;

namespace Furrow.Integration.Tests;

/// <summary>
/// The port numbers the fixtures give engines and PostgreSQL clusters: a CI run once failed because the engine was given
/// the port its job database's PostgreSQL had been given a moment before.
/// </summary>
public sealed class LoopbackPortsTests
{
    [Fact]
    public void Ports_AskedForInQuickSuccession_AreAllDifferent_AndBindable_AndOutsideTheEphemeralRange()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0],
            System.Globalization.CultureInfo.InvariantCulture);
        // Several threads at once, as the test classes of one run ask.
        var ports = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 400, _ => ports.Add(LoopbackPorts.Next()));
        Assert.Equal(400, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1024, ephemeralLow - 1));
        foreach (var port in ports.Take(20))
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }

    [Fact]
    public void APortInUse_IsNotHandedOut()
    {
        // Hold the next numbers the helper would try; it must step past every one of them.
        var first = LoopbackPorts.Next();
        var held = new List<TcpListener>();
        try
        {
            for (var port = first + 1; port <= first + 5; port++)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                    held.Add(listener);
                }
                catch (SocketException)
                {
                    listener.Dispose();
                }
            }
            var heldPorts = held.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToHashSet();
            for (var i = 0; i < 10; i++)
                Assert.DoesNotContain(LoopbackPorts.Next(), heldPorts);
        }
        finally
        {
            foreach (var listener in held)
                listener.Dispose();
        }
    }
}
