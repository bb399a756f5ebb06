using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Furrow.Core.Query;

namespace Furrow.Engine.Api;

/// <summary>
/// Writes a column query's rows in the shape Tractor's query API reads (TRACTOR-PROTOCOL §4a), <c>{"COLUMN": value, ...}</c>
/// objects joined by commas, straight into a buffer: each member's <c>"name":</c> is bytes made once per reply (a
/// 10,000-row reply writes 80,000 of them, which cost <see cref="Utf8JsonWriter"/> more than the rows' values). The
/// bytes are what a <see cref="Utf8JsonWriter"/> with <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> writes
/// for the same members (a test holds them to it): names and any string that needs escaping are escaped by that encoder;
/// times are <see cref="TractorTimeText"/> in <c>zone</c>; a float that is not finite, and a null, are <c>null</c>.
/// </summary>
/// <remarks>
/// One reply's writer, used by one call at a time; it writes no object or array around the rows. What is written reaches
/// the output in blocks: <see cref="Flush"/> before the output is read.
/// </remarks>
internal sealed class TractorRowWriter : IDisposable
{
    /// <summary>The encoder Tractor-shaped replies escape with: they are JSON for scripts, never markup, so times keep their '+'.</summary>
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    // Rows are written straight into a block of the output's memory, asked for once per block and handed on (Commit)
    // when the next value does not fit: asking a pipe for a span and advancing it for each of a 10,000-row reply's
    // 200,000 tokens cost more than the rows themselves, and writing into an array of the writer's own and copying it on
    // cost a copy of the whole reply. Each write makes room for its most bytes first (Room), so the writes check nothing.
    // Output memory that is not an array (no pipe of the engine's gives such) is written through a scratch array.
    private const int BlockBytes = 16 * 1024;
    private byte[] _buffer = [];
    // The block is _buffer[_start.._end); what is written and not yet handed on is _buffer[_start.._at).
    private int _start;
    private int _at;
    private int _end;
    private Memory<byte> _scratchFor;
    private readonly IBufferWriter<byte> _output;
    private readonly TractorTimeText.MinuteWriter _times;
    // `{"name":` for the first column, `,"name":` for each after it.
    private readonly byte[][] _prefixes;
    private int _rows;
    private long _flushed;

    /// <summary>A writer of rows with these column names (in the rows' order) into <paramref name="output"/>.</summary>
    public TractorRowWriter(IBufferWriter<byte> output, IEnumerable<string> names, TimeZoneInfo zone)
    {
        _output = output;
        _times = new TractorTimeText.MinuteWriter(zone);
        _prefixes = [.. names.Select((name, i) =>
        {
            var encoded = JsonEncodedText.Encode(name, Encoder).EncodedUtf8Bytes;
            var prefix = new byte[encoded.Length + 4];
            prefix[0] = i == 0 ? (byte)'{' : (byte)',';
            prefix[1] = (byte)'"';
            encoded.CopyTo(prefix.AsSpan(2));
            prefix[^2] = (byte)'"';
            prefix[^1] = (byte)':';
            return prefix;
        })];
        if (_prefixes.Length == 0)
            throw new ArgumentException("a row has at least one column", nameof(names));
    }

    /// <summary>Bytes written so far, those not yet copied to the output (<see cref="Flush"/>) included.</summary>
    public long Written => _flushed + (_at - _start);

    /// <summary>Writes <paramref name="bytes"/> as they are (the reply's opening and closing text).</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        Room(bytes.Length);
        bytes.CopyTo(Free);
        _at += bytes.Length;
    }

    /// <summary>Hands what is written on to the output; call before the output is read or written by anything else.</summary>
    public void Flush() => Commit();

    // The rest of the current block.
    private Span<byte> Free => _buffer.AsSpan(_at, _end - _at);

    // Advances the output past what is written in the current block, which is then no longer the writer's to write.
    private void Commit()
    {
        var written = _at - _start;
        if (written > 0)
        {
            if (!_scratchFor.IsEmpty)
                _buffer.AsSpan(_start, written).CopyTo(_scratchFor.Span);
            _output.Advance(written);
            _flushed += written;
        }
        _scratchFor = default;
        _start = _at = _end = 0;
        _buffer = [];
    }

    // Makes room for at least `bytes` more: when the block cannot take them, what is written is handed on and a block of
    // at least that size (a long title's) is asked for.
    private void Room(int bytes)
    {
        if (_end - _at >= bytes)
            return;
        Commit();
        var memory = _output.GetMemory(Math.Max(bytes, BlockBytes));
        if (MemoryMarshal.TryGetArray<byte>(memory, out var block))
        {
            (_buffer, _start, _end) = (block.Array!, block.Offset, block.Offset + block.Count);
        }
        else
        {
            (_buffer, _start, _end) = (new byte[memory.Length], 0, memory.Length);
            _scratchFor = memory;
        }
        _at = _start;
    }

    /// <summary>Writes one row, its values in the columns' order, after a comma unless it is the first.</summary>
    public void Row(ReadOnlySpan<QueryValue> row)
    {
        if (row.Length != _prefixes.Length)
            throw new ArgumentException($"a row of {row.Length} values for {_prefixes.Length} columns", nameof(row));
        if (_rows++ > 0)
            Raw(","u8);
        for (var i = 0; i < row.Length; i++)
        {
            Raw(_prefixes[i]);
            Value(row[i]);
        }
        Raw("}"u8);
    }

    private void Value(in QueryValue value)
    {
        switch (value.Kind)
        {
            case QueryValueKind.Int:
                Number(value.AsInt);
                break;
            case QueryValueKind.Float when double.IsFinite(value.AsFloat):
                Room(64);
                if (!value.AsFloat.TryFormat(Free, out var written, default, CultureInfo.InvariantCulture))
                    throw new InvalidOperationException("a double is at most 64 bytes of text");
                _at += written;
                break;
            case QueryValueKind.String:
                Text(value.AsString);
                break;
            case QueryValueKind.Bool:
                Raw(value.AsBool ? "true"u8 : "false"u8);
                break;
            case QueryValueKind.Time:
                Room(TractorTimeText.MaxLength + 2);
                _buffer[_at] = (byte)'"';
                var length = _times.Format(value.AsTime, Free[1..]);
                _buffer[_at + length + 1] = (byte)'"';
                _at += length + 2;
                break;
            case QueryValueKind.StringList:
                ListOf(value.AsStringList, static (writer, item) => writer.Text(item));
                break;
            case QueryValueKind.IntList:
                ListOf(value.AsIntList, static (writer, item) => writer.Number(item));
                break;
            default:
                Raw("null"u8);
                break;
        }
    }

    // A list column's items as a JSON array.
    private void ListOf<T>(IReadOnlyList<T> items, Action<TractorRowWriter, T> write)
    {
        Raw("["u8);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
                Raw(","u8);
            write(this, items[i]);
        }
        Raw("]"u8);
    }

    private void Number(long value)
    {
        Room(20);
        Utf8Formatter.TryFormat(value, Free, out var written);
        _at += written;
    }

    // Most strings need no escaping: transcoded in place and checked by the encoder. One that does (a quote, a control
    // character, text the encoder escapes, a lone surrogate, which becomes U+FFFD) is written by Utf8JsonWriter itself.
    private void Text(string value)
    {
        Room(value.Length * 3 + 2);
        var span = Free;
        span[0] = (byte)'"';
        if (Utf8.FromUtf16(value, span[1..], out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done
            && Encoder.FindFirstCharacterToEncodeUtf8(span.Slice(1, written)) < 0)
        {
            span[written + 1] = (byte)'"';
            _at += written + 2;
            return;
        }
        // Written by a Utf8JsonWriter of its own, started afresh for each such string (a root value, so no comma before
        // it), into a buffer of its own and copied on: such strings are few.
        _escaped ??= new ArrayBufferWriter<byte>();
        _escaped.ResetWrittenCount();
        if (_escaping is null)
            _escaping = new Utf8JsonWriter(_escaped, new JsonWriterOptions { Encoder = Encoder, SkipValidation = true });
        else
            _escaping.Reset(_escaped);
        _escaping.WriteStringValue(value);
        _escaping.Flush();
        Raw(_escaped.WrittenSpan);
    }

    private Utf8JsonWriter? _escaping;
    private ArrayBufferWriter<byte>? _escaped;

    /// <summary>Lets go of the writer kept for strings that need escaping; the buffer is the caller's.</summary>
    public void Dispose() => _escaping?.Dispose();

}
