using System.Net;
using System.Net.Sockets;
using System.Text;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Large spools at once cannot take the engine's memory: script bytes in flight are bounded (SpoolMaxInFlightBytes), a
/// spool that does not fit waits its turn and is refused with 503 after SpoolQueueWaitSecs, and nothing is lost.
/// </summary>
public sealed class SpoolAdmissionTests
{
    [Fact]
    public async Task ASpoolThatDoesNotFitBesideOneInFlight_WaitsThenIsRefused_AndBothSpoolOnceThereIsRoom()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"SpoolMaxInFlightBytes\": 1048576, \"SpoolQueueWaitSecs\": 1");
        await site.StartEngineAsync();

        // The first spool declares 900 KB and sends only its first half, so it holds its room while the test goes on.
        var big = Script("slow big one", 900_000);
        var bytes = Encoding.ASCII.GetBytes(big);
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, site.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/v1/jobs?user=first&file=big.alf HTTP/1.1\r\nHost: 127.0.0.1:{site.Port}\r\nAuthorization: Bearer {await site.AdminTokenAsync()}\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        await stream.FlushAsync();

        var second = Script("second", 300_000);
        var early = 0;
        var refused = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                await site.Client.SpoolAsync(second, new SpoolOptions("second", "second.alf"));
                early++; // the first had not taken its room yet, so this one went in; try again
                return null;
            }
            catch (EngineException error) when (error.StatusCode == 503)
            {
                return error;
            }
        }, TimeSpan.FromSeconds(30), () => "a spool to be refused while the first holds the room");
        Assert.Contains("SpoolMaxInFlightBytes", refused.Message);
        Assert.Contains("SpoolQueueWaitSecs", refused.Message);
        // Listings are not held behind spools.
        Assert.Equal(early, (await site.Client.JobsAsync()).Count);

        // The first spool completes and is acknowledged; then there is room for the second.
        await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        await stream.FlushAsync();
        var reply = await new StreamReader(stream, Encoding.ASCII).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200", reply);
        Assert.Contains($"\"jid\":{early + 1}", reply);
        var jid = (await site.Client.SpoolAsync(second, new SpoolOptions("second", "second.alf"))).Jid;
        Assert.Equal(early + 2, jid);
        var titles = (await site.Client.JobsAsync()).OrderBy(j => j.Jid).Select(j => j.Title);
        Assert.Equal([.. Enumerable.Repeat("second", early), "slow big one", "second"], titles);
    }

    // A one-task job whose comment pads the script to exactly <paramref name="size"/> bytes.
    private static string Script(string title, int size)
    {
        var head = $"Job -title {{{title}}} -comment {{";
        const string Tail = "} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }\n";
        return head + new string('x', size - head.Length - Tail.Length) + Tail;
    }
}
