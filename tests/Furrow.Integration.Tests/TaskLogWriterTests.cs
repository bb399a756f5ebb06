using System.Collections.Concurrent;
using System.Text;
using Furrow.Engine.Farm;
using Furrow.Engine.Logs;

namespace Furrow.Integration.Tests;

/// <summary>
/// The engine's task log writer on the real file system: the first stage of every commit, so what it hands on must
/// leave in the order it came in, and a change whose text cannot be written must not be handed on.
/// </summary>
public sealed class TaskLogWriterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "furrow-logwriter-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ChangesFromManyThreads_AreWrittenAndHandedOnInTheOrderTheyWereQueued_WithEachHeadersOutputStart()
    {
        var store = new TaskLogStore(_root);
        await using var writer = new TaskLogWriter(store);
        var handedOn = new ConcurrentQueue<int>();
        var queued = new List<(int N, Task<Task> Stored)>();
        var expected = new Dictionary<int, StringBuilder> { [1] = new(), [2] = new(), [3] = new() };
        var headerEnds = new Dictionary<long, long>();
        var reported = new ConcurrentDictionary<long, long>();
        var gate = new object();
        // Many threads queue at once; the order they got into the queue is the order recorded under the gate.
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 }, (n, _) =>
        {
            var tid = n % 3 + 1;
            var header = n % 5 == 0;
            var text = header ? $"==== header of iid {n} ====\n" : $"line {n}\n";
            lock (gate)
            {
                var stored = writer.AppendThenAsync([new LogAppend("tester", 7, tid, n, text, header)], starts =>
                {
                    handedOn.Enqueue(n);
                    foreach (var (iid, at) in starts)
                        reported[iid] = at;
                    return Task.CompletedTask;
                });
                queued.Add((n, stored));
                expected[tid].Append(text);
                if (header)
                    headerEnds[n] = Encoding.UTF8.GetByteCount(expected[tid].ToString());
            }
            return ValueTask.CompletedTask;
        });
        foreach (var (_, stored) in queued)
            await await stored;

        Assert.Equal(queued.Select(q => q.N), handedOn);
        foreach (var (tid, text) in expected)
            Assert.Equal(text.ToString(), await File.ReadAllTextAsync(store.PathOf("tester", 7, tid)));
        Assert.Equal(headerEnds.OrderBy(h => h.Key), reported.OrderBy(r => r.Key));
    }

    [Fact]
    public async Task ALogWhosePathCannotBeOpened_GoesAside_SoTheChangeIsHandedOn_AndOnlyWhenThatFailsTooIsItRefused()
    {
        var store = new TaskLogStore(_root);
        await using var writer = new TaskLogWriter(store);
        // A file where the owner's directory should be: no task log can be made under it.
        Directory.CreateDirectory(_root);
        await File.WriteAllTextAsync(Path.Combine(_root, "blocked"), "not a directory");
        var handedOn = 0;
        Task HandOn(Dictionary<long, long> _)
        {
            Interlocked.Increment(ref handedOn);
            return Task.CompletedTask;
        }

        // Its bytes go aside, with its neighbours' in the same change written where they belong.
        await await writer.AppendThenAsync([new LogAppend("blocked", 1, 1, 1, "first\n", false), new LogAppend("tester", 1, 2, 2, "kept\n", false)], HandOn);
        await await writer.AppendThenAsync([new LogAppend("blocked", 1, 1, 1, "second\n", false)], HandOn);
        Assert.Equal(2, handedOn);
        Assert.Equal("first\nsecond\n", await File.ReadAllTextAsync(store.AsidePathOf(1, 1)));
        Assert.Equal("kept\n", await File.ReadAllTextAsync(store.PathOf("tester", 1, 2)));

        // With nowhere left to put them (the aside directory is a file too), the change fails with both reasons and is
        // not handed on; the writer goes on with the next.
        File.Delete(store.AsidePathOf(1, 1));
        Directory.Delete(Path.Combine(_root, TaskLogStore.UnwritableDirectory));
        await File.WriteAllTextAsync(Path.Combine(_root, TaskLogStore.UnwritableDirectory), "not a directory");
        var refused = writer.AppendThenAsync([new LogAppend("blocked", 1, 1, 1, "lost?\n", false)], HandOn);
        var error = await Assert.ThrowsAnyAsync<IOException>(() => refused);
        Assert.Contains(store.PathOf("blocked", 1, 1), error.Message);
        Assert.Contains(store.AsidePathOf(1, 1), error.Message);
        Assert.Equal(2, handedOn);
        await await writer.AppendThenAsync([new LogAppend("tester", 1, 2, 3, "still kept\n", false)], HandOn);
        Assert.Equal(3, handedOn);
        Assert.Equal("kept\nstill kept\n", await File.ReadAllTextAsync(store.PathOf("tester", 1, 2)));
    }

    [Fact]
    public async Task AChangeWithNoText_IsStillHandedOnInItsTurn()
    {
        var store = new TaskLogStore(_root);
        await using var writer = new TaskLogWriter(store);
        var order = new ConcurrentQueue<string>();
        var first = writer.AppendThenAsync([new LogAppend("tester", 2, 1, 1, "text\n", false)], _ => { order.Enqueue("text"); return Task.CompletedTask; });
        var second = writer.AppendThenAsync([], _ => { order.Enqueue("none"); return Task.CompletedTask; });
        await await first;
        await await second;
        Assert.Equal(["text", "none"], order);
    }
}
