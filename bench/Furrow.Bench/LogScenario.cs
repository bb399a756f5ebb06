using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// Output streaming: <c>--blades</c> simulated blades (one slot each, speaking the blade protocol over HTTP) run
/// commands that each print <c>--mb-per-task</c> MB, in 8 KB chunks sent in reports of up to 64 chunks, until
/// <c>--total-mb</c> MB have been acknowledged by the engine. The bytes are not all text: every chunk carries the
/// Latin-1 and cp1251 bytes a renderer may print, so they must arrive exactly. Prints MB/s acknowledged, the engine's
/// peak RSS, and whether the task logs on disk hold every byte.
/// </summary>
internal static class LogScenario
{
    private const int ChunkBytes = 8 * 1024;
    private const int ChunksPerReport = 64;

    public static async Task<Dictionary<string, object>> RunAsync(int blades, int totalMb, int mbPerTask)
    {
        await using var engine = await BenchEngine.StartAsync();
        var tasks = Math.Max(1, totalMb / mbPerTask);
        var reply = await engine.Client.SpoolAsync(Jobs.Flat(tasks, "render"), new SpoolOptions("bench", "logs.alf"));
        if (reply.Rc != 0)
            throw new InvalidOperationException($"spool refused: {reply.Msg}");
        var chunk = Chunk();
        var chunksPerTask = (int)((long)mbPerTask * 1024 * 1024 / ChunkBytes);
        var remaining = tasks;
        long acknowledged = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, blades).Select(i => BladeAsync(engine, $"log{i:D3}", chunk, chunksPerTask,
            () => Interlocked.Decrement(ref remaining) >= 0, bytes => Interlocked.Add(ref acknowledged, bytes))));
        var seconds = watch.Elapsed.TotalSeconds;
        var peakRss = engine.PeakRssMb();

        var logs = Directory.EnumerateFiles(Path.Combine(engine.Root, "data", "logs"), "T*.log", SearchOption.AllDirectories).ToList();
        var exact = logs.Count == tasks && logs.All(path => HoldsExactly(path, chunk, chunksPerTask));
        return new Dictionary<string, object>
        {
            ["scenario"] = "logs",
            ["blades"] = blades,
            ["tasks"] = tasks,
            ["mb_acknowledged"] = Math.Round(acknowledged / 1048576.0, 1),
            ["seconds"] = Math.Round(seconds, 2),
            ["mb_per_s"] = Math.Round(acknowledged / 1048576.0 / seconds, 1),
            ["engine_peak_rss_mb"] = Math.Round(peakRss, 1),
            ["logs_exact"] = exact,
        };
    }

    // A chunk of printable text with a Latin-1 "café" and a cp1251 "привет" in it, ending in a line break.
    private static byte[] Chunk()
    {
        byte[] line = [.. "frame 0001: "u8, 0x63, 0x61, 0x66, 0xE9, (byte)' ', 0xEF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, .. " rendering tile\n"u8];
        var chunk = new byte[ChunkBytes];
        for (var i = 0; i < chunk.Length; i++)
            chunk[i] = line[i % line.Length];
        chunk[^1] = (byte)'\n';
        return chunk;
    }

    // The log: a header line, the chunks exactly, then the exit line.
    private static bool HoldsExactly(string path, byte[] chunk, int chunks)
    {
        var bytes = File.ReadAllBytes(path);
        var start = Array.IndexOf(bytes, (byte)'\n') + 1;
        for (var i = 0; i < chunks; i++)
            if (!bytes.AsSpan(start + i * chunk.Length, chunk.Length).SequenceEqual(chunk))
                return false;
        return bytes.AsSpan(start + chunks * chunk.Length).StartsWith("====[exit code 0]===="u8);
    }

    private static async Task BladeAsync(BenchEngine engine, string name, byte[] chunk, int chunksPerTask, Func<bool> takeTask, Action<long> acked)
    {
        using var client = engine.BladeClient();
        var boot = Guid.NewGuid().ToString("N");
        await client.RegisterBladeAsync(new BladeRegistration(name, "bench-host", 1, "bench", boot, Environment.ProcessId));
        long seq = 0;
        while (takeTask())
        {
            Assignment? assignment = null;
            while (assignment is null)
                assignment = (await client.PollWorkAsync(name, new WorkRequest(boot, 1, 1000))).Assignments.FirstOrDefault();
            var iid = assignment.Iid;
            var events = new List<InvocationEvent> { new(++seq, iid, InvocationEventTypes.Started, Now(), Pid: 1) };
            long offset = 0;
            for (var sent = 0; sent < chunksPerTask;)
            {
                for (; sent < chunksPerTask && events.Count < ChunksPerReport; sent++, offset += chunk.Length)
                    events.Add(new InvocationEvent(++seq, iid, InvocationEventTypes.Output, Now(), Offset: offset, Data: chunk));
                if (sent == chunksPerTask)
                    events.Add(new InvocationEvent(++seq, iid, InvocationEventTypes.Exited, Now(), ExitCode: 0));
                var reply = await client.ReportAsync(name, new BladeReport(boot, events, sent == chunksPerTask ? [] : [iid], 0, SentMs: Now()));
                if (reply.AckedSeq != seq)
                    throw new InvalidOperationException($"blade {name}: the engine acknowledged {reply.AckedSeq} of {seq}");
                acked(events.Count(e => e.Type == InvocationEventTypes.Output) * (long)chunk.Length);
                events.Clear();
            }
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
