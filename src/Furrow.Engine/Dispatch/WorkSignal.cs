namespace Furrow.Engine.Dispatch;

/// <summary>
/// Wakes blade long-polls that wait for work, as few as the change calls for:
/// <list type="bullet">
/// <item><see cref="Pulse"/> wakes every waiting poll: new work is ready (a spool, a dependency released, a start time
/// come), or the farm was reloaded.</item>
/// <item><see cref="PulseBlade"/> wakes one blade's poll: a slot of its own came free.</item>
/// <item><see cref="PulseOne"/> hands one unit of something farm-wide that came free (a limit's count, a job's
/// -maxactive place) to the poll that has waited longest. A poll that cannot use it passes it to the next while it is
/// still free (another blade, often the one that gave it back, may have taken it meanwhile), at most once round the
/// queue.</item>
/// </list>
/// Waking every poll for one freed unit made each finished licensed command cost a check of the whole queue per
/// waiting blade, under the farm's lock, which held up every report behind it on a busy farm.
/// </summary>
internal sealed class WorkSignal
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _queue = new();

    /// <summary>Registers a poll of <paramref name="blade"/> about to look for work; any wake after this reaches it.</summary>
    public Waiter Wait(string blade)
    {
        var waiter = new Waiter(blade);
        lock (_gate)
            waiter.Node = _queue.AddLast(waiter);
        return waiter;
    }

    /// <summary>
    /// Takes a poll out of the queue (it got work, or stops waiting). If a unit was handed to it that it did not try, the
    /// unit goes on to the next waiting poll.
    /// </summary>
    public void Forget(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node is { } node)
            {
                _queue.Remove(node);
                waiter.Node = null;
            }
        }
        if (!waiter.Tried)
            HandOn(waiter);
    }

    /// <summary>A woken poll that took nothing: the unit it was handed (if any) goes on to the next waiting poll.</summary>
    public void TookNothing(Waiter waiter)
    {
        waiter.Tried = true;
        HandOn(waiter);
    }

    // The unit a poll was woken with, if any, goes to the next waiting poll.
    private void HandOn(Waiter waiter)
    {
        if (waiter.Woken.IsCompletedSuccessfully && waiter.Woken.Result is > 0 and var hops)
            PassOn(hops - 1, waiter.StillFree);
    }

    public void Pulse()
    {
        List<Waiter> all;
        lock (_gate)
        {
            all = [.. _queue];
            _queue.Clear();
            foreach (var waiter in all)
                waiter.Node = null;
        }
        foreach (var waiter in all)
            waiter.Wake(0, null);
    }

    public void PulseBlade(string blade)
    {
        List<Waiter> own = [];
        lock (_gate)
        {
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (string.Equals(node.Value.Blade, blade, StringComparison.Ordinal))
                {
                    _queue.Remove(node);
                    node.Value.Node = null;
                    own.Add(node.Value);
                }
                node = next;
            }
        }
        foreach (var waiter in own)
            waiter.Wake(0, null);
    }

    /// <param name="stillFree">Whether the unit is still there to be taken; asked before it is passed on.</param>
    public void PulseOne(Func<bool> stillFree)
    {
        int hops;
        lock (_gate)
            hops = _queue.Count;
        PassOn(hops, stillFree, ask: false);
    }

    private void PassOn(int hops, Func<bool>? stillFree, bool ask = true)
    {
        if (hops <= 0 || stillFree is null || (ask && !stillFree()))
            return;
        Waiter? first;
        lock (_gate)
        {
            first = _queue.First?.Value;
            if (first is not null)
            {
                _queue.RemoveFirst();
                first.Node = null;
            }
        }
        first?.Wake(hops, stillFree);
    }

    /// <summary>One poll's place in the queue. <see cref="Woken"/> completes with 0 for a plain wake, or with how many more
    /// polls the unit handed to it may still be passed to.</summary>
    internal sealed class Waiter(string blade)
    {
        private readonly TaskCompletionSource<int> _woken = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Blade { get; } = blade;

        public Task<int> Woken => _woken.Task;

        internal LinkedListNode<Waiter>? Node { get; set; }

        internal bool Tried { get; set; }

        internal Func<bool>? StillFree { get; private set; }

        internal void Wake(int hops, Func<bool>? stillFree)
        {
            // Set before the wake is seen, so whoever reads the result reads this too.
            StillFree = stillFree;
            _woken.TrySetResult(hops);
        }
    }
}
