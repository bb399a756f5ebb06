using System.Buffers;
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
    // The native shape is written by a Utf8JsonWriter; Tractor's by its row writer (one of the two is null).
    private readonly Utf8JsonWriter? _json;
    private readonly TractorRowWriter? _tractor;
    private readonly int _size;

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
            _tractor = new TractorRowWriter(_body.Writer, columns.Select(c => c.Name), TimeZoneInfo.Local);
            _tractor.Raw(TractorHead);
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
    private bool _handedOver;

    /// <summary>The opening of a reply in Tractor's shape, up to its first row; <see cref="TractorTail"/> closes it.</summary>
    public static ReadOnlySpan<byte> TractorHead => "{\"rc\":0,\"msg\":\"\",\"rows\":["u8;

    /// <summary>The close of a reply in Tractor's shape, after its last row.</summary>
    public static ReadOnlySpan<byte> TractorTail => "]}"u8;

    private long Written => _tractor?.Written ?? _json!.BytesCommitted + _json.BytesPending;

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
        if (_tractor is not null)
        {
            _tractor.Row(row);
            return;
        }
        _json!.WriteStartArray();
        foreach (var value in row)
            Write(_json, value);
        _json.WriteEndArray();
    }

    /// <summary>
    /// Ends the reply with <paramref name="next"/> (the next page's URL, or null) and sends it as the response body. A reply
    /// in Tractor's shape is not sent but handed over (<see cref="HandOverAsync"/>).
    /// </summary>
    public async Task SendAsync(HttpResponse response, string? next, CancellationToken cancellationToken)
    {
        if (_json is null)
            throw new InvalidOperationException("a reply in Tractor's shape is handed over, not sent");
        _json.WriteEndArray();
        if (next is null)
            _json.WriteNull("next");
        else
            _json.WriteString("next", next);
        var body = await EndAsync(cancellationToken).ConfigureAwait(false);
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await ResponseBodies.WriteAsync(response, [body], cancellationToken).ConfigureAwait(false);
        _body.Reader.AdvanceTo(body.End);
    }

    /// <summary>
    /// Ends a reply in Tractor's shape and hands its body, still in the pooled memory it was written to, to
    /// <paramref name="rows"/> as a page (<see cref="TractorRows.Pages"/>); <paramref name="more"/> says whether the
    /// listing has rows past it. Tractor's reply is rc, msg and rows: it has no next-page link, the face reads on itself.
    /// Handing over rather than sending spares a copy of the body per hop: a 10,000-job select is 1.6 MB, and copying it
    /// through a captured response and into an array cost the engine large-object allocations and gen2 collections.
    /// From here the memory is the page's to return (<see cref="TractorRows.Dispose"/>); this reply's Dispose leaves it.
    /// </summary>
    public async Task HandOverAsync(TractorRows rows, bool more, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_tractor is null)
            throw new InvalidOperationException("only a reply in Tractor's shape is handed over");
        var rowsEnd = Written;
        _tractor.Raw(TractorTail);
        _tractor.Flush();
        var body = await EndAsync(cancellationToken).ConfigureAwait(false);
        _handedOver = true;
        rows.Add(new TractorRows.Page(body, _rowsStart, rowsEnd, Returned, more, Release));
    }

    // Closes the JSON object and the pipe's writer; the writer is complete, so one read holds the whole body.
    private async Task<ReadOnlySequence<byte>> EndAsync(CancellationToken cancellationToken)
    {
        if (_json is not null)
        {
            _json.WriteEndObject();
            _json.Flush();
        }
        await _body.Writer.CompleteAsync().ConfigureAwait(false);
        return (await _body.Reader.ReadAsync(cancellationToken).ConfigureAwait(false)).Buffer;
    }

    /// <summary>Returns the reply's pooled memory (whether or not it was sent), unless it was handed over.</summary>
    public void Dispose()
    {
        if (!_handedOver)
            Release();
    }

    private void Release()
    {
        _json?.Dispose();
        _tractor?.Dispose();
        _body.Writer.Complete();
        _body.Reader.Complete();
    }

    // A value of the native shape's row array.
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
/// The pages the native column query wrote in Tractor's shape for Tractor's db verb (set under
/// <see cref="ColumnTableReply.TractorRowsKey"/> before the call; the endpoint adds a page per call): each page's body in
/// the pooled memory it was written to, where its rows lie, how many rows it holds and whether more follow. So pages are
/// joined and sent without reading the JSON again or copying it. Disposing returns every page's memory that was not
/// handed on with <see cref="TakePages"/>.
/// </summary>
internal sealed class TractorRows : IDisposable
{
    private readonly List<Page> _pages = [];

    /// <summary>
    /// One page: its whole body (<c>{"rc":0,"msg":"","rows":[...]}</c>), the byte offsets [RowsStart, RowsEnd) of the text
    /// between <c>"rows":[</c> and its <c>]</c>, the rows in it, whether the listing has rows past it, and what returns
    /// its memory (call once, after the last read of <see cref="Body"/>).
    /// </summary>
    public sealed record Page(ReadOnlySequence<byte> Body, long RowsStart, long RowsEnd, int Returned, bool More, Action Release);

    /// <summary>The pages added so far, oldest first.</summary>
    public IReadOnlyList<Page> Pages => _pages;

    /// <summary>Adds a page the endpoint handed over.</summary>
    public void Add(Page page) => _pages.Add(page);

    /// <summary>The pages, now the caller's to release; this object no longer returns their memory.</summary>
    public List<Page> TakePages()
    {
        var pages = new List<Page>(_pages);
        _pages.Clear();
        return pages;
    }

    /// <summary>Returns the memory of every page still held.</summary>
    public void Dispose()
    {
        foreach (var page in _pages)
            page.Release();
        _pages.Clear();
    }
}
