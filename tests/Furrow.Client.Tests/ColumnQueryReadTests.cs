using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Furrow.Client.Tests;

/// <summary>
/// How the client reads a column query's reply off a real socket: straight into an array of the reply's length when the
/// engine sends one, through HttpClient's own buffering when it does not (chunked), and never a reply cut short.
/// </summary>
public sealed class ColumnQueryReadTests
{
    private const string Page = """{"table":"jobs","columns":[{"name":"jid","type":"int"},{"name":"title","type":"string"}],"rows":[[1,"a"],[2,"b é"]],"next":null}""";

    [Fact]
    public async Task QueryColumnsAsync_ReadsARepliesRows_WithItsLength()
    {
        var body = Encoding.UTF8.GetBytes(Page);
        var table = await QueryAsync($"Content-Length: {body.Length}\r\n", body);
        AssertRows(table);
    }

    [Fact]
    public async Task QueryColumnsAsync_ReadsARepliesRows_SentInChunksWithoutALength()
    {
        var body = Encoding.UTF8.GetBytes(Page);
        var half = body.Length / 2;
        var chunked = Encoding.ASCII.GetBytes($"{half:x}\r\n").Concat(body[..half]).Concat("\r\n"u8.ToArray())
            .Concat(Encoding.ASCII.GetBytes($"{body.Length - half:x}\r\n")).Concat(body[half..]).Concat("\r\n0\r\n\r\n"u8.ToArray()).ToArray();
        var table = await QueryAsync("Transfer-Encoding: chunked\r\n", chunked);
        AssertRows(table);
    }

    [Fact]
    public async Task QueryColumnsAsync_Fails_WhenTheReplyEndsBeforeItsLength()
    {
        var body = Encoding.UTF8.GetBytes(Page);
        var error = await Assert.ThrowsAnyAsync<IOException>(() => QueryAsync($"Content-Length: {body.Length + 100}\r\n", body));
        Assert.Contains("prematurely", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertRows(ColumnTable table)
    {
        Assert.Equal("jobs", table.Table);
        Assert.Equal(["jid", "title"], table.Columns.Select(c => c.Name));
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal(2, table.Rows[1][0].GetInt64());
        Assert.Equal("b é", table.Rows[1][1].GetString());
    }

    // A socket of this test's answers the query with the status line, these headers and the body as given, then closes the
    // connection; the query's path is checked on the way.
    private static async Task<ColumnTable> QueryAsync(string headers, byte[] body)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new EngineClient($"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var query = client.QueryColumnsAsync("jobs", ["jid", "title"], null, "tester", new ListOptions(), cancellationToken: timeout.Token);
        var paths = new List<string>();
        while (!query.IsCompleted)
        {
            var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
            if (await Task.WhenAny(accept, query) != accept)
                break;
            using var connection = await accept;
            var stream = connection.GetStream();
            var request = new List<byte>();
            var buffer = new byte[4096];
            while (!Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                Assert.NotEqual(0, read);
                request.AddRange(buffer[..read]);
            }
            var path = Encoding.ASCII.GetString([.. request]).Split(' ')[1];
            paths.Add(path);
            // A client on the engine's host first asks who it is (GET /api/v1/auth): an engine with no unix socket for it.
            var (replyHeaders, reply) = path.StartsWith("/api/v1/query/", StringComparison.Ordinal) ? (headers, body)
                : ("Content-Length: 2\r\n", "{}"u8.ToArray());
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{replyHeaders}Connection: close\r\n\r\n"), timeout.Token);
            await stream.WriteAsync(reply, timeout.Token);
        }
        Assert.Contains(paths, p => p.StartsWith("/api/v1/query/jobs?cols=jid%2Ctitle", StringComparison.Ordinal));
        return await query;
    }
}
