using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Furrow.Client.Protocol;
using Microsoft.AspNetCore.Connections;

namespace Furrow.Engine.Api;

/// <summary>
/// The first step of every connection to an engine that serves TLS: a client that speaks plain http to it (a blade or a
/// script still given <c>HOST:PORT</c> or <c>http://</c>) gets a 400 saying to use https, instead of a connection closed
/// without a word. Nothing is served over plain http: the answer is written before any request is read, then the
/// connection closes. A TLS handshake (its first byte is 0x16) goes on to Kestrel's https unchanged.
/// </summary>
internal static class PlainHttpRefusal
{
    private const byte TlsHandshakeRecord = 0x16;

    // As long as Kestrel gives a TLS handshake: a connection that sends nothing is not held open for longer.
    private static readonly TimeSpan FirstByteTimeout = TimeSpan.FromSeconds(10);

    // After the answer, what the client still sends (its request's body) is read and dropped for a moment, so that the
    // close does not reset the connection under the answer before the client has read it.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);
    private const long DrainLimit = 1024 * 1024;

    /// <summary>The connection middleware for an https endpoint on <paramref name="port"/>; add it before <c>UseHttps</c>.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> On(int port) => next => async connection =>
    {
        var input = connection.Transport.Input;
        ReadResult first;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            timeout.CancelAfter(FirstByteTimeout);
            try
            {
                first = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                connection.Abort();
                return;
            }
        }
        if (first.Buffer.IsEmpty)
        {
            input.AdvanceTo(first.Buffer.Start);
            return;
        }
        var firstByte = first.Buffer.FirstSpan[0];
        var tractor = IsTractorRequest(first.Buffer.FirstSpan);
        // Only looked at: the bytes stay in the pipe for whoever reads next.
        input.AdvanceTo(first.Buffer.Start);
        if (firstByte == TlsHandshakeRecord || !IsAsciiLetter(firstByte))
        {
            await next(connection).ConfigureAwait(false);
            return;
        }
        await RefuseAsync(connection, port, tractor).ConfigureAwait(false);
    };

    private static bool IsAsciiLetter(byte b) => b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z';

    // A request line whose target is one of Tractor's URLs ("POST /Tractor/monitor?..."), as far as the first read has it.
    private static bool IsTractorRequest(ReadOnlySpan<byte> start)
    {
        var space = start.IndexOf((byte)' ');
        var prefix = "/Tractor/"u8;
        return space > 0 && start.Length >= space + 1 + prefix.Length
            && Ascii.EqualsIgnoreCase(start.Slice(space + 1, prefix.Length), prefix);
    }

    // tractor: a Tractor client, which reads {"rc", "msg"} and nothing else, as every reply under /Tractor/ is shaped.
    private static async Task RefuseAsync(ConnectionContext connection, int port, bool tractor)
    {
        var reply = new ErrorReply(400, $"this engine serves https only on port {port}: call it as https://HOST:{port} " +
            "(--engine or TRACTOR_ENGINE; FURROW_CA_FILE names the site CA certificate when the engine uses its own)");
        var body = tractor ? Tractor.TractorReply.Error(reply.Rc, reply.Msg).Body : JsonSerializer.SerializeToUtf8Bytes(reply, FurrowJsonContext.Default.ErrorReply);
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 400 Bad Request\r\nContent-Type: {(tractor ? "application/json" : "application/problem+json")}\r\n" +
            $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        var output = connection.Transport.Output;
        await output.WriteAsync(head).ConfigureAwait(false);
        await output.WriteAsync(body).ConfigureAwait(false);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        drain.CancelAfter(DrainTimeout);
        var input = connection.Transport.Input;
        long drained = 0;
        try
        {
            while (drained < DrainLimit)
            {
                var read = await input.ReadAsync(drain.Token).ConfigureAwait(false);
                drained += read.Buffer.Length;
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            // The client kept the connection open or kept sending: it has its answer; close anyway.
        }
    }
}
