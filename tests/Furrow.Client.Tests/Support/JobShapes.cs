using CsCheck;
using Furrow.Client.Authoring;
using Furrow.Core.Scripts;

namespace Furrow.Client.Tests.Support;

/// <summary>One command as generated: its values, before ids are made unique.</summary>
public sealed record CommandShape(
    string[] Argv, bool Local, string? Service, string[] Tags, string[] EnvKey, string? Msg, bool Expand, int[] RetryRc,
    int? AtLeast, int? AtMost, string? Metadata, string? IdSeed, string? RefersToSeed);

/// <summary>One subtask as generated: a task, or the template of an Iterate over <see cref="IterateCount"/> values.</summary>
/// <param name="InstancePicks">For each Instance this task gets, which earlier finished task it names (an index, taken modulo).</param>
public sealed record TaskShape(
    string Title, string? IdSeed, string? Service, int? AtLeast, int? AtMost, bool Serial, string? Metadata,
    CommandShape[] Commands, CommandShape[] Cleanup, string[] Chaser, string[] Preview, TaskShape[] Subtasks, int[] InstancePicks,
    int? IterateCount, long IterateFrom, long IterateBy);

/// <summary>A whole job as generated.</summary>
public sealed record JobShape(
    string Title, double? Priority, string? Service, string[] EnvKey, string[] Tags, string[] Projects, string[] Crews,
    string? TierSeed, bool Paused, int? MaxActive, int? AtLeast, int? AtMost, bool Serial, DateTime? After, long[] AfterJids,
    string? Comment, string? Metadata, string? SpoolCwd, (string From, string To, string Zone)[] DirMaps,
    TaskShape[] Subtasks, CommandShape[] Cleanup, CommandShape[] Postscript, int[] InstancePicks);

/// <summary>
/// Generators of jobs whose every string is full of what alfred's Tcl syntax treats specially (braces, quotes,
/// backslashes, dollars, brackets, newlines, semicolons) and of non-ASCII text, and the builder that turns a shape into
/// an author-API <see cref="Job"/>. Titles and ids are made unique, and Instances only name tasks finished before their
/// parent starts (depth-first), so every generated job is one the author API must accept.
/// </summary>
public static class JobShapes
{
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "frame", " ", "  ", "{", "}", "{}", "}{", "\"", "\"{", "\\", "\\\\", "\\{", "\\}", "\\\"", "$", "$x", "${y}",
        "[", "]", "[exec rm -rf /]", "[expr 1]", ";", "#", "\n", "\r\n", "\r", "\t", "\\\n", "\\n", "é", "漢字", "😀", "\u2028", "\u200B",
        "e\u0301", "\u202Eevil", "%%", "-", "-title", "Task", "RemoteCmd", "Instance", "##AlfredToDo", "'", "(", ")", "\u00A0",
    ];

    /// <summary>Text of up to six pieces, each a Tcl-special fragment or any character but NUL and surrogates.</summary>
    public static readonly Gen<string> Text =
        Gen.OneOf<string>(Gen.OneOf(Pieces), Gen.Char['\u0001', '\uD7FF'].Select(c => c.ToString())).Array[0, 6].Select(string.Concat);

    private static readonly Gen<string> NonBlank = Text.Where(s => !string.IsNullOrWhiteSpace(s));

    private static readonly Gen<string[]> Texts = Text.Array[0, 3];

    private static readonly Gen<string?> Service = Gen.OneOf<string?>(
        null, "linux", "PixarRender,NorthAnnex", "(linux || mac) && !gpu", "@.mem > 4", "'rack-15?'", "linux&&maya2016");

    // Slots the compiler accepts wherever they are given: -atleast 1..8 never above an -atmost 8..64 it is paired with.
    private static readonly Gen<int?> AtLeastSlots = Gen.Int[1, 8].Nullable(0.6);
    private static readonly Gen<int?> AtMostSlots = Gen.Int[8, 64].Nullable(0.6);

    private static readonly Gen<CommandShape> Command = Gen.Select(
        Gen.Select(Text.Array[1, 4], Gen.Bool, Service, Texts, Texts, Text.Null(0.6), Gen.Bool, Gen.Int[-3, 300].Array[0, 3]),
        Gen.Select(AtLeastSlots, AtMostSlots, Text.Null(0.6), Text.Null(0.7), Text.Null(0.8)),
        (a, b) => new CommandShape(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, a.Item8, b.Item1, b.Item2, b.Item3, b.Item4, b.Item5));

    private static readonly Gen<TaskShape> Task = TaskAt(3);

    /// <summary>Whole jobs: a few levels of tasks, Iterates and Instances, with every option the author API has.</summary>
    public static readonly Gen<JobShape> Job = Gen.Select(
        Gen.Select(NonBlank, Gen.OneOf(Gen.Double[-1e6, 1e6], Gen.Double[-1, 1], Gen.Const(-1e6), Gen.Const(1e6)).Nullable(0.5), Service, Texts, Texts, Texts, Texts, Text.Null(0.7)),
        Gen.Select(Gen.Bool, Gen.Int[0, 20].Nullable(0.6), AtLeastSlots, AtMostSlots, Gen.Bool,
            Gen.DateTime.Select(d => DateTime.SpecifyKind(d, DateTimeKind.Unspecified)).Nullable(0.7), Gen.Long[1, int.MaxValue].Array[0, 3]),
        Gen.Select(Text.Null(0.6), Text.Null(0.7), Text.Null(0.7), Gen.Select(Text, Text, Text).Array[0, 2]),
        Gen.Select(Task.Array[0, 4], Command.Array[0, 2], Command.Array[0, 1], Gen.Int[0, 1000].Array[0, 2]),
        (a, b, c, d) => new JobShape(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, a.Item8,
            b.Item1, b.Item2, b.Item3, b.Item4, b.Item5, b.Item6, b.Item7, c.Item1, c.Item2, c.Item3, c.Item4, d.Item1, d.Item2, d.Item3, d.Item4));

    // Built level by level, not with Gen.Recursive, so the tree's depth is a plain bound the reader can see.
    private static Gen<TaskShape> TaskAt(int levels) => Gen.Select(
        Gen.Select(Text, Text.Null(0.5), Service, AtLeastSlots, AtMostSlots, Gen.Bool, Text.Null(0.7)),
        Gen.Select(Command.Array[0, 2], Command.Array[0, 1], Texts, Texts),
        Gen.Select(levels == 0 ? Gen.Const(Array.Empty<TaskShape>()) : TaskAt(levels - 1).Array[0, 3], Gen.Int[0, 1000].Array[0, 2]),
        Gen.Select(Gen.Int[0, 3].Nullable(0.8), Gen.Long[-5, 5], Gen.OneOf(1L, 2L, -1L, -3L)),
        (a, b, c, d) => new TaskShape(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, b.Item1, b.Item2, b.Item3, b.Item4,
            c.Item1, c.Item2, d.Item1, d.Item2, d.Item3));

    /// <summary>The author-API job a shape describes.</summary>
    public static Job Build(JobShape shape) => new Builder().Job(shape);

    private sealed class Builder
    {
        private readonly List<JobTask> _finished = [];
        private int _tasks;
        private int _commands;

        public Job Job(JobShape s)
        {
            var job = new Job(s.Title)
            {
                Priority = s.Priority,
                Service = s.Service,
                EnvKey = [.. s.EnvKey],
                Tags = [.. s.Tags],
                Projects = [.. s.Projects],
                Crews = [.. s.Crews],
                Tier = s.TierSeed is null ? null : Key("tier:", s.TierSeed),
                Paused = s.Paused,
                MaxActive = s.MaxActive,
                AtLeast = s.AtLeast,
                AtMost = s.AtMost,
                SerialSubtasks = s.Serial,
                After = s.After,
                AfterJids = [.. s.AfterJids],
                Comment = s.Comment,
                Metadata = s.Metadata,
                SpoolCwd = s.SpoolCwd,
                DirMaps = [.. s.DirMaps.Select(m => new DirMap(m.From, m.To, m.Zone))],
                Cleanup = [.. s.Cleanup.Select(Command)],
                Postscript = [.. s.Postscript.Select(c => WithWhen(Command(c)))],
            };
            foreach (var task in s.Subtasks)
                job.Subtasks.Add(Node(task));

            // Furrow refuses a job with nothing to run; empty Iterates can leave one.
            if (_tasks == 0 && job.Cleanup.Count == 0 && job.Postscript.Count == 0)
                job.Subtasks.Add(new JobTask("the only task") { Commands = { new Command("true") } });
            foreach (var pick in s.InstancePicks)
            {
                if (_finished.Count > 0)
                    job.Subtasks.Add(new Instance(_finished[pick % _finished.Count]));
            }

            return job;
        }

        private Subtask Node(TaskShape s)
        {
            if (s.IterateCount is not { } count)
                return Task(s, "");
            var to = s.IterateFrom + ((count - 1) * s.IterateBy);
            return new Iterate(s.IterateFrom, to, s.IterateBy, value => Task(s, $" @{value}"));
        }

        private JobTask Task(TaskShape s, string suffix)
        {
            var n = ++_tasks;

            // Unique titles and ids, so an Instance made from a task finds it; the number goes before or after the
            // hostile text so that both ends of a title are exercised.
            var title = n % 2 == 0 ? $"{s.Title}#{n}{suffix}" : $"{n}{suffix}#{s.Title}";
            var task = new JobTask(title)
            {
                Id = s.IdSeed is null ? null : Key($"id:{n}:", s.IdSeed),
                Service = s.Service,
                AtLeast = s.AtLeast,
                AtMost = s.AtMost,
                SerialSubtasks = s.Serial,
                Metadata = s.Metadata,
                Commands = WithRefersTo([.. s.Commands.Select(Command)], s.Commands),
                Cleanup = [.. s.Cleanup.Select(Command)],
                Chaser = [.. s.Chaser],
                Preview = [.. s.Preview],
            };

            // Only tasks whose subtrees are finished before this task begins: naming them can never make a circle.
            var earlier = _finished.ToList();
            foreach (var child in s.Subtasks)
                task.Subtasks.Add(Node(child));
            for (var i = 0; i < s.InstancePicks.Length && earlier.Count > 0; i++)
            {
                var target = earlier[s.InstancePicks[i] % earlier.Count];
                switch (s.InstancePicks[i] % 3)
                {
                    case 0:
                        task.Subtasks.Add(new Instance(target));
                        break;
                    case 1:
                        task.Subtasks.Add(target); // already has a parent: becomes an Instance
                        break;
                    default:
                        task.Subtasks.Add(new Instance(target.Id ?? target.Title));
                        break;
                }
            }

            _finished.Add(task);
            return task;
        }

        // A -refersto names the -id of a command sure to have run before it: here the latest earlier one of its task.
        private static List<Command> WithRefersTo(List<Command> commands, IReadOnlyList<CommandShape> shapes)
        {
            for (var k = 1; k < commands.Count; k++)
                if (shapes[k].RefersToSeed is not null && commands[..k].LastOrDefault(c => c.Id is not null) is { } earlier)
                    commands[k].RefersTo = earlier.Id;
            return commands;
        }

        private Command Command(CommandShape s)
        {
            var n = ++_commands;
            return new Command(s.Argv)
            {
                Local = s.Local,
                Service = s.Service,
                Tags = [.. s.Tags],
                EnvKey = [.. s.EnvKey],
                Msg = s.Msg,
                Expand = s.Expand,
                RetryRc = [.. s.RetryRc],
                AtLeast = s.AtLeast,
                AtMost = s.AtMost,
                Metadata = s.Metadata,
                Id = s.IdSeed is null ? null : Key($"c{n}:", s.IdSeed),
            };
        }

        private static Command WithWhen(Command command)
        {
            command.When = PostscriptWhen.Done;
            return command;
        }

        // A key may not end in blanks (alfred reads keys trimmed); the prefix keeps it from starting with one.
        private static string Key(string prefix, string seed) =>
            prefix + seed + (seed.Length > 0 && char.IsWhiteSpace(seed[^1]) ? "!" : "");
    }
}
