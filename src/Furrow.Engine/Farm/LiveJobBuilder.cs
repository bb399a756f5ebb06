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
/// laid over it with <see cref="ApplyRows"/>), or grows by an `-expand`.
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
                var (service, where) = !Blank(c.Service) ? (c.Service!, $"task {t.Tid} (\"{t.Title}\"), command {c.Cid}")
                    : !Blank(t.Service) ? (t.Service!, $"task {t.Tid} (\"{t.Title}\")")
                    : (jobService ?? "", "the job");
                if (!keys.TryGetValue(service, out var key))
                    keys[service] = key = Parse(service, where);
                var atLeast = Math.Max(1, c.AtLeast ?? 1);
                var atMost = Math.Max(atLeast, c.AtMost ?? atLeast);
                var limitNames = limits is null ? []
                    : LimitCounter.LimitNamesOf(c.Tags.Concat(job.Record.Tags).Where(tag => !Blank(tag)).Select(tag => tag.Trim()), key, limits);
                var local = c.Kind == CommandKind.Local;
                var id = (key.Text, limitNames.Count == 0 ? "" : string.Join('\u0001', limitNames), atLeast, atMost, local);
                if (!job.ClassIndex.TryGetValue(id, out var cls))
                {
                    job.ClassIndex[id] = cls = new CommandClass(job.Classes.Count, new CommandNeeds(key, limitNames, atLeast, atMost, local));
                    job.Classes.Add(cls);
                }
                commands.Add(new LiveCommand(c.Cid, c.Argv, c.Kind, c.RunType, c.RetryRc, cls, c.EnvKey, c.Expand));
                job.MaxCid = Math.Max(job.MaxCid, c.Cid);
            }
            tasks[t.Tid] = new LiveTask(t.Tid, t.Title, commands);
            job.Shapes.Add(new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf));
        }
        job.Tasks = tasks;
        job.Graph = new JobGraph(job.Shapes, job.RootSerial);
    }

    /// <summary>A job's rows as the compiled tasks they were made from (children in tid order, as they were compiled).</summary>
    public static List<CompiledTask> TasksFromRows(UnfinishedJob rows)
    {
        var commandsByTask = rows.Commands.ToLookup(c => c.Tid);
        var childrenByParent = rows.Tasks.ToLookup(t => t.ParentTid, t => t.Tid);
        return rows.Tasks.OrderBy(t => t.Tid).Select(t => new CompiledTask(t.Tid, t.ParentTid, t.Title, t.Id, t.Service, t.SerialSubtasks,
            [.. childrenByParent[t.Tid].Order()], t.InstanceOf,
            [.. commandsByTask[t.Tid].OrderBy(c => c.Cid).Select(c => new CompiledCommand(c.Cid, c.Tid, c.Argv, CommandNames.ParseKind(c.Kind),
                CommandNames.ParseRunType(c.RunType), c.Service, c.Expand, c.RetryRc)
            {
                Tags = c.Tags,
                AtLeast = c.AtLeast,
                AtMost = c.AtMost,
                EnvKey = c.EnvKey,
            })])).ToList();
    }

    /// <summary>Lays the database's task and command states over a freshly built job; returns why when they do not fit it.</summary>
    public static string? ApplyRows(LiveJob job, UnfinishedJob rows, IReadOnlyDictionary<(long, int), InvocationRecord> running)
    {
        if (rows.Tasks.Count != job.Tasks.Length - 1)
            return $"job {job.Jid} has {rows.Tasks.Count} task rows but its script compiles to {job.Tasks.Length - 1} tasks";
        var commandsByTask = rows.Commands.ToLookup(c => c.Tid);
        var done = 0;
        foreach (var t in rows.Tasks)
        {
            if (t.Tid < 1 || t.Tid >= job.Tasks.Length)
                return $"job {job.Jid} has a row for task {t.Tid}, which its script does not have";
            var task = job.Tasks[t.Tid];
            task.State = t.State;
            task.RetryCount = t.RetryCount;
            var records = commandsByTask[t.Tid].OrderBy(c => c.Cid).ToList();
            if (records.Count != task.Commands.Count)
                return $"job {job.Jid} task {t.Tid} has {records.Count} command rows but its script has {task.Commands.Count}";
            if (running.TryGetValue((t.Jid, t.Tid), out var invocation))
            {
                task.RunningIid = invocation.Iid;
                task.NextCommand = records.FindIndex(c => c.Cid == invocation.Cid) + 1;
            }
            else
            {
                var next = records.FindIndex(c => !c.State.IsFinished());
                task.NextCommand = next < 0 ? records.Count : next;
            }
            if (task.State == TaskState.Done)
                done++;
        }
        job.DoneCount = done;
        job.Started = job.Record.StartTimeMs is not null;
        return null;
    }

    /// <exception cref="JobRuleException">The expression does not parse.</exception>
    public static ServiceKey Parse(string? text, string where)
    {
        var parsed = ServiceKey.Parse(text);
        return parsed.Key ?? throw new JobRuleException($"bad service key {{{text}}} on {where}: {parsed.Error}");
    }

    private static bool Blank(string? text) => string.IsNullOrWhiteSpace(text) || text.Trim() is "\"\"";
}
