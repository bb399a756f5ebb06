namespace Furrow.Core.Jobs;

/// <summary>
/// The dependency shape of one job: a task may run once its subtasks and Instance targets are done and, under a
/// `-serialsubtasks` parent, once its previous sibling is done. Immutable, so the scheduler can share it freely.
/// </summary>
public sealed class JobGraph
{
    private readonly int[] _parent;
    private readonly int[][] _children;
    private readonly int[][] _instanceOf;
    private readonly int[] _previousSibling;
    private readonly int[][] _dependents;
    private readonly RunsLast[] _runsLast;

    /// <param name="tasks">Every task of the job; tids must be 1..N.</param>
    /// <param name="rootSerial">The job's own `-serialsubtasks`, which orders its top-level tasks.</param>
    public JobGraph(IReadOnlyList<TaskShape> tasks, bool rootSerial)
    {
        var n = tasks.Count + 1;
        _parent = new int[n];
        _children = new int[n][];
        _instanceOf = new int[n][];
        _previousSibling = new int[n];
        _runsLast = new RunsLast[n];
        var dependents = new List<int>?[n];
        _children[0] = [];
        _instanceOf[0] = [];
        var serial = new bool[n];
        serial[0] = rootSerial;
        var rootChildren = new List<int>();
        foreach (var t in tasks)
        {
            if (t.Tid < 1 || t.Tid >= n)
                throw new ArgumentException($"task ids must be 1..{n - 1}; got {t.Tid}", nameof(tasks));
            _parent[t.Tid] = t.ParentTid;
            _children[t.Tid] = [.. t.Children];
            _instanceOf[t.Tid] = [.. t.InstanceOf];
            serial[t.Tid] = t.SerialSubtasks;
            _runsLast[t.Tid] = t.RunsLast;
            if (t.ParentTid == 0)
                rootChildren.Add(t.Tid);
        }
        _children[0] = [.. rootChildren];

        void AddDependent(int on, int who) => (dependents[on] ??= []).Add(who);
        for (var tid = 0; tid < n; tid++)
        {
            var kids = _children[tid] ?? [];
            for (var i = 0; i < kids.Length; i++)
            {
                AddDependent(kids[i], tid);
                if (serial[tid] && i > 0)
                {
                    _previousSibling[kids[i]] = kids[i - 1];
                    AddDependent(kids[i - 1], kids[i]);
                }
            }
            foreach (var target in _instanceOf[tid] ?? [])
                AddDependent(target, tid);
        }
        for (var tid = 1; tid < n; tid++)
            if (_runsLast[tid] != RunsLast.No)
                foreach (var sibling in _children[_parent[tid]])
                    if (sibling != tid)
                        AddDependent(sibling, tid);
        _dependents = new int[n][];
        for (var tid = 0; tid < n; tid++)
            _dependents[tid] = DistinctTasks(dependents[tid]);
    }

    // Most tasks have one dependent, their parent (0, the job itself, is no task); a set is only needed beyond that.
    private static int[] DistinctTasks(List<int>? tids)
    {
        if (tids is null)
            return [];
        if (tids.Count == 1)
            return tids[0] == 0 ? [] : [tids[0]];
        var seen = new HashSet<int>();
        var distinct = new List<int>(tids.Count);
        foreach (var tid in tids)
            if (tid != 0 && seen.Add(tid))
                distinct.Add(tid);
        return [.. distinct];
    }

    public int TaskCount => _parent.Length - 1;

    public int ParentOf(int tid) => _parent[tid];

    public IReadOnlyList<int> ChildrenOf(int tid) => _children[tid];

    /// <summary>Tasks whose readiness may change when <paramref name="tid"/> reaches done.</summary>
    public IReadOnlyList<int> DependentsOf(int tid) => _dependents[tid];

    /// <summary>True when nothing <paramref name="tid"/> waits for is unfinished.</summary>
    public bool CanStart(int tid, Func<int, bool> isDone)
    {
        foreach (var child in _children[tid])
            if (!isDone(child))
                return false;
        foreach (var target in _instanceOf[tid])
            if (!isDone(target))
                return false;
        if (_runsLast[tid] != RunsLast.No && WaitedSibling(tid, isDone) != 0)
            return false;
        var previous = _previousSibling[tid];
        return previous == 0 || isDone(previous);
    }

    /// <summary>The first reason <paramref name="tid"/> cannot start, in words an operator understands, or null.</summary>
    public string? WhyBlocked(int tid, Func<int, bool> isDone)
    {
        foreach (var child in _children[tid])
            if (!isDone(child))
                return $"waiting for subtask T{child}";
        foreach (var target in _instanceOf[tid])
            if (!isDone(target))
                return $"waiting for instanced task T{target}";
        if (_runsLast[tid] != RunsLast.No && WaitedSibling(tid, isDone) != 0)
            return _runsLast[tid] == RunsLast.WhenDoneOrError ? "runs when the job is done or in error" : "runs when the job is done";
        var previous = _previousSibling[tid];
        return previous != 0 && !isDone(previous) ? $"waiting for previous serial sibling T{previous}" : null;
    }

    // The first sibling a run-last task still waits for, 0 when none.
    private int WaitedSibling(int tid, Func<int, bool> isDone)
    {
        foreach (var sibling in _children[_parent[tid]])
            if (sibling != tid && !isDone(sibling))
                return sibling;
        return 0;
    }
}

/// <summary>
/// Whether a task waits for every other task beside it (its siblings, the job's top tasks for the job's cleanup task)
/// without any of them being its Instance: the job's "job cleanup" task, which holds `-cleanup`, `-postscript`,
/// `-whendone` and `-whenerror` commands. It is the job's own task, so it names no parent task and no ants.
/// </summary>
public enum RunsLast
{
    No,

    /// <summary>Runs once every other task is done.</summary>
    WhenDone,

    /// <summary>Runs once every other task is done, or (its error postscripts) once the job is in error with nothing left to run.</summary>
    WhenDoneOrError,
}

/// <summary>The part of a task the graph needs: where it sits and what it waits for.</summary>
public sealed record TaskShape(int Tid, int ParentTid, bool SerialSubtasks, IReadOnlyList<int> Children, IReadOnlyList<int> InstanceOf)
{
    /// <summary>Whether the task waits for all its siblings (the job cleanup task, <see cref="JobCompiler.RunsLastOf"/>).</summary>
    public RunsLast RunsLast { get; init; }
}
