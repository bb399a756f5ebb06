using Furrow.Core.Config;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>A job script asks for something the site cannot schedule (a malformed service key, an unknown tier ...).</summary>
internal sealed class JobRuleException(string message) : Exception(message);

/// <summary>
/// Builds the scheduler's view of a job from its compiled form: the one way a live job is made, whether it was just
/// spooled or is reloaded from the database (which then lays the stored states over it with <see cref="ApplyRows"/>).
/// </summary>
internal static class LiveJobBuilder
{
    /// <exception cref="JobRuleException">A service key does not parse.</exception>
    public static LiveJob Build(JobRecord record, CompiledJob compiled, int tierRank, LimitsConfig? limits)
    {
        var spec = compiled.Spec;
        var defaults = new JobDefaults(Blank(record.Service) ? spec.Service : record.Service, spec.AtLeast, spec.AtMost,
            spec.EnvKey.Select(k => k.Trim()).Where(k => k.Length > 0).ToList(), spec.SerialSubtasks);
        var job = new LiveJob(record, defaults, tierRank);
        AddTasks(job, compiled.Tasks, limits);
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
        job.ExpansionCount++;
    }

    private static void AddTasks(LiveJob job, IReadOnlyList<CompiledTask> compiled, LimitsConfig? limits)
    {
        var defaults = job.Defaults;
        var tasks = new LiveTask[job.Tasks.Length + compiled.Count];
        Array.Copy(job.Tasks, tasks, job.Tasks.Length);
        foreach (var t in compiled)
        {
            if (t.Tid != job.Shapes.Count + 1)
                throw new JobRuleException($"task ids must follow on: expected T{job.Shapes.Count + 1}, got T{t.Tid}");
            var commands = new List<LiveCommand>(t.Commands.Count);
            foreach (var c in t.Commands)
            {
                var service = !Blank(c.Service) ? c.Service : !Blank(t.Service) ? t.Service : defaults.Service;
                var key = Parse(service, $"task {t.Tid} (\"{t.Title}\"), command {c.Cid}");
                var atLeast = Math.Max(1, c.AtLeast ?? defaults.AtLeast ?? 1);
                var atMost = Math.Max(atLeast, c.AtMost ?? defaults.AtMost ?? atLeast);
                var tags = c.Tags.Concat(job.Record.Tags).Where(tag => !Blank(tag)).Select(tag => tag.Trim());
                var limitNames = limits is null ? [] : LimitCounter.LimitNamesOf(tags, key, limits);
                var local = c.Kind == CommandKind.Local;
                var id = $"{key.Text}\u0001{string.Join('\u0002', limitNames)}\u0001{atLeast}\u0001{atMost}\u0001{local}";
                if (!job.ClassIndex.TryGetValue(id, out var cls))
                {
                    job.ClassIndex[id] = cls = new CommandClass(job.Classes.Count, new CommandNeeds(key, limitNames, atLeast, atMost, local));
                    job.Classes.Add(cls);
                }
                var envKeys = c.EnvKey.Select(k => k.Trim()).Where(k => k.Length > 0).Concat(defaults.EnvKeys).Distinct(StringComparer.Ordinal).ToList();
                commands.Add(new LiveCommand(c.Cid, c.Argv, c.Kind, c.RunType, c.RetryRc, cls, envKeys, c.Expand));
                job.MaxCid = Math.Max(job.MaxCid, c.Cid);
            }
            tasks[t.Tid] = new LiveTask(t.Tid, t.Title, commands);
            job.Shapes.Add(new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf));
        }
        job.Tasks = tasks;
        job.Graph = new JobGraph(job.Shapes, defaults.RootSerial);
    }

    /// <summary>Lays the database's task and command states over a freshly built job; returns false when they do not fit it.</summary>
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
