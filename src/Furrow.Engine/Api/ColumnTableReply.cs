using System.IO.Pipelines;
using System.Text.Json;
using Furrow.Core.Query;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Api;

/// <summary>
/// A column query's reply (see <see cref="ColumnQueryEndpoints"/>) written as JSON while its rows are read, into pooled
/// memory: a page of 10,000 rows costs its bytes, not an object per value, and nothing of it outlives the request. It is
/// sent only after the last row, because whether more rows follow (the <c>Link</c> header, which goes before the body)
/// is known only then.
/// </summary>
/// <remarks>One request's handler uses an instance, one call at a time.</remarks>
internal sealed class ColumnTableReply : IDisposable
{
    // Segments of 64 KiB from the shared pool (a page of 10,000 jobs is about 0.7 MB). No flush happens before Send, so the
    // pipe never holds the writer back.
    private static readonly PipeOptions BodyOptions = new(pauseWriterThreshold: 0, resumeWriterThreshold: 0,
        minimumSegmentSize: 64 * 1024, useSynchronizationContext: false);

    /// <summary>
    /// The <see cref="Microsoft.AspNetCore.Http.HttpContext.Items"/> key under which Tractor's db verb asks for its own
    /// shape of the same reply (<see cref="ColumnTableReply(string, IEnumerable{ValueTuple{string, QueryColumnType}}, int, bool)"/>)
    /// with a <see cref="TractorRows"/> for the endpoint to fill: not a query parameter, so only the engine's own Tractor
    /// face can ask for it.
    /// </summary>
    public static readonly object TractorRowsKey = new();

    private readonly Pipe _body = new(BodyOptions);
    private readonly Utf8JsonWriter _json;
    private readonly int _size;
    private readonly JsonEncodedText[]? _keys;

    /// <summary>
    /// Starts a reply for <paramref name="table"/> with these columns, holding at most <paramref name="size"/> rows. With
    /// <paramref name="tractorRows"/> the reply is in the shape Tractor's query API reads (TRACTOR-PROTOCOL §4a):
    /// <c>{"rc": 0, "msg": "", "rows": [{"COLUMN": value, ...}, ...]}</c>, times as
    /// <see cref="TractorTimeText"/> in the engine's zone; written once, as the rows are read, like the native shape.
    /// </summary>
    public ColumnTableReply(string table, IEnumerable<(string Name, QueryColumnType Type)> columns, int size, bool tractorRows = false)
    {
        _size = size;
        if (tractorRows)
        {
            // Relaxed escaping: the reply is JSON for scripts, never markup, and times keep their '+' readable.
            _json = new Utf8JsonWriter(_body.Writer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            _keys = [.. columns.Select(c => JsonEncodedText.Encode(c.Name, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping))];
            _json.WriteStartObject();
            _json.WriteNumber("rc", 0);
            _json.WriteString("msg", "");
            _json.WriteStartArray("rows");
            _rowsStart = Written;
            return;
        }
        _json = new Utf8JsonWriter(_body.Writer);
        _json.WriteStartObject();
        _json.WriteString("table", table);
        _json.WriteStartArray("columns");
        foreach (var (name, type) in columns)
        {
            _json.WriteStartObject();
            _json.WriteString("name", name);
            _json.WriteString("type", type.ToString().ToLowerInvariant());
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteStartArray("rows");
    }

    private readonly long _rowsStart;
    private long _rowsEnd;

    private long Written => _json.BytesCommitted + _json.BytesPending;

    /// <summary>
    /// Where the rows lie in the sent body, as byte offsets [Start, End): the text between <c>"rows":[</c> and its
    /// <c>]</c>. Known once <see cref="SendAsync"/> has run.
    /// </summary>
    public (long Start, long End) RowsRange => (_rowsStart, _rowsEnd);

    /// <summary>Rows in the reply so far.</summary>
    public int Returned { get; private set; }

    /// <summary>True once a row past the page was offered: more rows follow this page.</summary>
    public bool More { get; private set; }

    /// <summary>Adds a row (its values in the columns' order); a row past the page is not added, only noted in <see cref="More"/>.</summary>
    public void Add(ReadOnlySpan<QueryValue> row)
    {
        if (Returned >= _size)
        {
            More = true;
            return;
        }
        Returned++;
        if (_keys is not null)
        {
            _json.WriteStartObject();
            Span<byte> time = stackalloc byte[TractorTimeText.MaxLength];
            for (var i = 0; i < row.Length; i++)
            {
                _json.WritePropertyName(_keys[i]);
                if (row[i].Kind == QueryValueKind.Time)
                    _json.WriteStringValue(time[..TractorTimeText.Format(row[i].AsTime, TimeZoneInfo.Local, time)]);
                else
                    Write(_json, row[i]);
            }
            _json.WriteEndObject();
            return;
        }
        _json.WriteStartArray();
        foreach (var value in row)
            Write(_json, value);
        _json.WriteEndArray();
    }

    /// <summary>
    /// Ends the reply with <paramref name="next"/> (the next page's URL, or null; Tractor's shape has no such key) and
    /// sends it as the response body.
    /// </summary>
    public async Task SendAsync(HttpResponse response, string? next, CancellationToken cancellationToken)
    {
        _rowsEnd = Written;
        _json.WriteEndArray();
        // Tractor's reply is rc, msg and rows: a native next-page link would name a URL its face does not serve (the
        // Tractor face reads on itself, TractorRows.More).
        if (_keys is null && next is null)
            _json.WriteNull("next");
        else if (_keys is null)
            _json.WriteString("next", next);
        _json.WriteEndObject();
        _json.Flush();
        await _body.Writer.CompleteAsync().ConfigureAwait(false);
        // The writer is complete, so one read holds the whole body, and its length is known before the first byte goes.
        var body = (await _body.Reader.ReadAsync(cancellationToken).ConfigureAwait(false)).Buffer;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        foreach (var segment in body)
            await response.BodyWriter.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        _body.Reader.AdvanceTo(body.End);
    }

    /// <summary>Returns the reply's pooled memory (whether or not it was sent).</summary>
    public void Dispose()
    {
        _json.Dispose();
        _body.Writer.Complete();
        _body.Reader.Complete();
    }

    private static void Write(Utf8JsonWriter json, QueryValue value)
    {
        switch (value.Kind)
        {
            case QueryValueKind.Int:
                json.WriteNumberValue(value.AsInt);
                break;
            case QueryValueKind.Float when double.IsFinite(value.AsFloat):
                json.WriteNumberValue(value.AsFloat);
                break;
            case QueryValueKind.String:
                json.WriteStringValue(value.AsString);
                break;
            case QueryValueKind.Bool:
                json.WriteBooleanValue(value.AsBool);
                break;
            case QueryValueKind.Time:
                json.WriteNumberValue(value.AsTime.ToUnixTimeMilliseconds());
                break;
            case QueryValueKind.StringList:
                json.WriteStartArray();
                foreach (var item in value.AsStringList)
                    json.WriteStringValue(item);
                json.WriteEndArray();
                break;
            case QueryValueKind.IntList:
                json.WriteStartArray();
                foreach (var item in value.AsIntList)
                    json.WriteNumberValue(item);
                json.WriteEndArray();
                break;
            default:
                json.WriteNullValue();
                break;
        }
    }
}

/// <summary>
/// What the native column query tells Tractor's db verb about a reply it wrote in Tractor's shape (set under
/// <see cref="ColumnTableReply.TractorRowsKey"/> before the call, filled by the endpoint): how many rows it holds, whether
/// more follow, and where the rows lie in the body, so that pages are joined without reading the JSON again.
/// </summary>
internal sealed class TractorRows
{
    /// <summary>Rows in the page.</summary>
    public long Returned { get; set; }

    /// <summary>True when the listing has rows past this page (its reply links a next page).</summary>
    public bool More { get; set; }

    /// <summary>Byte offset in the body of the first row (just after <c>"rows":[</c>).</summary>
    public int Start { get; set; }

    /// <summary>Byte offset in the body just after the last row (at the rows' closing <c>]</c>).</summary>
    public int End { get; set; }
}
