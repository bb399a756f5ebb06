using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>
/// Turns a parsed job into numbered tasks and commands; refuses references that point nowhere and service keys that do
/// not parse, at their file, line and column when the job was read from a script (<see cref="JobSpec.Refusal"/>).
/// </summary>
public static class JobCompiler
{
    /// <summary>Title of the synthetic task that runs a job's `-cleanup` and `-postscript` after every other task.</summary>
    public const string JobCleanupTitle = "job cleanup";

    /// <summary>
    /// Whether <paramref name="task"/> (compiled or read back from the store) is the job cleanup task this compiler adds,
    /// which runs after every other task beside it: a childless task titled <see cref="JobCleanupTitle"/> whose commands
    /// are all cleanup or postscript commands. <see cref="RunsLast.WhenDoneOrError"/> when it holds a `-whenerror` or
    /// an error/always postscript.
    /// </summary>
    public static RunsLast RunsLastOf(CompiledTask task)
    {
        if (task.Title != JobCleanupTitle || task.Children.Count > 0 || task.Commands.Count == 0
            || task.Commands.Any(c => c.RunType == CommandRunType.Regular))
            return RunsLast.No;
        return task.Commands.Any(c => c.RunType is CommandRunType.PostError or CommandRunType.PostAlways)
            ? RunsLast.WhenDoneOrError : RunsLast.WhenDone;
    }

    public static CompileResult Compile(JobSpec spec)
    {
        if ((BadServiceKey(spec) ?? BadSlots(spec)) is { } bad)
            return CompileResult.Fail(bad);
        var tasks = new List<MutableTask>();
        var pendingInstances = new List<(MutableTask Parent, InstanceSpec Instance)>();
        var cid = 0;

        int AddTask(TaskSpec task, int parentTid, int depth)
        {
            var node = new MutableTask(tasks.Count + 1, parentTid, task);
            tasks.Add(node);
            // A task's own commands are numbered before its subtasks', so cids follow task (tid) order.
            foreach (var cmd in task.Commands)
                node.Commands.Add(ToCompiled(++cid, node.Tid, cmd, CommandRunType.Regular, task, spec));
            foreach (var cmd in task.Cleanup)
                node.Commands.Add(ToCompiled(++cid, node.Tid, cmd, CommandRunType.Cleanup, task, spec));
            foreach (var child in task.Subtasks)
            {
                switch (child)
                {
                    case TaskSpec sub:
                        node.Children.Add(AddTask(sub, node.Tid, depth + 1));
                        break;
                    case InstanceSpec instance:
                        pendingInstances.Add((node, instance));
                        break;
                }
            }
            return node.Tid;
        }

        var root = new MutableTask(0, -1, new TaskSpec { SerialSubtasks = spec.SerialSubtasks });
        foreach (var child in spec.Subtasks)
        {
            switch (child)
            {
                case TaskSpec sub:
                    root.Children.Add(AddTask(sub, 0, 1));
                    break;
                case InstanceSpec instance:
                    pendingInstances.Add((root, instance));
                    break;
            }
        }

        // By -id first, then by title; the first task to carry a name wins, as a scan in tid order would find it. Looked
        // up, not scanned: a script of tens of thousands of tasks, each with an Instance, is a real script.
        Dictionary<string, MutableTask>? byId = null, byTitle = null;
        if (pendingInstances.Count > 0)
        {
            byId = new Dictionary<string, MutableTask>(StringComparer.Ordinal);
            byTitle = new Dictionary<string, MutableTask>(StringComparer.Ordinal);
            foreach (var task in tasks)
            {
                if (task.Spec.Id is { } id)
                    byId.TryAdd(id, task);
                byTitle.TryAdd(task.Spec.Title, task);
            }
        }
        foreach (var (parent, instance) in pendingInstances)
        {
            var target = byId!.GetValueOrDefault(instance.Title) ?? byTitle!.GetValueOrDefault(instance.Title);
            if (target is null)
                return CompileResult.Fail(spec.Refusal(instance, "", $"Instance {{{instance.Title}}} refers to no task of this job (by -id or title)"));
            if (parent.Tid == 0)
                continue; // A job-level Instance adds no dependency: the task already runs as part of the job.
            parent.InstanceOf.Add(target.Tid);
        }

        var whenCommands = WhenCommands(spec);
        if (spec.Cleanup.Count > 0 || spec.Postscript.Count > 0 || whenCommands.Count > 0)
        {
            // It waits for every top task by being the job's cleanup (RunsLastOf), not through Instances: the script
            // wrote none, so none is listed (no ptids or ants pointing at it from the job's own tasks).
            var cleanup = new MutableTask(tasks.Count + 1, 0, new TaskSpec { Title = JobCleanupTitle }) { JobSources = [] };
            for (var i = 0; i < spec.Cleanup.Count; i++)
            {
                cleanup.Commands.Add(ToCompiled(++cid, cleanup.Tid, spec.Cleanup[i], CommandRunType.Cleanup, null, spec));
                cleanup.JobSources.Add((spec.Cleanup[i], null, $"the job's -cleanup, command {i + 1}"));
            }
            for (var i = 0; i < spec.Postscript.Count; i++)
            {
                cleanup.Commands.Add(ToCompiled(++cid, cleanup.Tid, spec.Postscript[i], PostRunType(spec.Postscript[i].When), null, spec));
                cleanup.JobSources.Add((spec.Postscript[i], null, $"the job's -postscript, command {i + 1}"));
            }
            foreach (var cmd in whenCommands)
            {
                cleanup.Commands.Add(ToCompiled(++cid, cleanup.Tid, cmd, PostRunType(cmd.When), null, spec));
                var option = cmd.When == "done" ? "whendone" : "whenerror";
                cleanup.JobSources.Add((cmd, option, $"the job's -{option}"));
            }
            tasks.Add(cleanup);
        }

        if (tasks.Count == 0)
            return CompileResult.Fail(spec.Refusal(spec, "subtasks", "the job has no tasks"));
        if (BadCommandReference(spec, tasks) is { } badReference)
            return CompileResult.Fail(badReference);

        var compiled = tasks.Select(t => new CompiledTask(
            t.Tid, t.ParentTid, t.Spec.Title, t.Spec.Id, t.Spec.Service, t.Spec.SerialSubtasks,
            t.Children, t.InstanceOf, t.Commands)
        {
            Metadata = t.Spec.Metadata, Preview = t.Spec.Preview, Chaser = t.Spec.Chaser,
        }).ToList();
        return CompileResult.Ok(new CompiledJob { Spec = spec, Tasks = compiled });
    }

    /// <summary>
    /// Compiles the tasks an expand command printed (<paramref name="expansion"/>'s subtasks) as new subtasks of task
    /// <paramref name="parentTid"/>: tids from <paramref name="firstTid"/> and cids from <paramref name="firstCid"/> on,
    /// so they follow every task and command the job already has, as Tractor numbers expanded tasks. Instances may
    /// refer only to tasks of the same expansion.
    /// </summary>
    /// <param name="jobAtLeast">The job's own `-atleast`, `-atmost` and `-envkey`, which the new commands inherit.</param>
    /// <returns>The new tasks only (the caller adds them to the parent's children), or why they cannot be added.</returns>
    public static CompileResult CompileExpansion(JobSpec expansion, int parentTid, int firstTid, int firstCid,
        int? jobAtLeast = null, int? jobAtMost = null, IReadOnlyList<string>? jobEnvKey = null)
    {
        expansion.AtLeast = jobAtLeast;
        expansion.AtMost = jobAtMost;
        expansion.EnvKey = [.. jobEnvKey ?? []];
        var local = Compile(expansion);
        if (local.Error is { } error)
            return local;
        int Tid(int tid) => tid == 0 ? parentTid : tid + firstTid - 1;
        var tasks = local.Job!.Tasks.Select(t => t with
        {
            Tid = Tid(t.Tid),
            ParentTid = Tid(t.ParentTid),
            Children = [.. t.Children.Select(Tid)],
            InstanceOf = [.. t.InstanceOf.Select(Tid)],
            Commands = [.. t.Commands.Select(c => c with { Cid = c.Cid + firstCid - 1, Tid = Tid(c.Tid) })],
        }).ToList();
        return CompileResult.Ok(new CompiledJob { Spec = expansion, Tasks = tasks });
    }

    /// <summary>The shell that runs a job's `-whendone` and `-whenerror` command lines, as Tractor 1.x ran them.</summary>
    public const string WhenShell = "/bin/sh";

    /// <summary>
    /// Tractor 1.x's post-commands, `-whendone {mail -s done comp}` and `-whenerror {...}`: each is a shell command line,
    /// run as a postscript `RemoteCmd {/bin/sh -c LINE} -when done` (or `-when error`) after the job's own postscript.
    /// An empty value, as generators write, asks for nothing.
    /// </summary>
    public static List<CommandSpec> WhenCommands(JobSpec spec)
    {
        var commands = new List<CommandSpec>();
        foreach (var kept in spec.Kept)
        {
            if (kept.Name is not ("whendone" or "whenerror") || kept.Value.Trim() is "" or "{}")
                continue;
            commands.Add(new CommandSpec { Argv = [WhenShell, "-c", kept.Value], When = kept.Name == "whendone" ? "done" : "error" });
        }
        return commands;
    }

    // Each distinct key is parsed once: a job of 100,000 commands usually names a handful.
    private static string? BadServiceKey(JobSpec spec)
    {
        var good = new HashSet<string>(StringComparer.Ordinal);
        string? Check(object owner, string? key, string where)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Trim() is "\"\"" || good.Contains(key))
                return null;
            if (Scheduling.ServiceKey.Parse(key).Error is { } error)
                return spec.Refusal(owner, "service", $"bad service key {{{key}}} on {where}: {error}");
            good.Add(key);
            return null;
        }
        string? InCommands(List<CommandSpec> commands, string where)
        {
            for (var i = 0; i < commands.Count; i++)
                if (Check(commands[i], commands[i].Service, $"{where}, command {i + 1}") is { } bad)
                    return bad;
            return null;
        }
        string? InTasks(List<TaskNode> nodes)
        {
            foreach (var node in nodes)
            {
                if (node is not TaskSpec task)
                    continue;
                var where = $"task \"{task.Title}\"";
                if ((Check(task, task.Service, where) ?? InCommands(task.Commands, where) ?? InCommands(task.Cleanup, where + " -cleanup")
                    ?? InTasks(task.Subtasks)) is { } bad)
                    return bad;
            }
            return null;
        }
        return Check(spec, spec.Service, "the job") ?? InCommands(spec.Cleanup, "the job's -cleanup")
            ?? InCommands(spec.Postscript, "the job's -postscript") ?? InTasks(spec.Subtasks);
    }

    // Tractor's ranges: -maxactive 0 is no limit, a command needs at least 1 slot, and takes at most no fewer than it
    // needs. Checked where each value is written, with what it inherits (a command its task's, else its job's, as
    // ToCompiled falls back), so the place named is the element whose own option makes the pair impossible.
    private static string? BadSlots(JobSpec spec)
    {
        if (spec.MaxActive is < 0 and var maxActive)
            return spec.Refusal(spec, "maxactive", $"-maxactive {maxActive} on the job: it takes 0 (no limit) or more commands at once");
        string? Check(object owner, int? atLeast, int? atMost, int? inheritedAtLeast, int? inheritedAtMost, string where)
        {
            if (atLeast is < 1)
                return spec.Refusal(owner, "atleast", $"-atleast {atLeast} on {where}: it takes 1 or more slots");
            if (atMost is < 1)
                return spec.Refusal(owner, "atmost", $"-atmost {atMost} on {where}: it takes 1 or more slots");
            if ((atLeast ?? inheritedAtLeast) is { } least && (atMost ?? inheritedAtMost) is { } most && most < least)
                return spec.Refusal(owner, atMost is null ? "atleast" : "atmost",
                    $"-atmost {most} is below -atleast {least} on {where}: -atmost takes -atleast ({least}) or more slots");
            return null;
        }
        string? InCommands(List<CommandSpec> commands, int? atLeast, int? atMost, string where)
        {
            for (var i = 0; i < commands.Count; i++)
                if (Check(commands[i], commands[i].AtLeast, commands[i].AtMost, atLeast, atMost, $"{where}, command {i + 1}") is { } bad)
                    return bad;
            return null;
        }
        string? InTasks(List<TaskNode> nodes)
        {
            int? atLeast = spec.AtLeast, atMost = spec.AtMost;
            foreach (var node in nodes)
            {
                if (node is not TaskSpec task)
                    continue;
                var where = $"task \"{task.Title}\"";
                int? least = task.AtLeast ?? atLeast, most = task.AtMost ?? atMost;
                if ((Check(task, task.AtLeast, task.AtMost, atLeast, atMost, where) ?? InCommands(task.Commands, least, most, where)
                    ?? InCommands(task.Cleanup, least, most, where + " -cleanup") ?? InTasks(task.Subtasks)) is { } bad)
                    return bad;
            }
            return null;
        }
        return Check(spec, spec.AtLeast, spec.AtMost, null, null, "the job")
            ?? InCommands(spec.Cleanup, spec.AtLeast, spec.AtMost, "the job's -cleanup")
            ?? InCommands(spec.Postscript, spec.AtLeast, spec.AtMost, "the job's -postscript")
            ?? InTasks(spec.Subtasks);
    }

    // A %ID(host) code and -refersto name a command by its -id, which one command of the job must have (a -refersto may
    // name a task's instead). That command must also be sure to have run before the one naming it, whose host it gives
    // (the code) or whose blade it runs on (-refersto): an earlier command of the same task, or a command of a task it
    // waits for (JobGraph: subtasks, Instance targets, earlier siblings under -serialsubtasks, every
    // other top task for the job's cleanup), at any depth. Looked at only when some command names one.
    private static string? BadCommandReference(JobSpec spec, List<MutableTask> tasks)
    {
        List<(MutableTask Task, int Index, CommandSubstitution.HostCode? Code, string Id)>? uses = null;
        foreach (var task in tasks)
        {
            for (var k = 0; k < task.Commands.Count; k++)
            {
                var command = task.Commands[k];
                foreach (var word in command.Argv)
                    foreach (var code in CommandSubstitution.HostCodes(word))
                        (uses ??= []).Add((task, k, code, code.Id));
                if (command.RefersTo is { } refersTo)
                    (uses ??= []).Add((task, k, null, refersTo));
            }
        }
        if (uses is null)
            return null;
        var declared = new Dictionary<string, List<(MutableTask Task, int Index)>>(StringComparer.Ordinal);
        foreach (var task in tasks)
            for (var k = 0; k < task.Commands.Count; k++)
                if (task.Commands[k].Id is { } id)
                    (declared.TryGetValue(id, out var list) ? list : declared[id] = []).Add((task, k));
        var waitsFor = WaitsFor(spec, tasks);
        foreach (var (task, k, code, id) in uses)
        {
            var (command, kept, where) = SourceOf(task, k);
            var what = code is { } c ? $"{c.Text} in the command line ({where})" : $"-refersto {id} ({where})";
            // Generated scripts write -refersto with their task's -id (a Nuke tool's, in the corpus); kept, as Tractor keeps it.
            if (code is null && !declared.ContainsKey(id) && tasks.Exists(t => t.Spec.Id == id))
                continue;
            var message = !declared.TryGetValue(id, out var found)
                ? $"{what} names no command of the job: no command has -id {id}" + (code is null ? " (nor any task)" : "")
                : found.Count > 1
                    ? $"{what} cannot tell which command it names: {found.Count} commands of the job have -id {id} " +
                      $"({string.Join("; ", found.Take(3).Select(f => SourceOf(f.Task, f.Index).Where))}); give each its own -id"
                : (found[0].Task == task ? found[0].Index < k : waitsFor(task.Tid).Contains(found[0].Task.Tid)) ? null
                : found[0].Task == task && found[0].Index == k ? $"{what} names the command itself; it takes the host of a command run before it"
                : $"{what} names the command of -id {id} ({SourceOf(found[0].Task, found[0].Index).Where}), which is not sure to have run " +
                  "before it: the host comes from an earlier command of the same task, or from a command of a task this one waits for " +
                  "(its subtasks, its Instances' tasks, earlier siblings under -serialsubtasks)";
            if (message is not null)
                return code is null ? spec.Refusal(command, "refersto", message)
                    : kept is not null ? spec.Refusal(spec, kept, message) : spec.Refusal(command, "argv", message);
        }
        return null;
    }

    // The tasks each task waits for, at any depth, worked out on first use per task from the job's graph.
    private static Func<int, HashSet<int>> WaitsFor(JobSpec spec, List<MutableTask> tasks)
    {
        var graph = new Lazy<JobGraph>(() => new JobGraph([.. tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.Spec.SerialSubtasks,
            t.Children, t.InstanceOf) { RunsLast = t.JobSources is null ? RunsLast.No : RunsLast.WhenDone })], spec.SerialSubtasks));
        var direct = new Lazy<List<int>[]>(() =>
        {
            var waits = new List<int>[tasks.Count + 1];
            for (var tid = 0; tid <= tasks.Count; tid++)
                waits[tid] = [];
            for (var tid = 1; tid <= tasks.Count; tid++)
                foreach (var waiter in graph.Value.DependentsOf(tid))
                    waits[waiter].Add(tid);
            return waits;
        });
        var known = new Dictionary<int, HashSet<int>>();
        return tid =>
        {
            if (known.TryGetValue(tid, out var all))
                return all;
            all = [];
            var pending = new Stack<int>(direct.Value[tid]);
            while (pending.TryPop(out var next))
                if (all.Add(next))
                    foreach (var further in direct.Value[next])
                        pending.Push(further);
            return known[tid] = all;
        };
    }

    // Where the k-th compiled command of a task was written: its element, the job option it came from (-whendone,
    // -whenerror) or null, and words naming it.
    private static (CommandSpec Command, string? Kept, string Where) SourceOf(MutableTask task, int k)
    {
        if (task.JobSources is { } job)
            return job[k];
        var title = $"task \"{task.Spec.Title}\"";
        var own = task.Spec.Commands.Count;
        return k < own ? (task.Spec.Commands[k], null, $"{title}, command {k + 1}")
            : (task.Spec.Cleanup[k - own], null, $"{title}, -cleanup command {k - own + 1}");
    }

    private static CommandRunType PostRunType(string? when) => when switch
    {
        "done" => CommandRunType.PostDone,
        "error" => CommandRunType.PostError,
        _ => CommandRunType.PostAlways,
    };

    // A command's slot needs fall back to its task's, then its job's (Tractor's -atleast/-atmost); its envkeys are its
    // own, then its job's. So each compiled command says all it asks of a blade but its service key and job tags.
    private static CompiledCommand ToCompiled(int cid, int tid, CommandSpec cmd, CommandRunType runType, TaskSpec? task, JobSpec job) =>
        new(cid, tid, cmd.Argv, cmd.Kind, runType, cmd.Service, cmd.Expand, cmd.RetryRc)
        {
            Tags = cmd.Tags,
            EnvKey = cmd.EnvKey.Count == 0 && job.EnvKey.Count == 0 ? []
                : [.. cmd.EnvKey.Concat(job.EnvKey).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal)],
            AtLeast = cmd.AtLeast ?? task?.AtLeast ?? job.AtLeast,
            AtMost = cmd.AtMost ?? task?.AtMost ?? job.AtMost,
            Id = cmd.Id,
            RefersTo = cmd.RefersTo,
            SameHost = cmd.SameHost,
            Msg = cmd.Msg,
            Metadata = cmd.Metadata,
        };

    private sealed class MutableTask(int tid, int parentTid, TaskSpec spec)
    {
        public int Tid { get; } = tid;
        public int ParentTid { get; } = parentTid;
        public TaskSpec Spec { get; } = spec;
        public List<int> Children { get; } = [];
        public List<int> InstanceOf { get; } = [];
        public List<CompiledCommand> Commands { get; } = [];

        /// <summary>For the job cleanup task: where each of its commands was written (SourceOf); null for other tasks.</summary>
        public List<(CommandSpec Command, string? Kept, string Where)>? JobSources { get; init; }
    }
}

/// <summary>A compiled job, or the reason the job cannot run.</summary>
public sealed record CompileResult(CompiledJob? Job, string? Error)
{
    public static CompileResult Ok(CompiledJob job) => new(job, null);
    public static CompileResult Fail(string error) => new(null, error);
}
