using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>What the writer renders reads back as the same job, for the corpus and for values full of Tcl's special characters.</summary>
public sealed class AlfredWriterTests
{
    private static JobSpec RoundTrip(JobSpec job)
    {
        var written = AlfredWriter.Write(job);
        var result = AlfredParser.Parse(written, "written.alf");
        Assert.True(result.Succeeded, $"{result.Error}\n--- written script ---\n{written}");
        Assert.Equal(JobJson.Serialize(job), JobJson.Serialize(result.Job));
        return result.Job;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.WellFormedNames), MemberType = typeof(CorpusFiles))]
    public void Write_CorpusScript_ReadsBackAsTheSameJob(string name)
    {
        var job = ScriptAssert.Parses(CorpusFiles.Read(name), name);

        var again = RoundTrip(job);

        Assert.Equal(AlfredWriter.Write(job), AlfredWriter.Write(again));
    }

    [Fact]
    public void Write_UsesAuthorApiLayout()
    {
        var job = ScriptAssert.Parses("""
            Job -title {t} -priority 5 -tags {a b} -subtasks {
              Task {one} -cmds {RemoteCmd {prman x.rib} -service {pr}}
            }
            """);

        Assert.Equal(
            "##AlfredToDo 3.0\n"
            + "Job -title {t} -tags {{a} {b}} -priority {5.0} -subtasks {\n"
            + "  Task {one} -cmds {\n"
            + "    RemoteCmd {{prman} {x.rib}} -service {pr}\n"
            + "  }\n"
            + "}\n",
            AlfredWriter.Write(job));
    }

    [Fact]
    public void Write_EveryOption_ReadsBack()
    {
        var command = new CommandSpec
        {
            Kind = CommandKind.Remote,
            Argv = ["render", "", "two words", "{unbalanced", "back\\slash\\", "$HOME", "[expr 1]", "\"q\"", "tab\there", "line\nbreak", "a\\\nb"],
            Service = "linux && !mac",
            Tags = ["t{", "}t"],
            EnvKey = ["maya2016"],
            Id = "c1",
            RefersTo = "c0",
            Msg = "File delete \"/tmp/x y\"",
            Expand = true,
            RetryRc = [1, 3],
            AtLeast = 2,
            AtMost = 8,
            SameHost = true,
            Metadata = "{\"json\": [1, 2]}",
            Kept = [new KeptOption("resumewhile", "{test} {-f} {x}"), new KeptOption("minrunsecs", "5")],
        };
        var job = new JobSpec
        {
            Title = "title with } brace and ; semicolon",
            Priority = 12.25,
            Service = "PixarRender",
            EnvKey = ["a", "b c"],
            Tags = ["x"],
            Projects = ["p"],
            Crews = ["c"],
            Tier = "batch",
            Paused = false,
            MaxActive = 3,
            AtLeast = 1,
            AtMost = 4,
            SerialSubtasks = true,
            After = "12 14 16:24",
            AfterJids = [7, 9],
            Comment = "#comment \\",
            Metadata = "meta",
            SpoolCwd = "C:\\work\\shot",
            Assignments = [new Assignment("proj", "/shows/{x}"), new Assignment("odd name", "v")],
            DirMaps = [new DirMap("/a b", "//server/a", "UNC"), new DirMap("x", "y", "odd zone")],
            Kept = [new KeptOption("pbias", "1.0"), new KeptOption("whendone", "mail -s \"done\" me")],
            Cleanup = [new CommandSpec { Kind = CommandKind.Builtin, Keyword = "File", Argv = ["File", "delete", "/tmp/a b{"] }],
            Postscript = [new CommandSpec { Kind = CommandKind.Local, Keyword = "Command", Argv = ["mail"], When = "always" }],
            Subtasks =
            [
                new TaskSpec
                {
                    Title = "",
                    Id = "t1",
                    Service = "s",
                    AtLeast = 1,
                    AtMost = 2,
                    Commands = [command],
                    Cleanup = [new CommandSpec { Kind = CommandKind.Local, Keyword = "Cmd", Argv = ["rm", "x"] }],
                    Chaser = ["sho", "a b.tif"],
                    Preview = ["it", "c:\\img\\a.exr"],
                    SerialSubtasks = true,
                    ResumeBlock = true,
                    Metadata = "m",
                    Subtasks = [new InstanceSpec { Title = "other {task}" }, new TaskSpec { Title = "child\\" }],
                },
                new TaskSpec { Title = "other {task}" },
            ],
        };

        RoundTrip(job);
    }

    [Fact]
    public void Write_RandomAwkwardText_ReadsBack()
    {
        // Seeded so a failure can be replayed; the alphabet is every character Tcl treats specially.
        var random = new Random(20240611);
        const string alphabet = "ab {}{}\\\\\"$[];#\n\t-x";
        string Next() => new(Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

        for (var i = 0; i < 500; i++)
        {
            var job = new JobSpec
            {
                Title = Next(),
                Comment = Next() is { Length: > 0 } comment ? comment : null,
                Tags = [Next(), Next()],
                Kept = [new KeptOption("pbias", Next())],
                Assignments = [new Assignment("v", Next())],
                Subtasks =
                [
                    new TaskSpec
                    {
                        Title = Next(),
                        Commands = [new CommandSpec { Argv = [Next(), Next(), Next()], Msg = Next() is { Length: > 0 } msg ? msg : null }],
                        Preview = [Next()],
                    },
                ],
            };

            RoundTrip(job);
        }
    }

    [Fact]
    public void Write_LocalCommandWithRemoteKeyword_UsesAKeywordThatMatchesTheKind()
    {
        var job = new JobSpec { Subtasks = [new TaskSpec { Title = "a", Commands = [new CommandSpec { Kind = CommandKind.Local, Keyword = "RemoteCmd", Argv = ["x"] }] }] };

        var written = AlfredWriter.Write(job);

        Assert.Contains("    Cmd {{x}}\n", written);
    }
}
