using System.Diagnostics;
using Furrow.Core.Query;
using Furrow.Engine.Api;
using Microsoft.AspNetCore.Http;

namespace Furrow.Bench;

/// <summary>
/// What writing a column query's reply costs the engine (<c>rows</c>), in process and without an engine, so the figure is
/// not lost in a whole request's noise: <c>--rows</c> job rows of the query bench's columns (jid, owner, priority,
/// state, numdone, numtasks, spooltime, title) written by <see cref="ColumnTableReply"/> in the native shape (arrays,
/// sent to a response that discards it) and in Tractor's (keyed rows, handed over as the Tractor face takes them).
/// Reports each one's best p50 over <c>--rounds</c> rounds of 30 (the rounds alternate), their bytes, and the Tractor
/// shape's added time: the engine-side share of the query bench's <c>_tractor_added_ms</c> (issue 17's target: under 1 ms).
/// </summary>
internal static class RowsScenario
{
    private static readonly (string Name, QueryColumnType Type)[] Columns =
    [
        ("jid", QueryColumnType.Int), ("owner", QueryColumnType.String), ("priority", QueryColumnType.Float),
        ("state", QueryColumnType.String), ("numdone", QueryColumnType.Int), ("numtasks", QueryColumnType.Int),
        ("spooltime", QueryColumnType.Time), ("title", QueryColumnType.String),
    ];

    public static async Task<Dictionary<string, object>> RunAsync(int rows, int rounds)
    {
        if (rows < 1 || rounds < 1)
            throw new ArgumentException("rows needs --rows and --rounds of 1 or more");
        var now = DateTimeOffset.UtcNow;
        var values = Enumerable.Range(0, rows).Select(i => new[]
        {
            QueryValue.From(100_000L + i), QueryValue.From($"user{i % 20:D2}"), QueryValue.From((double)(i % 100)),
            QueryValue.From("ready"), QueryValue.From((long)(i % 10)), QueryValue.From(10L),
            QueryValue.From(now.AddSeconds(-7 * i).AddMilliseconds(i % 1000)), QueryValue.From($"shot{i % 10_000:D4} comp render"),
        }).ToArray();
        var best = new Dictionary<string, double> { ["native"] = double.MaxValue, ["tractor"] = double.MaxValue };
        var bytes = new Dictionary<string, long>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var tractor in new[] { false, true })
            {
                var name = tractor ? "tractor" : "native";
                var times = new List<double>();
                for (var i = 0; i < 35; i++)
                {
                    var watch = Stopwatch.StartNew();
                    var written = await WriteAsync(values, tractor);
                    if (i >= 5) // the first five warm the code
                        times.Add(watch.Elapsed.TotalMilliseconds);
                    bytes[name] = written;
                }
                times.Sort();
                best[name] = Math.Min(best[name], times[times.Count / 2]);
            }
        }
        return new Dictionary<string, object>
        {
            ["scenario"] = "rows",
            ["rows"] = rows,
            ["rounds"] = rounds,
            ["native_p50_ms"] = Math.Round(best["native"], 2),
            ["tractor_p50_ms"] = Math.Round(best["tractor"], 2),
            ["tractor_added_ms"] = Math.Round(best["tractor"] - best["native"], 2),
            ["native_bytes"] = bytes["native"],
            ["tractor_bytes"] = bytes["tractor"],
        };
    }

    // One reply, as the column query endpoint writes it; the bytes it came to.
    private static async Task<long> WriteAsync(QueryValue[][] values, bool tractor)
    {
        using var reply = new ColumnTableReply("jobs", Columns, values.Length, tractor);
        foreach (var row in values)
            reply.Add(row);
        if (tractor)
        {
            using var pages = new TractorRows();
            await reply.HandOverAsync(pages, more: false, CancellationToken.None);
            return pages.Pages[0].Body.Length;
        }
        var context = new DefaultHttpContext();
        var sink = new CountingStream();
        context.Response.Body = sink;
        await reply.SendAsync(context.Response, null, CancellationToken.None);
        await context.Response.BodyWriter.FlushAsync();
        return sink.Length;
    }

    // A response body that keeps only how many bytes it was given.
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
