using System.Globalization;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;

namespace Furrow.Client.Authoring;

/// <summary>
/// Turns a <see cref="Job"/> into the <see cref="JobSpec"/> Furrow's parser would read from its alfred text, refusing
/// as it goes each value that text could not carry or the engine would refuse. Whole-job rules (Instances, the
/// dependency graph, unsupported options) are left to <see cref="JobChecks"/>, which needs the finished spec.
/// </summary>
internal sealed class JobSpecBuilder
{
    private readonly Dictionary<JobTask, int> _tids = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, JobTask> _taskIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _commandIds = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _instancesUnder = [];

    /// <summary>Each Instance made from a task, where it was put: its parent's tid (0 for the job) and its place among that parent's Instances.</summary>
    public List<InstanceUse> Instances { get; } = [];

    /// <summary>The tid Furrow's compiler will give each task: depth-first, a task before its subtasks, as <see cref="Core.Jobs.JobCompiler"/> numbers them.</summary>
    public IReadOnlyDictionary<JobTask, int> Tids => _tids;

    public JobSpec Build(Job job)
    {
        var where = $"job \"{job.Title}\"";
        var spec = new JobSpec
        {
            Title = Title(job.Title, "job"),
            Priority = job.Priority is { } priority && JobPriority.Refusal(priority) is { } badPriority
                ? throw Refuse($"{where}: -{badPriority}")
                : job.Priority,
            Service = ServiceKeyText(job.Service, where),
            EnvKey = Texts(job.EnvKey, where, "-envkey"),
            Tags = Texts(job.Tags, where, "-tags"),
            Projects = Texts(job.Projects, where, "-projects"),
            Crews = Texts(job.Crews, where, "-crews"),
            Tier = Key(job.Tier, where, "-tier"),
            Paused = job.Paused ? true : null,
            MaxActive = job.MaxActive,
            AtLeast = job.AtLeast,
            AtMost = job.AtMost,
            SerialSubtasks = job.SerialSubtasks,
            After = AfterText(job.After, where),
            AfterJids = AfterJids(job.AfterJids, where),
            Comment = Optional(job.Comment, where, "-comment"),
            Metadata = Optional(job.Metadata, where, "-metadata"),
            SpoolCwd = Optional(job.SpoolCwd, where, "-spoolcwd"),
            DirMaps = DirMaps(job.DirMaps, where),
        };
        spec.Subtasks = Nodes(job.Subtasks, 0, where);
        spec.Cleanup = Commands(job.Cleanup, "the job's -cleanup");
        spec.Postscript = Commands(job.Postscript, "the job's -postscript");
        foreach (var use in Instances)
        {
            if (!_tids.ContainsKey(use.Target))
            {
                throw Refuse($"{use.Where}: Instance {{{use.Name}}} was made from {use.Target.Describe()}, which is not part of this job; " +
                    "add that task to the job's tree, or make the Instance from the name of a task that is");
            }
        }

        return spec;
    }

    private List<TaskNode> Nodes(IEnumerable<Subtask> nodes, int parentTid, string where)
    {
        var result = new List<TaskNode>();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case JobTask task:
                    result.Add(Task(task));
                    break;
                case Instance instance:
                    var name = Text(instance.Name, where, "an Instance's name");
                    if (name.Length == 0)
                        throw Refuse($"{where}: an Instance needs the title or id of the task it refers to");
                    var ordinal = _instancesUnder.GetValueOrDefault(parentTid);
                    _instancesUnder[parentTid] = ordinal + 1;
                    if (instance.Target is { } target)
                        Instances.Add(new InstanceUse(parentTid, ordinal, target, name, where));
                    result.Add(new InstanceSpec { Title = name });
                    break;
                case Iterate iterate:
                    // Alfred's Iterate is expanded as it is read, so its subtasks stand in its place.
                    result.AddRange(Nodes(iterate.Expanded, parentTid, where));
                    break;
            }
        }

        return result;
    }

    private TaskSpec Task(JobTask task)
    {
        var tid = _tids.Count + 1;
        _tids.Add(task, tid);
        var where = $"task T{tid} \"{task.Title}\"";
        var spec = new TaskSpec
        {
            Title = Title(task.Title, $"task T{tid}"),
            Id = Key(task.Id, where, "-id"),
            Service = ServiceKeyText(task.Service, where),
            AtLeast = task.AtLeast,
            AtMost = task.AtMost,
            SerialSubtasks = task.SerialSubtasks,
            Metadata = Optional(task.Metadata, where, "-metadata"),
            Chaser = Texts(task.Chaser, where, "-chaser"),
            Preview = Texts(task.Preview, where, "-preview"),
        };
        if (spec.Id is { } id && !_taskIds.TryAdd(id, task))
            throw Refuse($"{where}: -id {{{id}}} is already the id of {_taskIds[id].Describe()}; an Instance could not tell them apart");
        spec.Commands = Commands(task.Commands, where);
        spec.Cleanup = Commands(task.Cleanup, $"{where}, -cleanup");
        spec.Subtasks = Nodes(task.Subtasks, tid, where);
        return spec;
    }

    private List<CommandSpec> Commands(List<Command> commands, string where)
    {
        var result = new List<CommandSpec>(commands.Count);
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i] ?? throw Refuse($"{where}: command {i + 1} is null");
            result.Add(Command(command, $"{where}, command {i + 1}"));
        }

        return result;
    }

    private CommandSpec Command(Command command, string at)
    {
        if (command.Argv.Count == 0)
            throw Refuse($"{at}: the command line is empty; give the program and its arguments in Argv");
        var where = $"{at} (\"{command.Argv[0]}\")";
        var spec = new CommandSpec
        {
            Kind = command.Local ? CommandKind.Local : CommandKind.Remote,
            Keyword = command.Local ? "Cmd" : "RemoteCmd",
            Argv = Texts(command.Argv, where, "the command line"),
            Service = ServiceKeyText(command.Service, where),
            Tags = Texts(command.Tags, where, "-tags"),
            EnvKey = Texts(command.EnvKey, where, "-envkey"),
            Id = Key(command.Id, where, "-id"),
            RefersTo = Key(command.RefersTo, where, "-refersto"),
            Msg = Optional(command.Msg, where, "-msg"),
            Expand = command.Expand,
            SameHost = command.SameHost,
            RetryRc = [.. command.RetryRc],
            AtLeast = command.AtLeast,
            AtMost = command.AtMost,
            When = command.When switch
            {
                null => null,
                PostscriptWhen.Done => "done",
                PostscriptWhen.Error => "error",
                PostscriptWhen.Always => "always",
                _ => throw Refuse($"{where}: -when {command.When} is not one of done, error, always"),
            },
            Metadata = Optional(command.Metadata, where, "-metadata"),
        };
        if (spec.Id is { } id && !_commandIds.TryAdd(id, where))
            throw Refuse($"{where}: -id {{{id}}} is already the id of {_commandIds[id]}; command ids must be unique within the job");
        return spec;
    }

    private static string Title(string? title, string what)
    {
        if (string.IsNullOrWhiteSpace(title))
            throw Refuse($"{what} has no title; Furrow lists jobs and tasks by title, and Instances find tasks by it");
        return Text(title, what, "the title");
    }

    /// <summary>Free text where empty means none, as alfred reads <c>-comment {}</c>.</summary>
    private static string? Optional(string? text, string where, string option) =>
        string.IsNullOrEmpty(text) ? null : Text(text, where, option);

    /// <summary>
    /// A key (id, tier, refersto): alfred reads keys without surrounding blanks or one pair of double quotes, so a key
    /// that has them would come back different. Empty means none.
    /// </summary>
    private static string? Key(string? key, string where, string option)
    {
        if (string.IsNullOrEmpty(key))
            return null;
        Text(key, where, option);
        if (key.Trim().Length != key.Length)
            throw Refuse($"{where}: {option} {{{key}}} begins or ends with blanks, which alfred drops when it reads a key");
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"')
            throw Refuse($"{where}: {option} {{{key}}} is wrapped in double quotes, which alfred drops when it reads a key");
        return key;
    }

    private static string? ServiceKeyText(string? service, string where)
    {
        var key = Key(service, where, "-service");
        if (key is not null && ServiceKey.Parse(key).Error is { } error)
            throw Refuse($"{where}: -service {{{key}}} is not a service key expression Furrow can match: {error}");
        return key;
    }

    private static string? AfterText(DateTime? after, string where)
    {
        if (after is not { } when)
            return null;
        if (when.Kind == DateTimeKind.Utc)
            throw Refuse($"{where}: -after is a UTC time, but the engine reads -after as wall-clock time in its own time zone; convert it to that zone first");

        // A form Furrow's -after reader takes besides Tractor's "month day hour:minute", with the year and seconds kept.
        return when.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    private static List<int> AfterJids(List<long> jids, string where)
    {
        var result = new List<int>(jids.Count);
        foreach (var jid in jids)
        {
            result.Add(jid is >= 1 and <= int.MaxValue
                ? (int)jid
                : throw Refuse($"{where}: -afterjids holds {jid}, but job ids in a job script are 1 to {int.MaxValue}"));
        }

        return result;
    }

    private static List<DirMap> DirMaps(List<DirMap> maps, string where)
    {
        foreach (var map in maps)
        {
            if (map is null)
                throw Refuse($"{where}: -dirmaps holds a null entry");
            Text(map.From, where, "a -dirmaps path");
            Text(map.To, where, "a -dirmaps path");
            Text(map.Zone, where, "a -dirmaps zone");
        }

        return [.. maps];
    }

    private static List<string> Texts(List<string> items, string where, string option)
    {
        foreach (var item in items)
            Text(item, where, option);
        return [.. items];
    }

    /// <summary>
    /// Text a script can carry: a job script is UTF-8 without NUL (<see cref="ScriptText"/>), so a NUL or a lone
    /// surrogate (which UTF-8 cannot encode) would be refused or changed on the way to the engine.
    /// </summary>
    private static string Text(string? text, string where, string what)
    {
        if (text is null)
            throw Refuse($"{where}: {what} holds a null string");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                throw Refuse($"{where}: {what} holds a NUL character (at {i}), which a job script cannot carry");
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                throw Refuse($"{where}: {what} holds half of a UTF-16 surrogate pair (at {i}), which is not text UTF-8 can carry");
        }

        return text;
    }

    private static InvalidJobException Refuse(string message) => new(message);
}
