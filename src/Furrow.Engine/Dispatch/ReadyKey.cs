namespace Furrow.Engine.Dispatch;

/// <summary>A task waiting for a blade, ordered by the dispatch policy's rank and then by job and task id.</summary>
internal readonly record struct ReadyKey(double Rank, long SpoolTimeMs, long Jid, int Tid) : IComparable<ReadyKey>
{
    public int CompareTo(ReadyKey other)
    {
        var c = Rank.CompareTo(other.Rank);
        if (c != 0) return c;
        c = SpoolTimeMs.CompareTo(other.SpoolTimeMs);
        if (c != 0) return c;
        c = Jid.CompareTo(other.Jid);
        return c != 0 ? c : Tid.CompareTo(other.Tid);
    }
}
