using System.Threading.Channels;

namespace Furrow.Engine.Events;

/// <summary>
/// One open event stream's queue: bounded, so a client that reads too slowly costs at most <see cref="Capacity"/> events.
/// When it is full its backlog is dropped and the client is sent a reset (reload everything) in its place; the farm never
/// waits for it.
/// </summary>
internal sealed class EventSubscriber(Core.Access.JobScope? scope)
{
    /// <summary>Events a stream may have waiting before its backlog is dropped for a reset.</summary>
    public const int Capacity = 2_000;

    private readonly Lock _gate = new();
    private readonly Queue<FarmEvent> _queue = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long? _droppedUpTo;

    // A reconnect's replay may be longer than Capacity (up to what the feed keeps): it is let in whole, and the cap
    // holds again once the client has taken it.
    private int _limit = Capacity;

    /// <summary>The jobs its caller may see (crews.config's RestrictedViewLogins), or null for every job.</summary>
    public Core.Access.JobScope? Scope { get; } = scope;

    /// <summary>Queues a kept event for a reconnect, before any live one: never dropped.</summary>
    public void Replay(FarmEvent farmEvent)
    {
        lock (_gate)
        {
            _queue.Enqueue(farmEvent);
            _limit = Math.Max(_limit, _queue.Count + Capacity);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Queues an event; called under the feed's lock, so it only ever takes its own short one.</summary>
    public void Offer(FarmEvent farmEvent)
    {
        lock (_gate)
        {
            if (_queue.Count >= _limit || _droppedUpTo is not null)
            {
                _queue.Clear();
                _droppedUpTo = farmEvent.Seq;
            }
            else
            {
                _queue.Enqueue(farmEvent);
            }
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for events and takes all that are queued; a backlog that overflowed comes out as
    /// one reset. Null when the wait ran out; empty when what woke it was taken already.
    /// </summary>
    public async Task<List<FarmEvent>?> TakeAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            await _wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        lock (_gate)
        {
            var taken = new List<FarmEvent>(_queue.Count + 1);
            if (_droppedUpTo is { } dropped)
            {
                taken.Add(new FarmEvent(dropped, FarmEvent.Reset, "{}", []));
                _droppedUpTo = null;
            }
            taken.AddRange(_queue);
            _queue.Clear();
            _limit = Capacity;
            return taken;
        }
    }
}
