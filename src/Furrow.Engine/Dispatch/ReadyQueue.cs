using Furrow.Engine.Farm;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// Jobs that have tasks waiting for a blade and nothing else to wait for, in the policy's static order (tier,
/// priority, spool time, jid). Each job keeps its own waiting tasks by command class; the dynamic part of the order
/// (fair shares) is decided at dispatch. A job's key is stored on it while queued, so a change of priority re-keys it
/// (<see cref="Refresh"/> after the change) and never leaves a stale entry. Owned by <see cref="LiveFarm"/>.
/// </summary>
internal sealed class ReadyQueue
{
    private readonly SortedSet<LiveJob> _jobs = new(Comparer<LiveJob>.Create(Compare));

    public int JobCount => _jobs.Count;

    public IEnumerable<LiveJob> Jobs => _jobs;

    /// <summary>Puts the job in the queue or takes it out according to <see cref="LiveJob.Dispatchable"/> and its current key.</summary>
    public void Refresh(LiveJob job, long nowMs, (int, double, long) key)
    {
        var wanted = job.Dispatchable(nowMs);
        if (job.QueueKey is { } current)
        {
            if (wanted && current == key)
                return;
            _jobs.Remove(job);
            job.QueueKey = null;
        }
        if (!wanted)
            return;
        job.QueueKey = key;
        _jobs.Add(job);
    }

    public void Remove(LiveJob job)
    {
        if (job.QueueKey is null)
            return;
        _jobs.Remove(job);
        job.QueueKey = null;
    }

    public void Clear()
    {
        foreach (var job in _jobs)
            job.QueueKey = null;
        _jobs.Clear();
    }

    private static int Compare(LiveJob? a, LiveJob? b)
    {
        var ka = a!.QueueKey!.Value;
        var kb = b!.QueueKey!.Value;
        var c = ka.CompareTo(kb);
        return c != 0 ? c : a.Jid.CompareTo(b.Jid);
    }
}
