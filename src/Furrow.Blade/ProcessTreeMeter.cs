namespace Furrow.Blade;

/// <summary>
/// Measures what running commands' process trees use, by sampling Linux's <c>/proc</c> every
/// <see cref="SampleInterval"/> (and, of its process alone, when a command is tracked): a tree is the command's process, every process
/// descended from it, and, when it leads a process group, every process still in that group. CPU time is the most the tree's processes (with the
/// time of the children they have reaped) added up to in any sample; peak RSS is the most resident memory they held
/// together in any sample, and the same for virtual memory. All are therefore short by what happened after the last sample (at most one interval),
/// and a descendant that left the group and was reaped by init takes its CPU time with it. Elsewhere than Linux
/// nothing is measured and <see cref="Finish"/> gives null figures.
/// </summary>
internal sealed class ProcessTreeMeter : IDisposable
{
    /// <summary>How often the trees are sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    private readonly Dictionary<long, Tree> _trees = [];
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private bool _sampling;

    public ProcessTreeMeter()
    {
        _timer = new Timer(_ => Sample(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Starts measuring the tree of process <paramref name="pid"/> for invocation <paramref name="iid"/>.</summary>
    public void Track(long iid, int pid)
    {
        if (!OperatingSystem.IsLinux())
            return;
        // The first sample is of the process alone: just started, it has no descendants yet, and a scan of every
        // process on the host at each command's start would cost a busy blade more than it tells.
        var first = ProcStat.Read(pid);
        lock (_gate)
        {
            var tree = new Tree(pid);
            _trees[iid] = tree;
            if (first is { } root)
                Account(tree, [root]);
            if (!_sampling)
            {
                _sampling = true;
                _timer.Change(SampleInterval, SampleInterval);
            }
        }
    }

    /// <summary>
    /// Stops measuring invocation <paramref name="iid"/> and returns its CPU seconds (user, system) and peak RSS and
    /// virtual size in bytes; nulls when it was never tracked, or no sample found it running (it was over too soon).
    /// </summary>
    public (double? UserSecs, double? SystemSecs, long? PeakRssBytes, long? PeakVszBytes) Finish(long iid)
    {
        lock (_gate)
        {
            if (!_trees.Remove(iid, out var tree))
                return (null, null, null, null);
            if (_trees.Count == 0 && _sampling)
            {
                _sampling = false;
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
            // A command over before any sample found it running is not known to have used nothing: it is not known.
            if (!tree.SeenRunning)
                return (null, null, null, null);
            return (tree.UserTicks / ProcStat.TicksPerSecond, tree.SystemTicks / ProcStat.TicksPerSecond, tree.PeakRssBytes, tree.PeakVszBytes);
        }
    }

    private void Sample()
    {
        lock (_gate)
        {
            if (_trees.Count == 0)
                return;
        }
        var processes = ProcessTree.ReadAll();
        var children = ProcessTree.ChildrenOf(processes.Values);
        lock (_gate)
        {
            foreach (var tree in _trees.Values)
            {
                var members = ProcessTree.Members(tree.Pid, processes, children);
                Account(tree, members.Select(pid => processes[pid]));
            }
        }
    }

    // Adds one sample of a tree's processes to its account (under the lock).
    private static void Account(Tree tree, IEnumerable<ProcStat> members)
    {
        var pageSize = Environment.SystemPageSize;
        long user = 0, system = 0, rss = 0, vsz = 0;
        foreach (var p in members)
        {
            tree.SeenRunning |= p.RssPages > 0;
            user += p.UserTicks;
            system += p.SystemTicks;
            rss += p.RssPages * pageSize;
            vsz += p.VszBytes;
        }
        // A process's times grow, and move into its parent's when it is reaped: the sum only shrinks when a member
        // leaves the tree, so the largest sum seen is the best account of the tree's time.
        if (user + system > tree.UserTicks + tree.SystemTicks)
        {
            tree.UserTicks = user;
            tree.SystemTicks = system;
        }
        tree.PeakRssBytes = Math.Max(tree.PeakRssBytes, rss);
        tree.PeakVszBytes = Math.Max(tree.PeakVszBytes, vsz);
    }

    private sealed class Tree(int pid)
    {
        public int Pid { get; } = pid;
        public long UserTicks { get; set; }
        public long SystemTicks { get; set; }
        public long PeakRssBytes { get; set; }
        public long PeakVszBytes { get; set; }
        public bool SeenRunning { get; set; }
    }

    public void Dispose() => _timer.Dispose();
}
