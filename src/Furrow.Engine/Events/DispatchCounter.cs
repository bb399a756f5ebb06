using Furrow.Storage;

namespace Furrow.Engine.Events;

/// <summary>
/// Dispatches a minute over the last hour, for the farm summary: counted in memory as invocations are committed, and
/// seeded once from the job database with those dispatched in the hour before this engine process began counting, so
/// the figures hold across a restart without reading every invocation on each call.
/// </summary>
internal sealed class DispatchCounter(IJobStore store, TimeProvider clock)
{
    /// <summary>Minutes reported, the current one last.</summary>
    public const int Minutes = 60;

    private const long MinuteMs = 60_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _byMinute = [];
    private readonly long _countingSinceMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
    private readonly SemaphoreSlim _seeding = new(1, 1);
    private bool _seeded;

    /// <summary>Counts one invocation dispatched at <paramref name="dispatchMs"/> (Unix ms), once it is committed.</summary>
    public void Count(long dispatchMs)
    {
        lock (_gate)
        {
            var minute = dispatchMs / MinuteMs;
            _byMinute[minute] = _byMinute.GetValueOrDefault(minute) + 1;
            // Whatever is more than an hour old is never asked for again.
            if (_byMinute.Count > Minutes + 5)
                foreach (var old in _byMinute.Keys.Where(m => m < minute - Minutes).ToList())
                    _byMinute.Remove(old);
        }
    }

    /// <summary>Dispatches in each of the last <see cref="Minutes"/> minutes up to <paramref name="nowMs"/>, oldest first.</summary>
    public async Task<int[]> LastHourAsync(long nowMs, CancellationToken cancellationToken)
    {
        await SeedAsync(cancellationToken).ConfigureAwait(false);
        var current = nowMs / MinuteMs;
        var counts = new int[Minutes];
        lock (_gate)
        {
            for (var i = 0; i < Minutes; i++)
                counts[i] = _byMinute.GetValueOrDefault(current - (Minutes - 1) + i);
        }
        return counts;
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _seeded))
            return;
        await _seeding.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_seeded)
                return;
            // Only dispatches from before counting began: those after it were counted as they were committed.
            var times = await store.DispatchTimesAsync(_countingSinceMs - Minutes * MinuteMs, _countingSinceMs, cancellationToken).ConfigureAwait(false);
            foreach (var time in times)
                Count(time);
            Volatile.Write(ref _seeded, true);
        }
        finally
        {
            _seeding.Release();
        }
    }
}
