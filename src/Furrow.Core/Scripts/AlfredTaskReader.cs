using System.Globalization;
using System.Runtime.CompilerServices;
using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Reads task trees (<c>-subtasks</c>): Task, Instance, and Iterate, which is expanded here as Tractor expands it at spool.</summary>
internal sealed class AlfredTaskReader
{
    private static readonly string[] Keywords = ["Task", "Instance", "Iterate"];

    private static readonly string[] TaskOptions =
    [
        "-title", "-id", "-service", "-atleast", "-atmost", "-cmds", "-chaser", "-preview", "-serialsubtasks",
        "-resumeblock", "-cleanup", "-subtasks", "-metadata",
    ];

    private static readonly string[] InstanceOptions = ["-title"];

    private static readonly string[] IterateOptions = ["-from", "-frm", "-to", "-by", "-template", "-subtasks"];

    private readonly AlfredValues _values;
    private readonly AlfredCommandReader _commands;
    private int _taskCount;

    public AlfredTaskReader(AlfredValues values, AlfredCommandReader commands)
    {
        _values = values;
        _commands = commands;
    }

    /// <param name="script">The word holding the task commands.</param>
    /// <param name="depth">Brace depth of that word.</param>
    public List<TaskNode> ReadList(TclWord script, int depth)
    {
        // Depth is bounded by MaxDepth already; this only turns a too-small thread stack into an error, not a crash.
        RuntimeHelpers.EnsureSufficientExecutionStack();
        return ReadCommands(_values.Script(script, depth), depth, "-subtasks");
    }

    /// <summary>Reads `Task`, `Instance` and `Iterate` commands from <paramref name="lexer"/> until it ends.</summary>
    /// <param name="where">Where the commands are, for messages (`-subtasks`, `expand output`).</param>
    public List<TaskNode> ReadCommands(TclLexer lexer, int depth, string where)
    {
        var words = new List<TclWord>();
        var nodes = new List<TaskNode>();
        while (lexer.NextCommand(words))
        {
            if (words.Count == 0)
            {
                continue;
            }

            var keyword = _values.Text(words[0], depth + 1);
            switch (keyword)
            {
                case "Task":
                    nodes.Add(ReadTask(words, depth + 1));
                    break;
                case "Instance":
                    nodes.Add(ReadInstance(words, depth + 1));
                    break;
                case "Iterate":
                    ReadIterate(words, depth + 1, nodes);
                    break;
                default:
                    throw words[0].Source.Fail(
                        words[0].Start, $"unknown command `{keyword}` in {where}; expected one of: {string.Join(", ", Keywords)}");
            }
        }

        return nodes;
    }

    private void CountTask(TclWord at)
    {
        if (++_taskCount > _values.Limits.MaxTasks)
        {
            throw at.Source.Fail(at.Start, $"job has more than {_values.Limits.MaxTasks} tasks");
        }
    }

    private TaskSpec ReadTask(List<TclWord> words, int depth)
    {
        CountTask(words[0]);
        var task = new TaskSpec();
        _values.Places.Add(task, "", words[0]);
        TclWord? title = null;
        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.IsOptionName)
            {
                task.Title = TakeTitle(ref title, word, depth);
                continue;
            }

            var value = AlfredValues.TakeOptionValue(words, ref i, "Task");
            switch (word.RawText)
            {
                case "-title":
                    task.Title = TakeTitle(ref title, value, depth);
                    break;
                case "-id":
                    task.Id = _values.Key(value, depth);
                    break;
                case "-service":
                    _values.Places.Add(task, "service", word);
                    task.Service = _values.Key(value, depth);
                    break;
                case "-atleast":
                    _values.Places.Add(task, "atleast", word);
                    task.AtLeast = _values.Int(value, depth);
                    break;
                case "-atmost":
                    _values.Places.Add(task, "atmost", word);
                    task.AtMost = _values.Int(value, depth);
                    break;
                case "-cmds":
                    task.Commands = _commands.ReadList(value, depth, "-cmds");
                    break;
                case "-chaser":
                    task.Chaser = _values.Argv(value, depth);
                    break;
                case "-preview":
                    task.Preview = _values.Argv(value, depth);
                    break;
                case "-serialsubtasks":
                    task.SerialSubtasks = _values.Bool(value, depth);
                    break;
                case "-resumeblock":
                    _values.Places.Add(task, "resumeblock", word);
                    task.ResumeBlock = _values.Bool(value, depth);
                    break;
                case "-cleanup":
                    task.Cleanup = _commands.ReadList(value, depth, "-cleanup");
                    break;
                case "-subtasks":
                    task.Subtasks = ReadList(value, depth);
                    break;
                case "-metadata":
                    task.Metadata = _values.OptionalText(value, depth);
                    break;
                default:
                    throw AlfredValues.UnknownOption(word, "Task", TaskOptions);
            }
        }

        return task;
    }

    private string TakeTitle(ref TclWord? seen, TclWord word, int depth)
    {
        if (seen is { } first)
        {
            throw word.Source.Fail(
                word.Start, $"expected an option, found {word.Describe()}: the title was already given at {first.Source.Where(first.Start)}");
        }

        seen = word;
        return _values.Text(word, depth);
    }

    private InstanceSpec ReadInstance(List<TclWord> words, int depth)
    {
        CountTask(words[0]);
        var instance = new InstanceSpec();
        _values.Places.Add(instance, "", words[0]);
        TclWord? title = null;
        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.IsOptionName)
            {
                instance.Title = TakeTitle(ref title, word, depth);
                continue;
            }

            var value = AlfredValues.TakeOptionValue(words, ref i, "Instance");
            instance.Title = word.RawText == "-title"
                ? TakeTitle(ref title, value, depth)
                : throw AlfredValues.UnknownOption(word, "Instance", InstanceOptions);
        }

        return title is null || instance.Title.Length == 0
            ? throw words[0].Source.Fail(words[0].Start, "Instance needs the title of the task it refers to, such as Instance {render frame 1}")
            : instance;
    }

    private void ReadIterate(List<TclWord> words, int depth, List<TaskNode> into)
    {
        string? variable = null;
        TclWord? from = null, to = null, by = null, template = null, subtasks = null;
        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.IsOptionName)
            {
                variable = variable is null
                    ? _values.Text(word, depth)
                    : throw word.Source.Fail(word.Start, $"expected an option of Iterate, found {word.Describe()}: the variable is already `{variable}`");
                continue;
            }

            var value = AlfredValues.TakeOptionValue(words, ref i, "Iterate");
            switch (word.RawText)
            {
                case "-from" or "-frm": from = value; break;
                case "-to": to = value; break;
                case "-by": by = value; break;
                case "-template": template = value; break;
                case "-subtasks": subtasks = value; break;
                default: throw AlfredValues.UnknownOption(word, "Iterate", IterateOptions);
            }
        }

        if (variable is null || from is null || to is null || template is null)
        {
            throw words[0].Source.Fail(words[0].Start, "Iterate needs a variable, -from, -to and -template, such as Iterate frame -from 1 -to 10 -template {Task ...}");
        }

        var first = _values.Long(from.Value, depth);
        var last = _values.Long(to.Value, depth);
        var step = by is { } byWord ? _values.Long(byWord, depth) : 1;
        if (step == 0)
        {
            throw by!.Value.Source.Fail(by.Value.Start, "Iterate -by must not be 0");
        }

        var count = (step > 0 ? last >= first : last <= first) ? (((decimal)last - first) / step) + 1 : 0;
        if (count > _values.Limits.MaxTasks)
        {
            throw words[0].Source.Fail(words[0].Start, $"Iterate would make {Math.Floor(count)} copies of its template; a job may have at most {_values.Limits.MaxTasks} tasks");
        }

        // The template is read once per value with the variable set, as Tcl would evaluate it; the variable's
        // previous value (from Assign or an outer Iterate) comes back afterwards.
        var hadPrevious = _values.Evaluator.TryGetVariable(variable, out var previous);
        for (var n = 0L; n < (long)count; n++)
        {
            _values.Evaluator.SetVariable(variable, (first + (n * step)).ToString(CultureInfo.InvariantCulture));
            into.AddRange(ReadList(template.Value, depth));
        }

        if (hadPrevious)
        {
            _values.Evaluator.SetVariable(variable, previous);
        }
        else
        {
            _values.Evaluator.UnsetVariable(variable);
        }

        if (subtasks is { } sub)
        {
            into.AddRange(ReadList(sub, depth));
        }
    }
}
