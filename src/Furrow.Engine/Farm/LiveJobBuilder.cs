using Furrow.Core.Config;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>A job script asks for something the site cannot schedule (a malformed service key, an unknown tier ...).</summary>
internal sealed class JobRuleException(string message) : Exception(message);

/// <summary>
/// Builds the scheduler's view of a job from its compiled tasks: the one way a live job is made, whether it was just
/// spooled or is reloaded from the database (whose rows are read back as compiled tasks, then their stored states
/// laid over it: <see cref="FromRows"/>), or grows by an `-expand`.
/// </summary>
internal static class LiveJobBuilder
{
    /// <summary>
    /// Builds a job from its tasks, compiled from its script at spool or read back from its rows at a reload: each
    /// command already says its slots and envkeys; its service key falls back to its task's, then the job's.
    /// </summary>
    /// <exception cref="JobRuleException">A service key does not parse.</exception>
    public static LiveJob Build(JobRecord record, IReadOnlyList<CompiledTask> tasks, bool rootSerial, int tierRank, LimitsConfig? limits)
    {
        var job = new LiveJob(record, rootSerial, tierRank);
        AddTasks(job, tasks, limits);
        return job;
    }

    /// <summary>
    /// Adds the tasks an `-expand` command printed (compiled by <see cref="JobCompiler.CompileExpansion"/>) under
    /// their parent and rebuilds the graph; the new tasks start blocked.
    /// </summary>
    /// <exception cref="JobRuleException">A service key does not parse.</exception>
    public static void Extend(LiveJob job, int parentTid, IReadOnlyList<CompiledTask> tasks, LimitsConfig? limits)
    {
        // The expansion was compiled alone, so its %ID(host) codes and -refersto name its own commands' -ids: one the job
        // already has would be two commands of one name, and the job's would be the one found.
        foreach (var c in tasks.SelectMany(t => t.Commands))
        {
            foreach (var id in HostIdsOf(c.Argv).Append(c.RefersTo))
                if (id is not null && job.CidById.TryGetValue(id, out var other))
                    throw new JobRuleException($"command {c.Cid} names the -id {id} (a %{id}(host) code or -refersto), which command {other} " +
                        "of the job already has: an expansion's commands name only -ids of its own, which no other command of the job has");
        }
        var parent = job.Shapes[parentTid - 1];
        job.Shapes[parentTid - 1] = parent with
        {
            Children = [.. parent.Children, .. tasks.Where(t => t.ParentTid == parentTid).Select(t => t.Tid)],
        };
        AddTasks(job, tasks, limits);
    }

    private static void AddTasks(LiveJob job, IReadOnlyList<CompiledTask> compiled, LimitsConfig? limits)
    {
        var jobService = Blank(job.Record.Service) ? null : job.Record.Service;
        var keys = new Dictionary<string, ServiceKey>(StringComparer.Ordinal);
        var tasks = new LiveTask[job.Tasks.Length + compiled.Count];
        Array.Copy(job.Tasks, tasks, job.Tasks.Length);
        foreach (var t in compiled)
        {
            if (t.Tid != job.Shapes.Count + 1)
                throw new JobRuleException($"task ids must follow on: expected T{job.Shapes.Count + 1}, got T{t.Tid}");
            var commands = new List<LiveCommand>(t.Commands.Count);
            foreach (var c in t.Commands)
            {
                var service = !Blank(c.Service) ? c.Service! : !Blank(t.Service) ? t.Service! : jobService ?? "";
                if (!keys.TryGetValue(service, out var key))
                {
                    // Named only when a key is new to the job, so the first command to use it is the one blamed.
                    var where = !Blank(c.Service) ? $"task {t.Tid} (\"{t.Title}\"), command {c.Cid}"
                        : !Blank(t.Service) ? $"task {t.Tid} (\"{t.Title}\")" : "the job";
                    keys[service] = key = Parse(service, where);
                }
                var atLeast = Math.Max(1, c.AtLeast ?? 1);
                var atMost = Math.Max(atLeast, c.AtMost ?? atLeast);
                var cls = ClassFor(job, key, c.Tags, atLeast, atMost, c.Kind == CommandKind.Local, limits);
                commands.Add(new LiveCommand(c.Cid, c.Argv, c.Kind, c.RunType, c.RetryRc, cls, c.EnvKey, c.Expand, c.SameHost)
                    { Tags = c.Tags, Id = c.Id, HostIds = HostIdsOf(c.Argv), RefersTo = c.RefersTo });
                job.MaxCid = Math.Max(job.MaxCid, c.Cid);
                if (c.Id is not null)
                    job.CidById.TryAdd(c.Id, c.Cid);
            }
            tasks[t.Tid] = new LiveTask(t.Tid, t.Title, commands);
            if (commands.Exists(c => c.RunType is CommandRunType.PostError or CommandRunType.PostAlways))
                job.ErrorPostscriptTid = t.Tid;
            // Jobs compiled before the cleanup task stopped naming the top tasks as Instances still have them stored: it
            // waits for them as the job's cleanup, so its why says that rather than "instanced task".
            var runsLast = JobCompiler.RunsLastOf(t);
            job.Shapes.Add(new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, runsLast == RunsLast.No ? t.InstanceOf : [])
                { RunsLast = runsLast });
        }
        job.Tasks = tasks;
        job.ClassesUnder = limits;
        job.Graph = new JobGraph(job.Shapes, job.RootSerial);
    }

    // The -ids a command line's %ID(host) codes name, each once; most lines have none and share the empty list.
    private static IReadOnlyList<string> HostIdsOf(IReadOnlyList<string> argv)
    {
        List<string>? ids = null;
        foreach (var word in argv)
            foreach (var code in CommandSubstitution.HostCodes(word))
                if (ids is null || !ids.Contains(code.Id))
                    (ids ??= []).Add(code.Id);
        return ids ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// The job's class for commands that ask this of a blade (made on first use): the limits its own tags and the job's
    /// name, under the service key.
    /// </summary>
    public static CommandClass ClassFor(LiveJob job, ServiceKey key, IReadOnlyList<string> tags, int atLeast, int atMost, bool local, LimitsConfig? limits)
    {
        var limitNames = limits is null ? []
            : LimitCounter.LimitNamesOf(tags.Concat(job.Record.Tags).Where(tag => !Blank(tag)).Select(tag => tag.Trim()), key, limits);
        return ClassFor(job, new CommandNeeds(key, limitNames, atLeast, atMost, local));
    }

    /// <summary>
    /// The class asking what <paramref name="cls"/> asks, on blade <paramref name="sameHostBlade"/> only: where a task whose
    /// next command is `-samehost 1` or `-refersto` waits, so only that blade's requests for work look at it;
    /// <paramref name="pinnedBy"/> says why (<see cref="CommandNeeds.PinnedBy"/>). Null gives the class itself.
    /// </summary>
    public static CommandClass OnBlade(LiveJob job, CommandClass cls, string? sameHostBlade, string? pinnedBy = null) =>
        cls.Needs.SameHostBlade == sameHostBlade && cls.Needs.PinnedBy == pinnedBy ? cls
            : ClassFor(job, cls.Needs with { SameHostBlade = sameHostBlade, PinnedBy = sameHostBlade is null ? null : pinnedBy });

    private static CommandClass ClassFor(LiveJob job, CommandNeeds needs)
    {
        var id = (needs.Service.Text, needs.Limits.Count == 0 ? "" : string.Join('\u0001', needs.Limits), needs.AtLeast, needs.AtMost,
            needs.EngineHostOnly, needs.SameHostBlade, needs.PinnedBy);
        if (!job.ClassIndex.TryGetValue(id, out var cls))
        {
            job.ClassIndex[id] = cls = new CommandClass(job.Classes.Count, needs);
            job.Classes.Add(cls);
        }
        return cls;
    }

    /// <summary>
    /// Rebuilds a job from its database rows, read back as the compiled tasks they were made from (children in tid
    /// order, commands in cid order, as they were compiled), and lays the rows' task and command states over it. A
    /// task's current invocation is laid over later, with the farm's (<see cref="LiveFarm.Replace"/>).
    /// </summary>
    /// <exception cref="JobRuleException">The rows do not make a job: task ids with a gap, a command of a task the job
    /// does not have, a service key that does not parse.</exception>
    public static LiveJob FromRows(UnfinishedJob rows, int tierRank, LimitsConfig? limits)
    {
        // One pass groups the rows by task; a farm of 100,000 tasks is rebuilt this way at every engine start.
        var taskRows = InTidOrder(rows.Tasks);
        var count = taskRows.Count;
        for (var i = 0; i < count; i++)
            if (taskRows[i].Tid != i + 1)
                throw new JobRuleException($"task ids must follow on: expected T{i + 1}, got T{taskRows[i].Tid}");
        var commandRows = new List<CommandRecord>?[count + 1];
        foreach (var c in rows.Commands)
        {
            if (c.Tid < 1 || c.Tid > count)
                throw new JobRuleException($"command {c.Cid} belongs to task {c.Tid}, which the job does not have");
            (commandRows[c.Tid] ??= []).Add(c);
        }
        var children = new List<int>?[count + 1];
        foreach (var t in taskRows)
            if (t.ParentTid >= 1 && t.ParentTid <= count)
                (children[t.ParentTid] ??= []).Add(t.Tid);

        var compiled = new List<CompiledTask>(count);
        var latestBlades = new List<(int Cid, string Blade)>();
        foreach (var t in taskRows)
        {
            var records = commandRows[t.Tid] ?? [];
            if (!IsInCidOrder(records))
                records.Sort(static (x, y) => x.Cid.CompareTo(y.Cid));
            var commands = new CompiledCommand[records.Count];
            for (var i = 0; i < commands.Length; i++)
            {
                var c = records[i];
                commands[i] = new CompiledCommand(c.Cid, c.Tid, c.Argv, CommandNames.ParseKind(c.Kind), CommandNames.ParseRunType(c.RunType),
                    c.Service, c.Expand, c.RetryRc)
                {
                    Tags = c.Tags,
                    AtLeast = c.AtLeast,
                    AtMost = c.AtMost,
                    EnvKey = c.EnvKey,
                    SameHost = c.SameHost,
                    Id = c.Id,
                    RefersTo = c.RefersTo,
                };
                if (c.LatestRunBlade is { } blade)
                    latestBlades.Add((c.Cid, blade));
            }
            compiled.Add(new CompiledTask(t.Tid, t.ParentTid, t.Title, t.Id, t.Service, t.SerialSubtasks,
                (IReadOnlyList<int>?)children[t.Tid] ?? [], t.InstanceOf, commands));
        }
        var job = Build(rows.Job, compiled, rows.RootSerial, tierRank, limits);
        // What %ID(host) codes give across a restart: the blade of the stored latest run of each command with an -id.
        foreach (var (cid, blade) in latestBlades)
            job.LatestBladeByCid[cid] = blade;

        var done = 0;
        foreach (var t in taskRows)
        {
            var task = job.Tasks[t.Tid];
            task.State = t.State;
            task.RetryCount = t.RetryCount;
            var records = commandRows[t.Tid] ?? [];
            var next = records.FindIndex(static c => !c.State.IsFinished());
            task.NextCommand = next < 0 ? records.Count : next;
            // What a -samehost command stays on across a restart: the stored latest run of the command just before it.
            if (next > 0 && records[next].PreviousRun is { } previous && previous.Cid == records[next - 1].Cid)
                task.LastRun = (next - 1, previous.Blade);
            if (task.State == TaskState.Done)
                done++;
            else if (task.State == TaskState.Error)
                job.ErrorCount++;
        }
        job.DoneCount = done;
        job.Started = job.Record.StartTimeMs is not null;
        return job;
    }

    // The store reads tasks in tid order; anything else is sorted rather than trusted.
    private static IReadOnlyList<TaskRecord> InTidOrder(IReadOnlyList<TaskRecord> tasks)
    {
        for (var i = 1; i < tasks.Count; i++)
            if (tasks[i - 1].Tid >= tasks[i].Tid)
                return [.. tasks.OrderBy(t => t.Tid)];
        return tasks;
    }

    private static bool IsInCidOrder(List<CommandRecord> commands)
    {
        for (var i = 1; i < commands.Count; i++)
            if (commands[i - 1].Cid >= commands[i].Cid)
                return false;
        return true;
    }

    /// <exception cref="JobRuleException">The expression does not parse.</exception>
    public static ServiceKey Parse(string? text, string where)
    {
        var parsed = ServiceKey.Parse(text);
        return parsed.Key ?? throw new JobRuleException($"bad service key {{{text}}} on {where}: {parsed.Error}");
    }

    private static bool Blank(string? text) => string.IsNullOrWhiteSpace(text) || text.Trim() is "\"\"";
}
