using System.Net;
using System.Net.Sockets;
using Furrow.Client;

namespace Furrow.Engine.Site;

/// <summary>Refuses a port another process listens on, naming the Furrow engine there when it is one.</summary>
internal static class PortCheck
{
    public static async Task EnsureFreeAsync(string listenAddress, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Parse(listenAddress), port);
            listener.Start();
            listener.Stop();
            return;
        }
        catch (SocketException)
        {
            // in use: find out by whom below
        }
        string who;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var client = new EngineClient($"127.0.0.1:{port}");
            var status = await client.StatusAsync(timeout.Token).ConfigureAwait(false);
            who = $"the Furrow engine on {status.Host} pid {status.Pid} (data {status.DataDirectory})";
        }
        catch (Exception error) when (error is HttpRequestException or OperationCanceledException or EngineException or System.Text.Json.JsonException)
        {
            who = "another program";
        }
        throw new EngineLockedException($"port {port} is in use by {who}; give this engine its own ListenPort (or --port)", null);
    }
}
