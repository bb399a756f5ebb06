using Furrow.Engine.Farm;

namespace Furrow.Engine.Dispatch;

/// <summary>
/// Jobs that have tasks waiting for a blade and nothing else to wait for, in the policy's static order (tier,
/// priority, spool time, jid). Each job keeps its own waiting tasks by command class; the dynamic part of the order
/// (fair shares) is decided at dispatch. A job's key is stored on it while queued, so a change of priority re-keys it
/// (<see cref="Refresh"/> after the change) and never leaves a stale entry. Owned by <see cref="LiveFarm"/>.
/// </summary>
/// <remarks>
/// Within a level (tier and priority) the jobs are kept per share bucket (share group and owner), each bucket in the
/// static order. Every job of a bucket has the same share use, so dispatch weighs the buckets, a handful, and looks
/// into the jobs of the least used ones only, instead of walking every job queued at the level for each command it
/// hands out (2,000 queued jobs halved the dispatch rate that way).
/// </remarks>
internal sealed class ReadyQueue
{
    private static readonly IComparer<LiveJob> StaticOrder = Comparer<LiveJob>.Create(Compare);

    private readonly SortedDictionary<(int TierRank, double Priority), Level> _levels = [];

    public int JobCount { get; private set; }

    /// <summary>The levels that hold jobs, best first.</summary>
    public SortedDictionary<(int TierRank, double Priority), Level>.ValueCollection Levels => _levels.Values;

    /// <summary>Puts the job in the queue or takes it out according to <see cref="LiveJob.Dispatchable"/> and its current key.</summary>
    public void Refresh(LiveJob job, long nowMs, (int, double, long) key)
    {
        var wanted = job.Dispatchable(nowMs);
        var bucket = new ShareBucketKey(job.ShareGroup, job.Owner);
        if (job.QueueKey is { } current)
        {
            if (wanted && current == key && job.QueueBucket == bucket)
                return;
            Remove(job);
        }
        if (!wanted)
            return;
        job.QueueKey = key;
        job.QueueBucket = bucket;
        var levelKey = (key.Item1, key.Item2);
        if (!_levels.TryGetValue(levelKey, out var level))
            _levels[levelKey] = level = new Level();
        if (!level.Buckets.TryGetValue(bucket, out var jobs))
            level.Buckets[bucket] = jobs = new ShareBucket(bucket, new SortedSet<LiveJob>(StaticOrder));
        jobs.Jobs.Add(job);
        JobCount++;
    }

    public void Remove(LiveJob job)
    {
        if (job.QueueKey is not { } key || job.QueueBucket is not { } bucket)
            return;
        var levelKey = (key.TierRank, key.Priority);
        if (_levels.TryGetValue(levelKey, out var level) && level.Buckets.TryGetValue(bucket, out var jobs) && jobs.Jobs.Remove(job))
        {
            JobCount--;
            if (jobs.Jobs.Count == 0)
                level.Buckets.Remove(bucket);
            if (level.Buckets.Count == 0)
                _levels.Remove(levelKey);
        }
        job.QueueKey = null;
        job.QueueBucket = null;
    }

    public void Clear()
    {
        foreach (var level in _levels.Values)
        {
            foreach (var bucket in level.Buckets.Values)
            {
                foreach (var job in bucket.Jobs)
                {
                    job.QueueKey = null;
                    job.QueueBucket = null;
                }
            }
        }
        _levels.Clear();
        JobCount = 0;
    }

    /// <summary>-1, 0 or 1 as <paramref name="a"/> comes before, with or after <paramref name="b"/> in the static order.</summary>
    public static int Compare(LiveJob? a, LiveJob? b)
    {
        var ka = a!.QueueKey!.Value;
        var kb = b!.QueueKey!.Value;
        var c = ka.CompareTo(kb);
        return c != 0 ? c : a.Jid.CompareTo(b.Jid);
    }

    /// <summary>The queued jobs of one tier and priority, by share bucket.</summary>
    internal sealed class Level
    {
        public Dictionary<ShareBucketKey, ShareBucket> Buckets { get; } = [];
    }
}

/// <summary>Whose share a job's commands count against: its share group (first project) and its owner.</summary>
internal readonly record struct ShareBucketKey(string ShareGroup, string Owner);

/// <summary>The queued jobs of one share bucket at one level, in the static order.</summary>
internal sealed record ShareBucket(ShareBucketKey Key, SortedSet<LiveJob> Jobs);
