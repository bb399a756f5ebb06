using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>
/// Refusals made after parsing (options Furrow cannot honour, the compiler's checks) name file, line and column of
/// the word they are about, as parse errors do; in the JSON form they name the JSON path and its line and column.
/// </summary>
public sealed class CompileRefusalPlaceTests
{
    // Everything the compile stage refuses, from the script alone, with the word each refusal must point at.
    public static TheoryData<string, string, string> Refused => new()
    {
        { "Task {t} -resumeblock 1 -cmds { RemoteCmd {true} }", "-resumeblock", "not supported yet: -resumeblock (task \"t\")" },
        { "Task {t} -cmds { RemoteCmd {true}\n  RemoteCmd -maxrunsecs 30 {true} }", "-maxrunsecs", "not supported yet: -maxrunsecs (task \"t\", command 2)" },
        { "Task {t} -cmds { RemoteCmd -minrunsecs 3 {true} }", "-minrunsecs", "not supported yet: -minrunsecs" },
        { "Task {t} -cmds { RemoteCmd -resumewhile {a b} {true} }", "-resumewhile", "not supported yet: -resumewhile" },
        { "Task {t} -cmds { RemoteCmd -resumepin 1 {true} }", "-resumepin", "not supported yet: -resumepin" },
        { "Task {t} -cmds { RemoteCmd -metrics {x} {true} }", "-metrics", "not supported yet: -metrics" },
        { "Task {t} -cmds { RemoteCmd -service {a &&} {true} }", "-service", "bad service key {a &&} on task \"t\", command 1" },
        { "Task {t} -service {(a} -cmds { RemoteCmd {true} }", "-service", "bad service key {(a} on task \"t\"" },
        { "Task {t} -cmds { RemoteCmd {true} }\n  Task {u} -subtasks { Instance {nowhere} }", "Instance", "Instance {nowhere} refers to no task" },
        { "Task {t} -cleanup { RemoteCmd {echo} {%srv(host)} }", "{echo}",
            "%srv(host) in the command line (task \"t\", -cleanup command 1) names no command of the job: no command has -id srv" },
        { "Task {a} -cmds { RemoteCmd -id srv {serve} }\n  Task {b} -cmds { RemoteCmd {netrender} {%srv(-host)} }", "{netrender}",
            "%srv(-host) in the command line (task \"b\", command 1) names the command of -id srv (task \"a\", command 1), which is not sure to have run before it" },
        { "Task {t} -cmds { RemoteCmd {echo} {%srv(host)}\n  RemoteCmd -id srv {serve} }", "{echo}",
            "%srv(host) in the command line (task \"t\", command 1) names the command of -id srv (task \"t\", command 2), which is not sure" },
        { "Task {t} -cmds { RemoteCmd -id srv {echo} {%srv(host)} }", "{echo}", "%srv(host) in the command line (task \"t\", command 1) names the command itself" },
        { "Task {a} -cmds { RemoteCmd -id srv {x} }\n  Task {b} -subtasks { Task {c} -cmds { RemoteCmd -id srv {y} } } -cmds { RemoteCmd {z} {%srv(host)} }", "{z}",
            "%srv(host) in the command line (task \"b\", command 1) cannot tell which command it names: 2 commands of the job have -id srv (task \"a\", command 1; task \"c\", command 1)" },
        { "Task {t} -cmds { RemoteCmd -refersto nowhere {true} }", "-refersto", "-refersto nowhere (task \"t\", command 1) names no command of the job" },
        { "Task {t} -atleast 0 -cmds { RemoteCmd {true} }", "-atleast", "-atleast 0 on task \"t\": it takes 1 or more slots" },
        { "Task {t} -cmds { RemoteCmd -atmost -2 {true} }", "-atmost", "-atmost -2 on task \"t\", command 1: it takes 1 or more slots" },
        { "Task {t} -atleast 4 -atmost 2 -cmds { RemoteCmd {true} }", "-atmost",
            "-atmost 2 is below -atleast 4 on task \"t\": -atmost takes -atleast (4) or more slots" },
        // A command's -atleast above the -atmost it inherits from its task is placed at the command's own option.
        { "Task {t} -atmost 2 -cmds { RemoteCmd {a}\n  RemoteCmd -atleast 3 {b} }", "-atleast 3",
            "-atmost 2 is below -atleast 3 on task \"t\", command 2: -atmost takes -atleast (3) or more slots" },
    };

    [Theory]
    [InlineData("Sz\u00e8ne")]
    [InlineData("\U0001F3AC shot")]
    public void AColumn_CountsCharacters_SoAnAccentOrAnEmojiBeforeTheWordCountsOnce(string title)
    {
        var script = $"Job -title {{j}} -subtasks {{\n  Task {{{title}}} -cmds {{ RemoteCmd -resumepin 1 {{true}} }}\n}}\n";
        var job = AlfredParser.Parse(script, "shot.alf").GetJobOrThrow();

        var error = UnsupportedOptions.Find(job);

        var line = script.Split('\n')[1];
        var expected = new System.Globalization.StringInfo(line[..line.IndexOf("-resumepin", StringComparison.Ordinal)]).LengthInTextElements + 1;
        Assert.NotNull(error);
        Assert.StartsWith($"shot.alf:2:{expected}: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AColumnInTheJsonForm_CountsCharacters()
    {
        const string Json = "{\"title\": \"\U0001F3AC\u00e9\", \"subtasks\": [{\"kind\": \"task\", \"title\": \"t\", \"resumeBlock\": true, \"commands\": [{\"kind\": \"remote\", \"argv\": [\"true\"]}]}]}";
        var job = JobJson.Deserialize(Json, "j.json").GetJobOrThrow();

        var error = UnsupportedOptions.Find(job);

        Assert.NotNull(error);
        var column = Json.IndexOf("\"resumeBlock\"", StringComparison.Ordinal) + 1 - 1; // the emoji is two UTF-16 units
        Assert.StartsWith($"j.json:1:{column}: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void EveryCompileStageRefusal_NamesTheLineAndColumnOfItsWord(string tasks, string word, string message)
    {
        var script = $"Job -title {{j}} -subtasks {{\n  {tasks}\n}}\n";
        var job = AlfredParser.Parse(script, "shot.alf").GetJobOrThrow();

        var refusal = UnsupportedOptions.Find(job) ?? JobCompiler.Compile(job).Error;

        Assert.NotNull(refusal);
        var (line, column) = Place(script, word);
        Assert.StartsWith($"shot.alf:{line}:{column}: {message}", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void JobLevelRefusals_NameTheJobsOption()
    {
        const string script = "Job -title {j}\\\n  -service {a ||} -subtasks { Task {t} -cmds { RemoteCmd {true} } }";
        var job = AlfredParser.Parse(script, "shot.alf").GetJobOrThrow();
        Assert.StartsWith("shot.alf:2:3: bad service key {a ||} on the job: ", JobCompiler.Compile(job).Error, StringComparison.Ordinal);

        var maxActive = AlfredParser.Parse("Job -title {j}\\\n  -maxactive -3 -subtasks { Task {t} }", "m.alf").GetJobOrThrow();
        Assert.Equal("m.alf:2:3: -maxactive -3 on the job: it takes 0 (no limit) or more commands at once", JobCompiler.Compile(maxActive).Error);
        // The job's slots are checked with the commands that inherit them: its -cleanup's too.
        var slots = AlfredParser.Parse("Job -title {j} -atleast 4\\\n -atmost 2 -subtasks { Task {t} }", "s.alf").GetJobOrThrow();
        Assert.StartsWith("s.alf:2:2: -atmost 2 is below -atleast 4 on the job", JobCompiler.Compile(slots).Error, StringComparison.Ordinal);

        var empty = AlfredParser.Parse("\n\nJob -title {empty}", "e.alf").GetJobOrThrow();
        Assert.Equal("e.alf:3:1: the job has no tasks", JobCompiler.Compile(empty).Error);

        // An option the job gives is placed at its name (the spool's -priority, -after, -tier and -afterjids checks).
        var timed = AlfredParser.Parse("Job -title {j}\\\n -after {soon} -tier {x} -afterjids {9} -priority 1e9", "t.alf").GetJobOrThrow();
        foreach (var option in new[] { "after", "tier", "afterjids", "priority" })
            Assert.StartsWith($"t.alf:2:{Place(" -after {soon} -tier {x} -afterjids {9} -priority 1e9", "-" + option).Column}: bad",
                timed.Refusal(timed, option, "bad"), StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionInAQuotedScript_IsPlacedAtTheWordItCameFrom()
    {
        // Text made by substitution has no place of its own in the file: the word holding it is the place.
        const string script = "Job -title {j} -subtasks \"Task {t} -resumeblock 1 -cmds {RemoteCmd {true}}\"";
        var job = AlfredParser.Parse(script, "q.alf").GetJobOrThrow();
        Assert.StartsWith($"q.alf:1:{script.IndexOf('"') + 1}: not supported yet: -resumeblock", UnsupportedOptions.Find(job), StringComparison.Ordinal);
    }

    [Fact]
    public void ExpandOutput_RefusalsArePlacedInTheOutput()
    {
        var parsed = AlfredParser.ParseExpansion("Task {a} -cmds {\n RemoteCmd -metrics {x} {true} }", "J1 T2 expand output", ScriptLimits.Default);
        Assert.StartsWith("J1 T2 expand output:2:12: not supported yet: -metrics", UnsupportedOptions.Find(parsed.GetJobOrThrow()), StringComparison.Ordinal);
    }

    [Fact]
    public void TheJsonForm_NamesTheJsonPath_AndItsLineAndColumn()
    {
        const string json = """
            {
              "title": "j",
              "subtasks": [
                { "kind": "task", "title": "t", "resumeBlock": true,
                  "commands": [ { "argv": ["true"] }, { "argv": ["x"], "service": "a &&" } ] }
              ]
            }
            """;
        var job = JobJson.Deserialize(json, "j.json").GetJobOrThrow();
        Assert.Equal("j.json:4:37: not supported yet: -resumeblock (task \"t\") (at $.subtasks[0].resumeBlock)", UnsupportedOptions.Find(job));
        var badKey = JobCompiler.Compile(job).Error;
        Assert.StartsWith("j.json:5:60: bad service key {a &&} on task \"t\", command 2: ", badKey, StringComparison.Ordinal);
        Assert.EndsWith("(at $.subtasks[0].commands[1].service)", badKey, StringComparison.Ordinal);

        // Slot and -maxactive ranges are the compiler's, so the JSON form is held to them too.
        const string slots = """{ "title": "j", "maxActive": -1,""" + "\n" + """ "subtasks": [ { "kind": "task", "title": "t", "atLeast": 0 } ] }""";
        var slotsJob = JobJson.Deserialize(slots, "s.json").GetJobOrThrow();
        Assert.StartsWith("s.json:1:17: -maxactive -1 on the job: it takes 0 (no limit) or more", JobCompiler.Compile(slotsJob).Error, StringComparison.Ordinal);
        slotsJob.MaxActive = 0;
        var atLeast = JobCompiler.Compile(slotsJob).Error;
        Assert.StartsWith("s.json:2:", atLeast, StringComparison.Ordinal);
        Assert.Contains("-atleast 0 on task \"t\": it takes 1 or more slots", atLeast, StringComparison.Ordinal);
        Assert.EndsWith("(at $.subtasks[0].atLeast)", atLeast, StringComparison.Ordinal);

        // Kept options are placed at their entry of "kept"; an Instance at its object.
        const string kept = """{ "title": "j", "subtasks": [ { "kind": "task", "title": "t", "commands": [ { "argv": ["x"],""" + "\n" +
            """ "kept": [ { "name": "metrics", "value": "m" } ] } ] }, { "kind": "instance", "title": "none" } ] }""";
        var keptJob = JobJson.Deserialize(kept, "k.json").GetJobOrThrow();
        Assert.Equal("k.json:2:12: not supported yet: -metrics (task \"t\", command 1) (at $.subtasks[0].commands[0].kept[0])", UnsupportedOptions.Find(keptJob));
        keptJob.Subtasks[0] = new TaskSpec { Title = "t", Commands = [new CommandSpec { Argv = ["x"] }] };
        Assert.StartsWith("k.json:2:57: Instance {none} refers to no task", JobCompiler.Compile(keptJob).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheJsonForm_PlacesARefusal_BelowTheJsonReadersDefaultDepth()
    {
        // 40 tasks deep is 80-odd JSON levels: past the 64 a JSON reader allows unless told the form's own limit, which
        // placed the refusal at the job's first line instead of at the option.
        const int levels = 40;
        var json = new System.Text.StringBuilder("{ \"title\": \"j\", \"subtasks\": [\n");
        for (var i = 0; i < levels; i++)
            json.Append("{ \"kind\": \"task\", \"title\": \"t").Append(i).Append("\", \"subtasks\": [\n");
        json.Append("{ \"kind\": \"task\", \"title\": \"deep\", \"resumeBlock\": true }\n");
        for (var i = 0; i < levels; i++)
            json.Append("] }\n");
        json.Append("] }\n");
        var job = JobJson.Deserialize(json.ToString(), "deep.json").GetJobOrThrow();

        var error = UnsupportedOptions.Find(job);

        var path = "$" + string.Concat(Enumerable.Repeat(".subtasks[0]", levels + 1)) + ".resumeBlock";
        Assert.Equal($"deep.json:{levels + 2}:36: not supported yet: -resumeblock (task \"deep\") (at {path})", error);
    }

    [Fact]
    public void AJobBuiltInCode_IsRefusedWithoutAPlace() =>
        Assert.Equal("not supported yet: -resumeblock (task \"t\")",
            UnsupportedOptions.Find(new JobSpec { Subtasks = [new TaskSpec { Title = "t", ResumeBlock = true }] }));

    private static (int Line, int Column) Place(string text, string word)
    {
        var at = text.IndexOf(word, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{word} is not in the script");
        var lineStart = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        return (text[..at].Count(c => c == '\n') + 1, at - lineStart + 1);
    }
}
