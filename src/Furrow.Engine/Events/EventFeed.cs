using System.Globalization;
using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Events;

/// <summary>
/// The engine's live event stream: events get their sequence number here, in the order their changes were decided, and
/// only once those changes are durable; the last <see cref="Kept"/> are kept for clients that reconnect, and each open
/// stream (<see cref="EventSubscriber"/>) is handed them without ever waiting for it.
/// </summary>
/// <remarks>
/// A change takes a ticket when it is queued for commit (<see cref="Reserve"/>) and hands in its events once it is
/// committed (<see cref="Complete"/>); events are let out in ticket order, so a commit that finishes early waits for
/// those decided before it. Nothing here waits on a socket or on the farm's lock.
/// </remarks>
internal sealed class EventFeed(DispatchCounter dispatches)
{
    /// <summary>How many events are kept for replay after a reconnect.</summary>
    public const int Kept = 10_000;

    /// <summary>At most this many streams are open at once; more are refused (503) rather than let grow without bound.</summary>
    public const int MaxSubscribers = 1_000;

    private readonly Lock _gate = new();
    private readonly FarmEvent?[] _ring = new FarmEvent?[Kept];
    private readonly Dictionary<long, List<PendingEvent>> _finished = [];
    private readonly HashSet<EventSubscriber> _subscribers = [];
    private long _seq;
    private long _nextTicket;
    private long _nextToPublish;

    /// <summary>Random per engine process: an event id of another process's stream cannot be replayed here.</summary>
    public string Boot { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    /// <summary>The id of the event with sequence number <paramref name="seq"/>.</summary>
    public string IdOf(long seq) => $"{Boot}-{seq.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Takes the next place in commit order, for a change just queued for commit.</summary>
    public long Reserve()
    {
        lock (_gate)
            return _nextTicket++;
    }

    /// <summary>
    /// Hands in what a committed change wrote; its events go out once every change before it has been handed in too.
    /// A change that failed to commit hands in nothing but a reset: the farm is reloaded from the database, and what
    /// clients were shown may no longer hold.
    /// </summary>
    public void Complete(long ticket, IReadOnlyList<StoreWrite> writes, IReadOnlyList<LogAppend> logs, bool committed)
    {
        List<PendingEvent> events;
        if (committed)
        {
            events = ChangeEvents.Describe(writes, logs);
            foreach (var write in writes)
                if (write is InsertInvocation invocation)
                    dispatches.Count(invocation.DispatchTimeMs);
        }
        else
        {
            events = [new PendingEvent(FarmEvent.Reset, "{}", [])];
        }
        Complete(ticket, events);
    }

    /// <summary>Publishes events that follow no commit of the farm's (a blade's live figures, a config reload), after those queued before them.</summary>
    public void Publish(params IReadOnlyList<PendingEvent> events) => Complete(Reserve(), [.. events]);

    /// <summary>Publishes what a write committed outside the farm's queue described (a spool's job rows, an undelete, a purge).</summary>
    public void PublishCommitted(IReadOnlyList<StoreWrite> writes) => Complete(Reserve(), writes, [], committed: true);

    private void Complete(long ticket, List<PendingEvent> events)
    {
        lock (_gate)
        {
            _finished[ticket] = events;
            while (_finished.Remove(_nextToPublish, out var ready))
            {
                _nextToPublish++;
                foreach (var pending in ready)
                {
                    var farmEvent = new FarmEvent(++_seq, pending.Type, pending.Data, pending.Jids);
                    _ring[farmEvent.Seq % Kept] = farmEvent;
                    foreach (var subscriber in _subscribers)
                        subscriber.Offer(farmEvent);
                }
            }
        }
    }

    /// <summary>
    /// Opens a stream. With <paramref name="lastEventId"/> (a reconnect) the kept events after it are its first ones, or a
    /// reset when they are not all kept or the id is another engine process's; without one it starts with what comes
    /// next. Null when <see cref="MaxSubscribers"/> are open.
    /// </summary>
    public EventSubscriber? Subscribe(string? lastEventId, Core.Access.JobScope? scope)
    {
        lock (_gate)
        {
            if (_subscribers.Count >= MaxSubscribers)
                return null;
            var subscriber = new EventSubscriber(scope);
            if (!string.IsNullOrEmpty(lastEventId))
            {
                if (Replayable(lastEventId) is { } after)
                {
                    for (var seq = after + 1; seq <= _seq; seq++)
                        subscriber.Replay(_ring[seq % Kept]!);
                }
                else
                {
                    subscriber.Offer(new FarmEvent(_seq, FarmEvent.Reset, "{}", []));
                }
            }
            _subscribers.Add(subscriber);
            return subscriber;
        }
    }

    /// <summary>Closes a stream: it is handed nothing more.</summary>
    public void Unsubscribe(EventSubscriber subscriber)
    {
        lock (_gate)
            _subscribers.Remove(subscriber);
    }

    // The sequence number after which the kept events continue what the client saw, or null when they cannot.
    private long? Replayable(string lastEventId)
    {
        var dash = lastEventId.LastIndexOf('-');
        if (dash <= 0 || !lastEventId.AsSpan(0, dash).SequenceEqual(Boot)
            || !long.TryParse(lastEventId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            return null;
        var oldestKept = Math.Max(1, _seq - Kept + 1);
        return seq <= _seq && seq >= oldestKept - 1 ? seq : null;
    }
}
