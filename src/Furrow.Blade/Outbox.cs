using Furrow.Client.Protocol;

namespace Furrow.Blade;

/// <summary>
/// Events the engine has not acknowledged yet, in order. They stay here while the engine is away and are resent
/// until acknowledged, so a start, a line of output or an exit code is never lost to an engine restart. Results
/// (exits, failures, interruptions) also go to the journal, so they outlive the blade process until acknowledged.
/// Written by command runners, read and trimmed by the reporter; all access under one lock.
/// </summary>
internal sealed class Outbox(BladeJournal journal)
{
    private readonly object _gate = new();
    private readonly List<InvocationEvent> _pending = [];
    private long _seq;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next acknowledgement.</summary>
    public Task Acknowledged
    {
        get
        {
            lock (_gate)
                return _acknowledged.Task;
        }
    }

    /// <summary>Completes when something is added after the last call to <see cref="Take"/>.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
                return _changed.Task;
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
                return _pending.Count;
        }
    }

    public void Add(Func<long, InvocationEvent> make)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            var ev = make(++_seq);
            // Under the lock, so an acknowledgement cannot forget a result before the journal has it.
            if (IsResult(ev))
                journal.AddResult(ev);
            _pending.Add(ev);
            changed = _changed;
        }
        changed.TrySetResult();
    }

    public List<InvocationEvent> Take(int max)
    {
        lock (_gate)
        {
            if (_changed.Task.IsCompleted)
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return _pending.Take(max).ToList();
        }
    }

    /// <summary>Invocations with events still to deliver: the blade still answers for them, run or not.</summary>
    public HashSet<long> PendingIids()
    {
        lock (_gate)
            return [.. _pending.Select(e => e.Iid)];
    }

    public void AcknowledgeUpTo(long seq)
    {
        lock (_gate)
        {
            var delivered = _pending.Where(e => e.Seq <= seq && IsResult(e)).Select(e => e.Iid).ToList();
            _pending.RemoveAll(e => e.Seq <= seq);
            journal.Forget(delivered);
            _acknowledged.TrySetResult();
            _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private static bool IsResult(InvocationEvent ev) =>
        ev.Type is InvocationEventTypes.Exited or InvocationEventTypes.Failed or InvocationEventTypes.Interrupted;
}
