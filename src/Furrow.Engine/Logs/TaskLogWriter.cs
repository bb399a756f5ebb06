using System.Runtime.InteropServices;
using System.Threading.Channels;
using Furrow.Engine.Farm;
using Microsoft.Win32.SafeHandles;

namespace Furrow.Engine.Logs;

/// <summary>
/// The one writer of task logs, and the first stage of every commit. Callers queue a change's text; a single loop takes
/// everything queued, appends each change's entries in queue order, makes the whole batch durable with one sync (Linux's
/// <c>syncfs</c> on the log directory's file system; an fsync per file elsewhere), then hands each change on to its next
/// stage in the same order. An fsync per file per request cost about ten times as much on ext4 and held a thread-pool
/// thread per request while it waited, which starved the request threads of a busy farm.
/// </summary>
/// <remarks>
/// A change whose text cannot be written (disk full, permissions) fails, and so do the changes queued after it in its
/// batch; a failed sync fails every change it covered. Nothing is retried, so no byte is written twice.
/// </remarks>
internal sealed partial class TaskLogWriter : IAsyncDisposable
{
    // Each file of a batch stays open until the batch is synced; this bounds the descriptors one batch holds.
    private const int MaxFilesPerBatch = 256;

    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly TaskLogStore _store;
    private readonly Task _loop;

    public TaskLogWriter(TaskLogStore store)
    {
        _store = store;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues <paramref name="entries"/> (possibly none) behind everything queued before. Once they are on disk, the
    /// writer's loop calls <paramref name="then"/> with where each invocation's output begins (per iid whose header was
    /// written), one queued change at a time in queue order, so a next stage it starts (a database commit) is queued in
    /// the same order. The returned task completes with <paramref name="then"/>'s task; it throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the text could not be written or
    /// synced, and so does every change queued after a failed one in the same batch, since it was decided on top of it.
    /// </summary>
    public Task<Task> AppendThenAsync(IReadOnlyList<LogAppend> entries, Func<Dictionary<long, long>, Task> then)
    {
        var pending = new PendingAppend(entries, then);
        if (!_queue.Writer.TryWrite(pending))
            throw new IOException("the task log writer is closing");
        return pending.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAppend>();
        var files = new Dictionary<string, TaskLogFile>(StringComparer.Ordinal);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var paths = new HashSet<string>(StringComparer.Ordinal);
            while (paths.Count < MaxFilesPerBatch && _queue.Reader.TryRead(out var next))
            {
                next.Paths = [.. next.Entries.Select(e => _store.PathOf(e.Owner, e.Jid, e.Tid)).Distinct(StringComparer.Ordinal)];
                paths.UnionWith(next.Paths);
                batch.Add(next);
            }
            try
            {
                WriteAndSync(batch, files);
            }
            finally
            {
                foreach (var file in files.Values)
                    file.Dispose();
                files.Clear();
            }
        }
    }

    private void WriteAndSync(List<PendingAppend> batch, Dictionary<string, TaskLogFile> files)
    {
        foreach (var pending in batch)
        {
            try
            {
                pending.OutputStarts = _store.Write(pending.Entries, files);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                pending.Failure = error;
            }
        }
        var unsynced = Sync(files);
        Exception? earlier = null;
        foreach (var pending in batch)
        {
            earlier ??= pending.Failure ?? pending.Paths.Select(p => unsynced.GetValueOrDefault(p)).FirstOrDefault(e => e is not null);
            if (earlier is not null)
            {
                pending.Completion.TrySetException(earlier);
                continue;
            }
            try
            {
                pending.Completion.TrySetResult(pending.Then(pending.OutputStarts ?? []));
            }
            catch (Exception error)
            {
                pending.Completion.TrySetException(error);
            }
        }
    }

    // Returns, per file whose text may not be on disk, why.
    private static Dictionary<string, Exception?> Sync(Dictionary<string, TaskLogFile> files)
    {
        var unsynced = new Dictionary<string, Exception?>(StringComparer.Ordinal);
        if (files.Count == 0)
            return unsynced;
        if (OperatingSystem.IsLinux())
        {
            // All the log files live under one directory, so one syncfs covers them.
            if (SyncFileSystem(files.Values.First().Handle) == 0)
                return unsynced;
            var failure = new IOException($"could not sync the task logs to disk: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            foreach (var path in files.Keys)
                unsynced[path] = failure;
            return unsynced;
        }
        foreach (var (path, file) in files)
        {
            try
            {
                // The stream takes the handle over and closes it; the file's own dispose then does nothing.
                using var stream = new FileStream(file.Handle, FileAccess.Write, bufferSize: 0);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException error)
            {
                unsynced[path] = error;
            }
        }
        return unsynced;
    }

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFileSystem(SafeFileHandle fd);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class PendingAppend(IReadOnlyList<LogAppend> entries, Func<Dictionary<long, long>, Task> then)
    {
        public IReadOnlyList<LogAppend> Entries { get; } = entries;

        public Func<Dictionary<long, long>, Task> Then { get; } = then;

        public string[] Paths { get; set; } = [];

        public Dictionary<long, long>? OutputStarts { get; set; }

        public Exception? Failure { get; set; }

        public TaskCompletionSource<Task> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
