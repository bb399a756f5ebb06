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
        var jobService = Blank(record.Service) ? spec.Service : record.Service;
        var classes = new Dictionary<string, CommandClass>(StringComparer.Ordinal);
        var tasks = new LiveTask[compiled.Tasks.Count + 1];
        tasks[0] = new LiveTask(0, "", []);
        foreach (var t in compiled.Tasks)
        {
            var commands = new List<LiveCommand>(t.Commands.Count);
            foreach (var c in t.Commands)
            {
                var service = !Blank(c.Service) ? c.Service : !Blank(t.Service) ? t.Service : jobService;
                var key = Parse(service, $"task {t.Tid} (\"{t.Title}\"), command {c.Cid}");
                var atLeast = Math.Max(1, c.AtLeast ?? spec.AtLeast ?? 1);
                var atMost = Math.Max(atLeast, c.AtMost ?? spec.AtMost ?? atLeast);
                var tags = c.Tags.Concat(record.Tags).Where(tag => !Blank(tag)).Select(tag => tag.Trim());
                var limitNames = limits is null ? [] : LimitCounter.LimitNamesOf(tags, key, limits);
                var local = c.Kind == CommandKind.Local;
                var id = $"{key.Text}\u0001{string.Join('\u0002', limitNames)}\u0001{atLeast}\u0001{atMost}\u0001{local}";
                if (!classes.TryGetValue(id, out var cls))
                    classes[id] = cls = new CommandClass(classes.Count, new CommandNeeds(key, limitNames, atLeast, atMost, local));
                var envKeys = c.EnvKey.Concat(spec.EnvKey).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).ToList();
                commands.Add(new LiveCommand(c.Cid, c.Argv, c.Kind, c.RunType, c.RetryRc, cls, envKeys));
            }
            tasks[t.Tid] = new LiveTask(t.Tid, t.Title, commands);
        }
        var graph = new JobGraph(
            compiled.Tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf)).ToList(),
            spec.SerialSubtasks);
        return new LiveJob(record, graph, tasks, [.. classes.Values], tierRank);
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
