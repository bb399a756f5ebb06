using System.Buffers;
using System.Text.Json;
using CsCheck;
using Furrow.Core.Query;
using Furrow.Engine.Api;

namespace Furrow.Integration.Tests;

/// <summary>
/// The Tractor-shaped rows the engine writes by hand are byte for byte what <see cref="Utf8JsonWriter"/> writes for the
/// same members with the same encoder: the library is the reference, the hand-written writer only its faster twin.
/// </summary>
public class TractorRowWriterTests
{
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String,
        Gen.String[Gen.Char.AlphaNumeric, 0, 20],
        // What needs escaping or is easy to get wrong: quotes, backslashes, controls, markup, '+', accents, emoji, lone surrogates.
        Gen.Select(Gen.Const("\"\\\n\t\u0001\u001f<>&'+é日本\U0001F600\ud800\udc00"), Gen.Int[0, 6], Gen.Int[1, 10])
            .Select((chars, start, length) => chars.Substring(Math.Min(start, chars.Length - 1), Math.Min(length, chars.Length - Math.Min(start, chars.Length - 1)))),
        Gen.Const("\ud800"), Gen.Const("a\udc00b"));

    private static readonly Gen<QueryValue> Value = Gen.OneOf(
        Gen.Long.Select(QueryValue.From),
        Gen.Double.Select(QueryValue.From),
        Gen.OneOf(Gen.Const(double.NaN), Gen.Const(double.PositiveInfinity), Gen.Const(-0.0), Gen.Const(1e300), Gen.Const(5e-324), Gen.Const(0.1)).Select(QueryValue.From),
        Gen.Int[-1000, 1000].Select(i => QueryValue.From(i / 8.0)),
        Text.Select(QueryValue.From),
        Gen.Bool.Select(QueryValue.From),
        Gen.Long[DateTimeOffset.UnixEpoch.UtcTicks, new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks]
            .Select(t => QueryValue.From(new DateTimeOffset(t, TimeSpan.Zero))),
        Text.List[0, 4].Select(l => QueryValue.From((IReadOnlyList<string>)l)),
        Gen.Long.List[0, 4].Select(l => QueryValue.From((IReadOnlyList<long>)l)),
        Gen.Const(QueryValue.Null));

    [Fact]
    public void RowsAreWhatUtf8JsonWriterWritesForTheSameMembers() => Check(Value.Array[1, 6].Array[0, 4], 5_000);

    // Replies of thousands of rows: the writer hands its output on in blocks, so rows cross those blocks' edges.
    [Fact]
    public void ManyRows_AreWhatUtf8JsonWriterWrites_AcrossTheWritersBlocks() => Check(Value.Array[1, 6].Array[1_000, 3_000], 10);

    // A value larger than the writer's buffer (a title of 200,000 characters, one that needs escaping, a long list) is
    // written whole, between rows that are not.
    [Fact]
    public void ValuesLargerThanTheWritersBuffer_AreWhatUtf8JsonWriterWrites()
    {
        string[] names = ["jid", "title", "ids"];
        var rows = new QueryValue[][]
        {
            [QueryValue.From(1L), QueryValue.From("short"), QueryValue.From((IReadOnlyList<long>)[1, 2])],
            [QueryValue.From(2L), QueryValue.From(new string('x', 200_000)), QueryValue.From((IReadOnlyList<long>)[.. Enumerable.Range(0, 30_000).Select(i => (long)i * 1_000_003)])],
            [QueryValue.From(3L), QueryValue.From(string.Concat(Enumerable.Repeat("\"\u0001é日", 40_000))), QueryValue.Null],
            [QueryValue.From(4L), QueryValue.From("after"), QueryValue.From((IReadOnlyList<long>)[])],
        };
        var expected = Reference(names, rows, TimeZoneInfo.Utc, out var error);
        Assert.Null(error);
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new TractorRowWriter(buffer, names, TimeZoneInfo.Utc);
        foreach (var row in rows)
            writer.Row(row);
        writer.Flush();
        Assert.Equal(buffer.WrittenCount, writer.Written);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // An output whose memory is not an array (a MemoryManager's, as native memory would be): the writer goes through a
    // scratch array and copies each block on, and the bytes are the same.
    [Fact]
    public void AnOutputWhoseMemoryIsNotAnArray_GetsTheSameBytes()
    {
        string[] names = ["jid", "title", "spooltime"];
        var rows = Enumerable.Range(0, 3_000).Select(i => new[]
        {
            QueryValue.From((long)i), QueryValue.From(i % 7 == 0 ? "needs \"escaping\"" : new string('t', i % 300)),
            QueryValue.From(DateTimeOffset.UnixEpoch.AddSeconds(1_800_000_000 + i * 13L)),
        }).ToArray();
        var expected = Reference(names, rows, TimeZoneInfo.Utc, out var error);
        Assert.Null(error);
        var output = new NotAnArrayWriter();
        using (var writer = new TractorRowWriter(output, names, TimeZoneInfo.Utc))
        {
            foreach (var row in rows)
                writer.Row(row);
            writer.Flush();
            Assert.Equal(output.Written.Count, writer.Written);
        }
        Assert.True(output.Blocks > 1, "the rows span more than one block");
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString([.. output.Written]));
    }

    // Hands out memory that MemoryMarshal.TryGetArray cannot see through, and keeps what is advanced past.
    private sealed class NotAnArrayWriter : IBufferWriter<byte>
    {
        private Block? _block;
        public List<byte> Written { get; } = [];
        public int Blocks { get; private set; }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Blocks++;
            _block = new Block(Math.Max(sizeHint, 4096));
            return _block.Memory;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public void Advance(int count) => Written.AddRange(_block!.Bytes.AsSpan(0, count).ToArray());

        private sealed class Block(int size) : MemoryManager<byte>
        {
            public byte[] Bytes { get; } = new byte[size];
            public override Span<byte> GetSpan() => Bytes;
            public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
            public override void Unpin() { }
            protected override void Dispose(bool disposing) { }
        }
    }

    private static void Check(Gen<QueryValue[][]> rowsGen, long iterations)
    {
        var zones = new[] { TimeZoneInfo.Utc, TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"), TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata") };
        Gen.Select(Text.Array[1, 6], rowsGen, Gen.Int[0, zones.Length - 1]).Sample((names, rows, zoneIndex) =>
        {
            var zone = zones[zoneIndex];
            var width = names.Length;
            rows = [.. rows.Select(r => Enumerable.Range(0, width).Select(i => r[i % r.Length]).ToArray())];
            var expected = Reference(names, rows, zone, out var expectedError);
            string actual;
            try
            {
                var buffer = new ArrayBufferWriter<byte>();
                using var writer = new TractorRowWriter(buffer, names, zone);
                foreach (var row in rows)
                    writer.Row(row);
                writer.Flush();
                Assert.Equal(buffer.WrittenCount, writer.Written);
                actual = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            }
            catch (ArgumentException error)
            {
                // Text the library will not write (a lone surrogate) is refused as the library refuses it.
                Assert.True(expectedError is not null, $"the writer refused what the library writes: {error.Message}\nexpected {expected}");
                return;
            }
            Assert.True(expectedError is null, $"the writer wrote what the library refuses ({expectedError?.Message}): {actual}");
            Assert.Equal(expected, actual);
        }, iter: iterations);
    }

    [Fact]
    public void ATractorShapedReply_ParsesAsJson_WithEveryMemberAsAsked()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new TractorRowWriter(buffer, ["jid", "title", "crews", "spooltime", "score"], TimeZoneInfo.Utc);
        writer.Raw(ColumnTableReply.TractorHead);
        writer.Row([QueryValue.From(7L), QueryValue.From("say \"hi\"\n"), QueryValue.From((IReadOnlyList<string>)["fx", "lighting"]),
            QueryValue.From(new DateTimeOffset(2026, 12, 2, 4, 54, 34, 339, TimeSpan.Zero)), QueryValue.From(double.NaN)]);
        writer.Row([QueryValue.From(8L), QueryValue.Null, QueryValue.From((IReadOnlyList<string>)[]), QueryValue.Null, QueryValue.From(2.5)]);
        writer.Raw(ColumnTableReply.TractorTail);
        writer.Flush();

        using var reply = JsonDocument.Parse(buffer.WrittenMemory);
        var rows = reply.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(0, reply.RootElement.GetProperty("rc").GetInt32());
        Assert.Equal("say \"hi\"\n", rows[0].GetProperty("title").GetString());
        Assert.Equal("2026-12-02 04:54:34.339+00", rows[0].GetProperty("spooltime").GetString());
        Assert.Equal(["fx", "lighting"], rows[0].GetProperty("crews").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("score").ValueKind);
        Assert.Equal(2.5, rows[1].GetProperty("score").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("title").ValueKind);
    }

    // The rows as Utf8JsonWriter writes each member, name and value, with the encoder Tractor-shaped replies use.
    private static string Reference(string[] names, QueryValue[][] rows, TimeZoneInfo zone, out Exception? error)
    {
        error = null;
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            // The names are encoded once, before any row, as the engine did with Utf8JsonWriter.
            var keys = names.Select(n => JsonEncodedText.Encode(n, TractorRowWriter.Encoder)).ToArray();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = TractorRowWriter.Encoder, SkipValidation = true }))
            {
                var first = true;
                foreach (var row in rows)
                {
                    json.Flush();
                    if (!first)
                        buffer.Write(","u8);
                    first = false;
                    json.WriteStartObject();
                    for (var i = 0; i < names.Length; i++)
                        Member(json, keys[i], row[i], zone);
                    json.WriteEndObject();
                    json.Flush();
                    // A fresh writer per row: the rows are written without the array around them.
                    json.Reset(buffer);
                }
            }
        }
        catch (ArgumentException e)
        {
            error = e;
        }
        catch (InvalidOperationException e)
        {
            error = e;
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Member(Utf8JsonWriter json, JsonEncodedText name, QueryValue value, TimeZoneInfo zone)
    {
        switch (value.Kind)
        {
            case QueryValueKind.Int:
                json.WriteNumber(name, value.AsInt);
                break;
            case QueryValueKind.Float when double.IsFinite(value.AsFloat):
                json.WriteNumber(name, value.AsFloat);
                break;
            case QueryValueKind.String:
                json.WriteString(name, value.AsString);
                break;
            case QueryValueKind.Bool:
                json.WriteBoolean(name, value.AsBool);
                break;
            case QueryValueKind.Time:
                json.WriteString(name, TractorTimeText.Format(value.AsTime, zone));
                break;
            case QueryValueKind.StringList:
                json.WriteStartArray(name);
                foreach (var item in value.AsStringList)
                    json.WriteStringValue(item);
                json.WriteEndArray();
                break;
            case QueryValueKind.IntList:
                json.WriteStartArray(name);
                foreach (var item in value.AsIntList)
                    json.WriteNumberValue(item);
                json.WriteEndArray();
                break;
            default:
                json.WriteNull(name);
                break;
        }
    }
}
