using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Reads the <c>Job</c> command: its options, its <c>-init</c> assignments and, through the other readers, its task tree.</summary>
internal sealed class AlfredJobReader
{
    private static readonly string[] Options =
    [
        "-title", "-service", "-envkey", "-tags", "-priority", "-crews", "-projects", "-project", "-tier", "-after",
        "-afterjids", "-paused", "-pause", "-maxactive", "-atleast", "-atmost", "-serialsubtasks", "-subtasks", "-cleanup",
        "-init", "-postscript", "-comment", "-metadata", "-dirmaps", "-spoolcwd", "-editpolicy", "-etalevel", "-pbias",
        "-whendone", "-whenerror",
    ];

    private readonly AlfredValues _values;
    private readonly AlfredCommandReader _commands;
    private readonly AlfredTaskReader _tasks;

    public AlfredJobReader(AlfredValues values)
    {
        _values = values;
        _commands = new AlfredCommandReader(values);
        _tasks = new AlfredTaskReader(values, _commands);
    }

    public JobSpec Read(List<TclWord> words, int depth)
    {
        var job = new JobSpec { Places = _values.Places };
        _values.Places.Add(job, "", words[0]);

        // Job evaluates -init first wherever it is written, so its variables are set for every other option.
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i].IsOptionName && i + 1 < words.Count && words[i].RawText == "-init")
            {
                job.Assignments = ReadInit(words[i + 1], depth);
            }

            if (words[i].IsOptionName)
            {
                i++;
            }
        }

        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.IsOptionName)
            {
                throw word.Source.Fail(word.Start, $"expected an option of Job such as -title, found {word.Describe()}");
            }

            var value = AlfredValues.TakeOptionValue(words, ref i, "Job");
            _values.Places.Add(job, word.RawText[1..], word);
            ReadOption(job, word, value, depth);
        }

        return job;
    }

    private void ReadOption(JobSpec job, TclWord name, TclWord value, int depth)
    {
        switch (name.RawText)
        {
            case "-title": job.Title = _values.Text(value, depth); break;
            case "-service": job.Service = _values.Key(value, depth); break;
            case "-envkey": job.EnvKey = _values.List(value, depth); break;
            case "-tags": job.Tags = _values.List(value, depth); break;
            case "-priority": job.Priority = _values.Double(value, depth); break;
            case "-crews": job.Crews = _values.List(value, depth); break;
            case "-projects" or "-project": job.Projects = _values.List(value, depth); break;
            case "-tier": job.Tier = _values.Key(value, depth); break;
            case "-after": job.After = _values.OptionalText(value, depth)?.Trim(); break;
            case "-afterjids": job.AfterJids = _values.IntList(value, depth); break;
            case "-paused" or "-pause": job.Paused = _values.Bool(value, depth); break;
            case "-maxactive": job.MaxActive = _values.Int(value, depth); break;
            case "-atleast": job.AtLeast = _values.Int(value, depth); break;
            case "-atmost": job.AtMost = _values.Int(value, depth); break;
            case "-serialsubtasks": job.SerialSubtasks = _values.Bool(value, depth); break;
            case "-subtasks": job.Subtasks = _tasks.ReadList(value, depth); break;
            case "-cleanup": job.Cleanup = _commands.ReadList(value, depth, "-cleanup"); break;
            case "-postscript": job.Postscript = _commands.ReadList(value, depth, "-postscript"); break;
            case "-init": break;
            case "-comment": job.Comment = _values.OptionalText(value, depth); break;
            case "-metadata": job.Metadata = _values.OptionalText(value, depth); break;
            case "-dirmaps": job.DirMaps = ReadDirMaps(value, depth); break;
            case "-spoolcwd": job.SpoolCwd = _values.OptionalText(value, depth); break;
            case "-editpolicy" or "-etalevel" or "-pbias" or "-whendone" or "-whenerror":
                job.Kept.Add(new KeptOption(name.RawText[1..], _values.Text(value, depth)));
                break;
            default:
                throw AlfredValues.UnknownOption(name, "Job", Options);
        }
    }

    private List<Assignment> ReadInit(TclWord script, int depth)
    {
        var lexer = _values.Script(script, depth);
        var words = new List<TclWord>();
        var assignments = new List<Assignment>();
        while (lexer.NextCommand(words))
        {
            if (words.Count == 0)
            {
                continue;
            }

            var keyword = _values.Text(words[0], depth + 1);
            if (keyword != "Assign")
            {
                throw words[0].Source.Fail(words[0].Start, $"unknown command `{keyword}` in -init; expected: Assign");
            }

            if (words.Count != 3)
            {
                var at = words.Count < 3 ? words[^1].End : words[3].Start;
                throw words[0].Source.Fail(at, $"Assign takes a name and a value, such as Assign proj {{/shows/demo}}; found {words.Count - 1} words");
            }

            var name = _values.Text(words[1], depth + 1);
            var value = _values.Text(words[2], depth + 1);
            _values.Evaluator.SetVariable(name, value);
            assignments.Add(new Assignment(name, value));
        }

        return assignments;
    }

    private List<DirMap> ReadDirMaps(TclWord value, int depth)
    {
        var maps = new List<DirMap>();
        foreach (var entry in _values.List(value, depth))
        {
            if (!TclList.TrySplit(entry, TclBackslash.Mode.Tcl, out var parts, out var error) || parts.Count != 3)
            {
                throw value.Source.Fail(value.Start, $"expected each -dirmaps entry to be {{{{from}} {{to}} zone}}, found {{{entry}}}{(error is null ? "" : ": " + error)}");
            }

            maps.Add(new DirMap(parts[0], parts[1], parts[2]));
        }

        return maps;
    }
}
