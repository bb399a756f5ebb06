using System.Threading.Channels;

namespace Furrow.Storage.Writing;

/// <summary>
/// The one writer of a store. Callers queue their writes; a single loop takes everything queued, applies it in one
/// transaction and completes every caller once it is committed. If a batch fails, each caller's writes are retried
/// alone so one bad request cannot fail its neighbours.
/// </summary>
internal sealed class BatchedWriter : IAsyncDisposable
{
    private const int MaxBatch = 2000;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly Func<IReadOnlyList<StoreWrite>, CancellationToken, Task> _applyInTransaction;
    private readonly Task _loop;

    // Raised by the writer loop after each transaction it attempts, read by any thread (Interlocked).
    private long _version;

    /// <param name="applyInTransaction">Applies writes in one transaction and commits it; throws if nothing was committed.</param>
    public BatchedWriter(Func<IReadOnlyList<StoreWrite>, CancellationToken, Task> applyInTransaction)
    {
        _applyInTransaction = applyInTransaction;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Rises after every transaction the writer attempted, once its outcome is known and before any of its callers is
    /// told: two equal readings mean nothing was written in between. A failed transaction counts too, since a commit
    /// that failed late may still have taken effect.
    /// </summary>
    public long Version => Interlocked.Read(ref _version);

    public Task CommitAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
            return Task.CompletedTask;
        var pending = new PendingWrite(writes);
        if (!_queue.Writer.TryWrite(pending))
            throw new StoreUnavailableException("the job database is closing") { IsTransient = false };
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>();
        var writes = new List<StoreWrite>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
                writes.AddRange(next.Writes);
            }
            try
            {
                await ApplyAsync(writes).ConfigureAwait(false);
                foreach (var p in batch)
                    p.Completion.TrySetResult();
            }
            catch (Exception batchError) when (batch.Count > 1)
            {
                _ = batchError; // Each request is retried alone below, and reports its own failure.
                foreach (var p in batch)
                    await ApplyAloneAsync(p).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                batch[0].Completion.TrySetException(Wrap(error));
            }
            // Emptied now, not when the next batch comes: while the engine is quiet they would keep the last batch's
            // writes alive, a spooled job's script and comment among them (hundreds of MB after a large spool).
            batch.Clear();
            writes.Clear();
        }
    }

    private async Task ApplyAloneAsync(PendingWrite pending)
    {
        try
        {
            await ApplyAsync(pending.Writes).ConfigureAwait(false);
            pending.Completion.TrySetResult();
        }
        catch (Exception error)
        {
            pending.Completion.TrySetException(Wrap(error));
        }
    }

    private async Task ApplyAsync(IReadOnlyList<StoreWrite> writes)
    {
        try
        {
            await _applyInTransaction(writes, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _version);
        }
    }

    private static Exception Wrap(Exception error) =>
        error as StoreUnavailableException ?? new StoreUnavailableException($"the job database refused the change: {error.Message}", error);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class PendingWrite(IReadOnlyList<StoreWrite> writes)
    {
        public IReadOnlyList<StoreWrite> Writes { get; } = writes;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
