using System.Text.Json;

namespace Furrow.Integration.Tests.Support;

/// <summary>One Server-Sent Event as a client reads it: its id, type and data (JSON).</summary>
public sealed record StreamEvent(string? Id, string Type, JsonElement Data)
{
    /// <summary>The sequence number of a BOOT-SEQ id.</summary>
    public long Seq => Id is { } id ? long.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : -1;

    /// <summary>The jids a jobs event names.</summary>
    public IReadOnlyList<long> Jids => [.. Data.GetProperty("jids").EnumerateArray().Select(j => j.GetInt64())];

    public override string ToString() => $"{Id} {Type} {Data.GetRawText()}";
}

/// <summary>
/// Reads GET /api/v1/events over HTTP as a browser's EventSource would: headers first, then the stream a line at a time.
/// Every event read is kept, so a test can say what came before another.
/// </summary>
public sealed class EventStreamReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>Every event read so far, in order.</summary>
    public List<StreamEvent> Seen { get; } = [];

    /// <summary>The retry: value the stream opened with, once read.</summary>
    public int? Retry { get; private set; }

    /// <summary>Comment lines (": ping") read so far.</summary>
    public int Comments { get; private set; }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens the stream with <paramref name="http"/> (whose Timeout must be infinite), sending Last-Event-ID when given.</summary>
    public static async Task<EventStreamReader> OpenAsync(HttpClient http, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/events");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new EventStreamReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<StreamEvent?> NextAsync(CancellationToken cancellationToken)
    {
        string? id = null, type = null, data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken);
            if (line is null)
                return null;
            if (line.Length == 0)
            {
                if (type is not null && data is not null)
                {
                    var read = new StreamEvent(id, type, JsonDocument.Parse(data).RootElement.Clone());
                    Seen.Add(read);
                    return read;
                }
                continue;
            }
            if (line.StartsWith(':'))
                Comments++;
            else if (line.StartsWith("retry: ", StringComparison.Ordinal))
                Retry = int.Parse(line[7..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data = line[6..];
        }
    }

    /// <summary>Reads on until an event matches; fails naming what was read when the stream ends or <paramref name="timeout"/> passes.</summary>
    public async Task<StreamEvent> WaitForAsync(Func<StreamEvent, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            while (await NextAsync(cancel.Token) is { } next)
                if (match(next))
                    return next;
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"no {what} event; read: {string.Join(" | ", Seen)}");
    }

    /// <summary>Reads lines until a comment line (the engine's ping) comes; fails when <paramref name="timeout"/> passes first.</summary>
    public async Task WaitForCommentAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await _reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith(':'))
            {
                Comments++;
                return;
            }
            if (line.StartsWith("retry: ", StringComparison.Ordinal))
                Retry = int.Parse(line[7..], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new IOException("the stream ended before a comment line");
    }

    /// <summary>Reads until the engine ends the stream; true when it did within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await NextAsync(cancel.Token) is not null)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception error) when (error is IOException or HttpRequestException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
