using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>An unfinished job as the scheduler holds it. Touched only by <see cref="Farm"/>, under its lock.</summary>
internal sealed class LiveJob
{
    public LiveJob(JobRecord record, bool rootSerial, int tierRank)
    {
        Record = record;
        RootSerial = rootSerial;
        TierRank = tierRank;
        Paused = record.Paused;
    }

    /// <summary>
    /// The job's row, without its comment: a comment may be megabytes, nothing in scheduling reads it, and listings
    /// read it from the job database when asked for. So the farm never holds one, whatever it is given.
    /// </summary>
    public JobRecord Record
    {
        get => _record;
        set => _record = value.Comment is null ? value : value with { Comment = null };
    }

    private JobRecord _record = null!;
    public long Jid => Record.Jid;
    public string Owner => Record.Owner;
    /// <summary>The job's own `-serialsubtasks`, which orders its top-level tasks.</summary>
    public bool RootSerial { get; }

    /// <summary>The dependency graph; rebuilt (by <see cref="LiveJobBuilder"/>) when an `-expand` command adds tasks.</summary>
    public JobGraph Graph { get; set; } = new([], false);

    /// <summary>Every task's shape, in tid order, from which the graph is built.</summary>
    public List<TaskShape> Shapes { get; } = [];

    /// <summary>Indexed by tid; slot 0 is unused. Replaced by a longer array when an `-expand` command adds tasks.</summary>
    public LiveTask[] Tasks { get; set; } = [new LiveTask(0, "", [])];

    /// <summary>Every distinct thing this job's commands ask of a blade, indexed by class id.</summary>
    public List<CommandClass> Classes { get; } = [];

    /// <summary>
    /// Classes by what they ask (service key, limits, slots, engine host only, the one blade of a `-samehost` or
    /// `-refersto` command waiting for it, and why), so commands that ask the same share one.
    /// </summary>
    public Dictionary<(string Service, string Limits, int AtLeast, int AtMost, bool Local, string? SameHostBlade, string? PinnedBy), CommandClass> ClassIndex { get; } = [];

    /// <summary>The limits.config its classes were made under (null for none); the farm makes them again under a newer one.</summary>
    public Core.Config.LimitsConfig? ClassesUnder { get; set; }

    /// <summary>The highest command id of the job; expanded commands are numbered after it.</summary>
    public int MaxCid { get; set; }

    /// <summary>
    /// Each `-id` of the job's commands and the command (cid) that has it: the first, which is the only one a spooled job
    /// has for an id its codes name (JobCompiler refuses an ambiguous one, LiveJobBuilder.Extend an expansion's).
    /// </summary>
    public Dictionary<string, int> CidById { get; } = new(StringComparer.Ordinal);

    /// <summary>For each command with an `-id` that has run: the blade of its latest run, whose host its `%ID(host)` codes give.</summary>
    public Dictionary<int, string> LatestBladeByCid { get; } = [];



    /// <summary>Position of the job's `-tier` in the site's `DispatchTiers`: lower goes first.</summary>
    public int TierRank { get; set; }

    /// <summary>The share group fair sharing counts the job in: its first `-projects` entry, else "default".</summary>
    public string ShareGroup => Record.Projects.Count > 0 ? Record.Projects[0] : "default";

    public bool Paused { get; set; }
    public bool Started { get; set; }

    /// <summary>How many tasks are done; the job is over when this reaches the task count.</summary>
    public int DoneCount { get; set; }

    public bool AllDone => DoneCount == Tasks.Length - 1;

    /// <summary>How many tasks are in error; with nothing ready or running, the job is in error.</summary>
    public int ErrorCount { get; set; }

    /// <summary>The task holding `-when error`/`-when always` postscript commands (and `-whenerror`); 0 when none does.</summary>
    public int ErrorPostscriptTid { get; set; }

    public bool IsDone(int tid) => Tasks[tid].State == TaskState.Done;

    /// <summary>Jobs of `-afterjids` not done yet.</summary>
    public HashSet<long> WaitingFor { get; } = [];

    /// <summary>Commands of this job running now (for `-maxactive`).</summary>
    public int ActiveCount { get; set; }

    /// <summary>Failures of this job's commands per blade; at the site's cap a blade no longer gets them.</summary>
    public Dictionary<string, int> Failures { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Tasks waiting for a blade, by the class of the command they wait to run, in tid order. The classes are in no
    /// order (dispatch takes the lowest tid over all of them), and a dictionary's enumerator, unlike a sorted one's,
    /// allocates nothing.
    /// </summary>
    public Dictionary<int, SortedSet<int>> Ready { get; } = [];

    public int ReadyCount { get; set; }

    /// <summary>The ready queue's key for this job while it is in the queue (kept so a re-key removes the right entry).</summary>
    public (int TierRank, double Priority, long SpoolTimeMs)? QueueKey { get; set; }

    /// <summary>The ready queue's share bucket for this job while it is in the queue (kept for the same reason).</summary>
    public Dispatch.ShareBucketKey? QueueBucket { get; set; }

    /// <summary>Nothing but blades and their counts keeps it from running: not paused, started, nothing to wait for.</summary>
    public bool Dispatchable(long nowMs) =>
        ReadyCount > 0 && !Paused && WaitingFor.Count == 0 && (Record.AfterTimeMs is not { } after || after <= nowMs);

    /// <summary>
    /// What the rules know of the job now. Dispatch asks it of every job it looks at on every poll, so the answer is kept
    /// and rebuilt only when one of its figures changed; its `-afterjids` set and its blocklist are live views of this
    /// job's own collections, read under the farm's lock like the job itself.
    /// </summary>
    /// <param name="blocklistFailures">The site's `BladeBlocklistFailures`: failures on a blade that blocklist it for this job.</param>
    public JobSituation Situation(int blocklistFailures)
    {
        if (_blocklist?.Threshold != blocklistFailures)
            _blocklist = new BlocklistView(Failures, blocklistFailures);
        var kept = _situation;
        if (kept is null || kept.Paused != Paused || kept.AfterMs != Record.AfterTimeMs || kept.MaxActive != Record.MaxActive
            || kept.ActiveCount != ActiveCount || !ReferenceEquals(kept.Blocklist, _blocklist) || !ReferenceEquals(kept.Owner, Owner))
            _situation = kept = new(Jid, Owner, Paused, Record.AfterTimeMs, WaitingFor, Record.MaxActive, ActiveCount, _blocklist);
        return kept;
    }

    private JobSituation? _situation;
    private BlocklistView? _blocklist;

    // The blades whose failure count for this job is at the threshold, read from the counts as they are now.
    private sealed class BlocklistView(Dictionary<string, int> failures, int threshold) : IReadOnlySet<string>
    {
        public int Threshold { get; } = threshold;

        public int Count => failures.Count == 0 ? 0 : failures.Values.Count(n => n >= Threshold);

        public bool Contains(string item) => failures.TryGetValue(item, out var n) && n >= Threshold;

        public IEnumerator<string> GetEnumerator() => failures.Where(f => f.Value >= Threshold).Select(f => f.Key).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public bool IsProperSubsetOf(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).IsProperSubsetOf(other);

        public bool IsProperSupersetOf(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).IsProperSupersetOf(other);

        public bool IsSubsetOf(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).IsSubsetOf(other);

        public bool IsSupersetOf(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).IsSupersetOf(other);

        public bool Overlaps(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).Overlaps(other);

        public bool SetEquals(IEnumerable<string> other) => this.ToHashSet(StringComparer.Ordinal).SetEquals(other);
    }
}
