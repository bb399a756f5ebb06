using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;

namespace Furrow.Client.Authoring;

/// <summary>
/// The whole-job rules, applied with Furrow's own code where it has them: the engine's refusal of options it cannot
/// honour (<see cref="UnsupportedOptions"/>), the compiler's Instance lookup (<see cref="JobCompiler"/>) and the
/// scheduler's dependency rules (<see cref="JobGraph"/>), so the author API refuses what the engine would, and no more
/// than two mistakes the engine would run as written: an Instance whose name finds another task than the one it was
/// made from, and tasks that wait for each other.
/// </summary>
internal static class JobChecks
{
    /// <exception cref="InvalidJobException">The first rule the job breaks.</exception>
    public static void Check(JobSpec spec, JobSpecBuilder built)
    {
        if (UnsupportedOptions.Find(spec) is { } unsupported)
            throw new InvalidJobException($"job \"{spec.Title}\": {unsupported}");
        var compiled = JobCompiler.Compile(spec);
        if (compiled.Error is { } error)
            throw new InvalidJobException($"job \"{spec.Title}\": {error}");
        var tasks = compiled.Job!.Tasks;
        CheckInstancesFindTheirTasks(tasks, built);
        CheckEveryTaskCanStart(tasks, spec.SerialSubtasks);
    }

    // The compiler appends a parent's Instance targets in the order of its Instance children, so the n-th Instance
    // under a task is that task's InstanceOf[n]. (Instances at the top of the job add no dependency and are not listed.)
    private static void CheckInstancesFindTheirTasks(IReadOnlyList<CompiledTask> tasks, JobSpecBuilder built)
    {
        foreach (var use in built.Instances)
        {
            if (use.ParentTid == 0)
                continue;
            var found = tasks[use.ParentTid - 1].InstanceOf[use.Ordinal];
            var meant = built.Tids[use.Target];
            if (found != meant)
            {
                throw new InvalidJobException($"{use.Where}: Instance {{{use.Name}}} was made from task T{meant} \"{tasks[meant - 1].Title}\", " +
                    $"but Furrow looks names up by -id, then by title, first task first, and finds T{found} \"{tasks[found - 1].Title}\"; " +
                    "give the task an Id of its own");
            }
        }
    }

    // A task starts once all it waits for is done; marking done whatever could start, in any order, leaves exactly the
    // tasks that wait for one another in a circle (and those waiting on them) unfinished.
    private static void CheckEveryTaskCanStart(IReadOnlyList<CompiledTask> tasks, bool rootSerial)
    {
        var graph = new JobGraph([.. tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf))], rootSerial);
        var done = new bool[tasks.Count + 1];
        var queued = new bool[tasks.Count + 1];
        var ready = new Queue<int>();
        bool IsDone(int tid) => done[tid];
        for (var tid = 1; tid <= tasks.Count; tid++)
        {
            if (graph.CanStart(tid, IsDone))
            {
                queued[tid] = true;
                ready.Enqueue(tid);
            }
        }

        while (ready.TryDequeue(out var tid))
        {
            done[tid] = true;
            foreach (var next in graph.DependentsOf(tid))
            {
                if (!queued[next] && graph.CanStart(next, IsDone))
                {
                    queued[next] = true;
                    ready.Enqueue(next);
                }
            }
        }

        var stuck = Array.FindIndex(done, 1, d => !d);
        if (stuck < 0)
            return;
        var circle = FindCircle(graph, done, stuck);
        var names = string.Join(" waits for ", circle.Select(t => $"T{t} \"{tasks[t - 1].Title}\""));
        throw new InvalidJobException($"the job could never finish: {names} (through subtasks, Instances or -serialsubtasks order)");
    }

    /// <summary>Tasks that wait for one another in a circle, each waiting for the next and the last for the first.</summary>
    private static List<int> FindCircle(JobGraph graph, bool[] done, int start)
    {
        // An unfinished task waits for at least one other unfinished task, so following one such wait from task to
        // task must come back to a task already passed. Walked in a loop: a serial chain may be thousands long.
        var waitsFor = new Dictionary<int, int>();
        for (var tid = 1; tid < done.Length; tid++)
        {
            if (done[tid])
                continue;
            foreach (var waiter in graph.DependentsOf(tid))
            {
                if (!done[waiter])
                    waitsFor.TryAdd(waiter, tid);
            }
        }

        var path = new List<int>();
        var at = new Dictionary<int, int>();
        var current = start;
        while (!at.ContainsKey(current))
        {
            at[current] = path.Count;
            path.Add(current);
            current = waitsFor[current];
        }

        var circle = path[at[current]..];
        circle.Add(current);
        return circle;
    }
}
