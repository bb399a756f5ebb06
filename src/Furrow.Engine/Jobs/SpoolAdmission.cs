using System.Threading.RateLimiting;
using Furrow.Engine.Site;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Jobs;

/// <summary>
/// Bounds the script bytes the engine reads and parses at once (tractor.config <c>SpoolMaxInFlightBytes</c>). A spool
/// holds memory many times its script's size until its job is committed, so six 50 MB scripts spooled together once took
/// the engine to 4.7 GB. A spool whose bytes do not fit waits its turn, oldest first, for up to <c>SpoolQueueWaitSecs</c>,
/// before its body is read; then it is refused with 503, and nothing of it was kept. A script larger than the whole
/// budget (allowed up to <c>ScriptMaxBytes</c>) waits until it is alone.
/// </summary>
internal sealed class SpoolAdmission : IAsyncDisposable
{
    // Permits count kilobytes: the limiter's permit counts are ints.
    private const long PermitBytes = 1024;
    private readonly ConcurrencyLimiter _limiter;
    private readonly int _permits;

    public SpoolAdmission(IOptions<EngineOptions> options)
    {
        MaxInFlightBytes = options.Value.SpoolMaxInFlightBytes;
        QueueWait = options.Value.SpoolQueueWait;
        _permits = (int)Math.Clamp(MaxInFlightBytes / PermitBytes, 1, int.MaxValue);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _permits,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public long MaxInFlightBytes { get; }

    public TimeSpan QueueWait { get; }

    /// <summary>
    /// A script at least this large (bytes) counts towards <see cref="LargeScriptBytesAdmitted"/>. Its text, and the
    /// arrays its parse builds, land on the large object heap, which only a full collection frees, so a few such spools
    /// grow the heap by hundreds of megabytes. The garbage of smaller scripts is freed by the young-generation collections
    /// that spooling itself causes, and counting it made a site spooling many small jobs pay a full collection's pause
    /// (over a second with a million tasks held) for every 64 MB of them.
    /// </summary>
    public const long LargeScriptBytes = 1L << 20;

    private long _largeScriptBytesAdmitted;

    /// <summary>Bytes of scripts of at least <see cref="LargeScriptBytes"/> admitted since the engine started (what memory
    /// spools have cost beyond what ordinary collections give back, for <c>MemoryReturner</c>).</summary>
    public long LargeScriptBytesAdmitted => Interlocked.Read(ref _largeScriptBytesAdmitted);

    /// <summary>Whether no spool holds room right now.</summary>
    public bool Idle => _limiter.GetStatistics() is { } stats && stats.CurrentAvailablePermits == _permits && stats.CurrentQueuedCount == 0;

    /// <summary>
    /// Waits until <paramref name="bytes"/> of script may be read (at most <see cref="QueueWait"/>); null when the wait ran
    /// out. Dispose the lease once the job is committed or refused. Throws <see cref="OperationCanceledException"/> when
    /// the caller goes away.
    /// </summary>
    public async Task<RateLimitLease?> EnterAsync(long bytes, CancellationToken cancellationToken)
    {
        var permits = (int)Math.Clamp((bytes + PermitBytes - 1) / PermitBytes, 1, _permits);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(QueueWait);
        try
        {
            var lease = await _limiter.AcquireAsync(permits, wait.Token).ConfigureAwait(false);
            if (lease.IsAcquired)
            {
                if (bytes >= LargeScriptBytes)
                    Interlocked.Add(ref _largeScriptBytesAdmitted, bytes);
                return lease;
            }
            lease.Dispose();
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
