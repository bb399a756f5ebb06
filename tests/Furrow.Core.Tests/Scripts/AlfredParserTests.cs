using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>Tcl syntax and alfred semantics, one rule at a time.</summary>
public sealed class AlfredParserTests
{
    [Fact]
    public void AnAlfredCommandsMessage_ThatDeletesFiles_BecomesTheFileBuiltin_KeepingItsOptions()
    {
        var command = ScriptAssert.Commands("RemoteCmd {Alfred} -msg {File delete \"/tmp/a b\" /tmp/c} -service {cleanup}").Single();

        Assert.Equal(CommandKind.Builtin, command.Kind);
        Assert.Equal(["File", "delete", "/tmp/a b", "/tmp/c"], command.Argv);
        Assert.Equal("cleanup", command.Service);
        Assert.Null(command.Msg);
        // Without a message it stays Tractor's placeholder, which runs nothing.
        Assert.Equal(["Alfred"], ScriptAssert.Commands("RemoteCmd {Alfred}").Single().Argv);
    }

    [Fact]
    public void AnAlfredCommandsMessage_OfOtherTcl_IsRefusedAtTheMessage_NotSpooledToDoNothing()
    {
        var error = ScriptAssert.Refuses("Job -title {t} -subtasks {\n Task {a} -cmds {\n  RemoteCmd {Alfred} -msg {exec rm -rf /tmp/x}\n }\n}\n");

        ScriptAssert.At(error, 3, 27);
        Assert.Contains("Furrow runs only `File delete PATH...` there, not {exec rm -rf /tmp/x}", error.Message);
    }

    [Fact]
    public void Parse_KeepsNestedBracesInsideBracedWords()
    {
        var job = ScriptAssert.Parses("Job -title {a {b {c}} d} -comment {x{}y}");

        Assert.Equal("a {b {c}} d", job.Title);
        Assert.Equal("x{}y", job.Comment);
    }

    [Fact]
    public void Parse_TurnsBackslashNewlineIntoOneSpace_BetweenWordsInQuotesAndInBraces()
    {
        var job = ScriptAssert.Parses("Job \\\n    -title \"a \\\n\t  b\" \\\n  -comment {c\\\n   d}");

        Assert.Equal("a  b", job.Title);
        Assert.Equal("c d", job.Comment);
    }

    [Fact]
    public void Parse_SplitsCommandsOnSemicolons()
    {
        var commands = ScriptAssert.Commands("RemoteCmd {a}; RemoteCmd {b};RemoteCmd {c}");

        Assert.Equal(["a", "b", "c"], commands.Select(c => c.Argv.Single()));
    }

    [Fact]
    public void Parse_SkipsCommentsOnlyWhereACommandStarts()
    {
        var job = ScriptAssert.Parses("""
            ##AlfredToDo 3.0
            # a comment with a continued line \
              Job -title {not this one}
            Job -title {t} -subtasks {
              # a comment in a task list
              Task {a} -cmds {RemoteCmd {echo} -msg {#not a comment}}
            }
            """);

        Assert.Equal("t", job.Title);
        Assert.Equal("#not a comment", ScriptAssert.OnlyTask(job).Commands.Single().Msg);
    }

    [Fact]
    public void Parse_ReadsCrLfLineEndings()
    {
        var job = ScriptAssert.Parses("Job -title {t} \\\r\n  -subtasks {\r\n  Task {a}\r\n  Task {b}\r\n}\r\n");

        Assert.Equal(["a", "b"], job.Subtasks.Select(t => t.Title));
    }

    [Fact]
    public void Parse_RefusesUnknownOption_WithPosition()
    {
        var error = ScriptAssert.Refuses("Job -title {t}\\\n  -bogus 1");

        ScriptAssert.At(error, 2, 3);
        Assert.Contains("unknown option -bogus for Job", error.Message);
        Assert.Contains("-title", error.Message);
        Assert.Contains("-subtasks", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnknownTaskOption_ListingTaskOptions()
    {
        var error = ScriptAssert.Refuses("Job -subtasks {\n  Task {a} -cmd {RemoteCmd {x}}\n}");

        ScriptAssert.At(error, 2, 12);
        Assert.Contains("unknown option -cmd for Task; expected one of: -title, -id", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnknownCommand_ListingExpectedOnes()
    {
        var error = ScriptAssert.Refuses("Job -subtasks {\n  Task {a} -cmds {\n    RemoteCommand {x}\n  }\n}");

        ScriptAssert.At(error, 3, 5);
        Assert.Contains("unknown command `RemoteCommand` in -cmds; expected one of: RemoteCmd, Cmd, Command, File", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnterminatedBrace_AtTheOpeningBrace()
    {
        var error = ScriptAssert.Refuses("Job -title {t} -subtasks {\n  Task {a}\n  Task {b}\n");

        ScriptAssert.At(error, 1, 26);
        Assert.Contains("missing close-brace", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnterminatedQuote_AtTheOpeningQuote()
    {
        var error = ScriptAssert.Refuses("Job -title {t}\nJob -title \"abc\n\n");

        ScriptAssert.At(error, 2, 12);
        Assert.Contains("missing close-quote", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnterminatedBracket_AtTheOpeningBracket()
    {
        var error = ScriptAssert.Refuses("Job -priority [expr 1+2");

        ScriptAssert.At(error, 1, 15);
        Assert.Contains("missing close-bracket", error.Message);
    }

    [Fact]
    public void Parse_RefusesExtraCharactersAfterCloseBrace_AsTclDoes()
    {
        var error = ScriptAssert.Refuses("Job -title {a}b");

        ScriptAssert.At(error, 1, 15);
        Assert.Contains("extra characters after close-brace", error.Message);
    }

    [Fact]
    public void Parse_RefusesUnsetVariable_WithPosition()
    {
        var error = ScriptAssert.Refuses("Job -init {Assign a {1}} -title \"frame $nope\"");

        ScriptAssert.At(error, 1, 40);
        Assert.Contains("can't read \"nope\": no such variable", error.Message);
        Assert.Contains("a", error.Message);
    }

    [Fact]
    public void Parse_SubstitutesAssignedVariables_InQuotedWordsButNotInBraces()
    {
        var job = ScriptAssert.Parses("""
            Job -title "$show ${shot}x" -comment {$show} -init {
              Assign show {demo}
              Assign shot "${show}_010"
            }
            """);

        Assert.Equal("demo demo_010x", job.Title);
        Assert.Equal("$show", job.Comment);
        Assert.Equal([new Assignment("show", "demo"), new Assignment("shot", "demo_010")], job.Assignments);
    }

    [Fact]
    public void Parse_AppliesBackslashEscapesInQuotedWords()
    {
        var job = ScriptAssert.Parses("Job -title \"a\\tb\\n\\\"c\\\" \\$d \\[e\\] \\\\ \\x41\\u00e9\"");

        Assert.Equal("a\tb\n\"c\" $d [e] \\ A\u00e9", job.Title);
    }

    [Theory]
    [InlineData("[expr 1+1]", "2")]
    [InlineData("[expr (2 + 3) * 4 - 7 / 2]", "17")]
    [InlineData("[expr -7/2]", "-4")]
    [InlineData("[expr -7%3]", "2")]
    [InlineData("[expr 1.5*2]", "3.0")]
    [InlineData("[expr 10/4.0]", "2.5")]
    [InlineData("[expr {$n*2}]", "84")]
    [InlineData("f[expr $n+1]g", "f43g")]
    [InlineData("[expr [expr 2*3]+1]", "7")]
    public void Parse_EvaluatesExprCommandSubstitution(string word, string expected)
    {
        var job = ScriptAssert.Parses($"Job -init {{Assign n 42}} -title \"{word}\"");

        Assert.Equal(expected, job.Title);
    }

    [Theory]
    [InlineData("[exec rm -rf /]", "unsupported command `exec`")]
    [InlineData("[expr 1/0]", "divide by zero")]
    [InlineData("[expr 1+]", "missing operand")]
    [InlineData("[expr 2 3]", "unexpected `3`")]
    [InlineData("[expr (1]", "missing close-parenthesis")]
    [InlineData("[expr abc]", "expected a number")]
    public void Parse_RefusesBadCommandSubstitution(string word, string message)
    {
        var error = ScriptAssert.Refuses($"Job -title \"{word}\"");

        Assert.Equal(1, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Parse_ExpandsIterate_WithNegativeStepAndRestoresTheVariable()
    {
        var job = ScriptAssert.Parses("""
            Job -init {Assign f {outer}} -subtasks {
              Iterate f -from 10 -to 1 -by -3 -template {
                Task "frame $f" -cmds {RemoteCmd "render [expr $f*2]"}
              } -subtasks {Task "after $f"}
              Task "then $f"
            }
            """);

        Assert.Equal(["frame 10", "frame 7", "frame 4", "frame 1", "after outer", "then outer"], job.Subtasks.Select(t => t.Title));
        Assert.Equal(["render", "20"], ((TaskSpec)job.Subtasks[0]).Commands.Single().Argv);
    }

    [Fact]
    public void Parse_RefusesIterateWithoutTemplate()
    {
        var error = ScriptAssert.Refuses("Job -subtasks {\n  Iterate i -from 1 -to 3\n}");

        ScriptAssert.At(error, 2, 3);
        Assert.Contains("-template", error.Message);
    }

    [Fact]
    public void Parse_ReadsOptionsBeforeAndAfterArgv_AndJoinsSeveralArgvWords()
    {
        var commands = ScriptAssert.Commands("""
            RemoteCmd -service {k} {prman -Progress "a b.rib"}
            RemoteCmd {exe} {"-f"} {{x y} z} -tags {{a} {b}} -retryrc {1 3}
            Command {{TractorBuiltIn} {printenv}} -samehost 1 -expand true -atleast 2 -atmost 4
            """);

        Assert.Equal(["prman", "-Progress", "a b.rib"], commands[0].Argv);
        Assert.Equal("k", commands[0].Service);
        Assert.Equal(["exe", "-f", "x y", "z"], commands[1].Argv);
        Assert.Equal(["a", "b"], commands[1].Tags);
        Assert.Equal([1, 3], commands[1].RetryRc);
        Assert.Equal(CommandKind.Local, commands[2].Kind);
        Assert.Equal("Command", commands[2].Keyword);
        Assert.True(commands[2].SameHost);
        Assert.True(commands[2].Expand);
        Assert.Equal((2, 4), (commands[2].AtLeast, commands[2].AtMost));
    }

    [Fact]
    public void Parse_KeepsCommandOptionsFurrowDoesNotActOnYet()
    {
        var command = ScriptAssert.Commands("RemoteCmd {a} -metrics {cpu} -minrunsecs 5 -resumewhile {{test} {-f} {x}}").Single();

        Assert.Equal([new KeptOption("metrics", "cpu"), new KeptOption("minrunsecs", "5"), new KeptOption("resumewhile", "{test} {-f} {x}")], command.Kept);
    }

    [Theory]
    [InlineData("Job -subtasks {Task a -cmds {RemoteCmd {echo one} RemoteCmd {echo two}}}", 51, "RemoteCmd", "-cmds")]
    [InlineData("Job -subtasks {Task a -cmds {Cmd {a} {b} Cmd {c}}}", 42, "Cmd", "-cmds")]
    [InlineData("Job -subtasks {Task a -cmds {RemoteCmd {a} -service {k} File {b}}} ", 57, "File", "-cmds")]
    [InlineData("Job -cleanup {Cmd {rm x} Command {rm y}}", 26, "Command", "-cleanup")]
    public void Parse_RefusesTwoCommandsOnOneLine_NamingTheSecond(string script, int column, string second, string list)
    {
        var error = ScriptAssert.Refuses(script);

        ScriptAssert.At(error, 1, column);
        Assert.Contains($"found word `{second}`", error.Message);
        Assert.Contains($"each command in {list} goes on its own line", error.Message);
    }

    [Fact]
    public void Parse_TakesACommandKeywordInsideACommandLine_WhenItIsQuotedOrFirst()
    {
        var commands = ScriptAssert.Commands("RemoteCmd {echo} {RemoteCmd}\nRemoteCmd {Cmd} {x}\nRemoteCmd {echo} \"Cmd\"");

        Assert.Equal([["echo", "RemoteCmd"], ["Cmd", "x"], ["echo", "Cmd"]], commands.Select(c => c.Argv));
    }

    [Fact]
    public void Parse_RefusesRemoteCmdWithoutCommandLine()
    {
        var error = ScriptAssert.Refuses("Job -subtasks {Task a -cmds {RemoteCmd -service {k}}}");

        ScriptAssert.At(error, 1, 30);
        Assert.Contains("RemoteCmd needs a command line", error.Message);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("True", true)]
    [InlineData("{0}", false)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    public void Parse_ReadsBooleanWords(string word, bool expected)
    {
        Assert.Equal(expected, ScriptAssert.Parses($"Job -paused {word}").Paused);
    }

    [Fact]
    public void Parse_RefusesBadBoolean_AtTheValue()
    {
        var error = ScriptAssert.Refuses("Job -serialsubtasks maybe");

        ScriptAssert.At(error, 1, 21);
        Assert.Contains("expected a boolean", error.Message);
    }

    [Fact]
    public void Parse_ReadsJobOptionsAndAliases()
    {
        var job = ScriptAssert.Parses("""
            Job -title {t} -project {a b} -pause 1 -priority 12.5 -tier {batch} -after {12 14 16:24} -afterjids {3 5} \
                -maxactive 2 -atleast 1 -atmost 3 -spoolcwd {/tmp} -metadata {m} -etalevel 2 -editpolicy {x}
            """);

        Assert.Equal(["a", "b"], job.Projects);
        Assert.True(job.Paused);
        Assert.Equal(12.5, job.Priority);
        Assert.Equal("batch", job.Tier);
        Assert.Equal("12 14 16:24", job.After);
        Assert.Equal([3, 5], job.AfterJids);
        Assert.Equal((2, 1, 3), (job.MaxActive, job.AtLeast, job.AtMost));
        Assert.Equal("/tmp", job.SpoolCwd);
        Assert.Equal([new KeptOption("etalevel", "2"), new KeptOption("editpolicy", "x")], job.Kept);
    }

    [Fact]
    public void Parse_ReadsTaskOptionsInstancesAndPostscript()
    {
        var job = ScriptAssert.Parses("""
            Job -title {t} -postscript {RemoteCmd {mail} -when error} -subtasks {
              Task -title {a} -id {A} -service {"linux"} -chaser {sho a.tif} -preview {{it} {a.exr}} -resumeblock 1 -metadata {m}
              Task {b} -serialsubtasks 1 -subtasks {Instance {a}; Instance -title {c}}
            }
            """);

        var a = Assert.IsType<TaskSpec>(job.Subtasks[0]);
        Assert.Equal(("a", "A", "linux"), (a.Title, a.Id, a.Service));
        Assert.Equal(["sho", "a.tif"], a.Chaser);
        Assert.Equal(["it", "a.exr"], a.Preview);
        Assert.True(a.ResumeBlock);
        var b = Assert.IsType<TaskSpec>(job.Subtasks[1]);
        Assert.True(b.SerialSubtasks);
        Assert.Equal(["a", "c"], b.Subtasks.Select(i => Assert.IsType<InstanceSpec>(i).Title));
        Assert.Equal("error", job.Postscript.Single().When);
    }

    [Fact]
    public void Parse_RefusesBadWhen()
    {
        var error = ScriptAssert.Refuses("Job -postscript {RemoteCmd {mail} -when sometimes}");

        ScriptAssert.At(error, 1, 41);
        Assert.Contains("expected -when done, error or always", error.Message);
    }

    [Fact]
    public void Parse_RefusesSecondTitleWord()
    {
        var error = ScriptAssert.Refuses("Job -subtasks {Task {a} {b}}");

        ScriptAssert.At(error, 1, 25);
        Assert.Contains("title was already given at line 1 column 21", error.Message);
    }

    [Fact]
    public void Parse_RefusesMalformedDirMap()
    {
        var error = ScriptAssert.Refuses("Job -dirmaps {{{a} {b}}}");

        ScriptAssert.At(error, 1, 14);
        Assert.Contains("-dirmaps entry", error.Message);
    }

    [Fact]
    public void Parse_RefusesSecondJob()
    {
        var error = ScriptAssert.Refuses("Job -title a\n\nJob -title b");

        ScriptAssert.At(error, 3, 1);
        Assert.Contains("exactly one Job", error.Message);
    }

    [Fact]
    public void Parse_RefusesScriptWithoutJob()
    {
        var error = ScriptAssert.Refuses("##AlfredToDo 3.0\n# nothing else\r\n\r\n");

        Assert.Contains("no Job command found", error.Message);
        // At the end of what was written, not after the line breaks a transport appends.
        ScriptAssert.At(error, 2, 15);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n")]
    [InlineData("  \n\t\r\n")]
    public void Parse_RefusesAnEmptyScriptAsEmpty_AtItsStart(string text)
    {
        var error = ScriptAssert.Refuses(text);

        Assert.Contains("the script is empty", error.Message);
        ScriptAssert.At(error, 1, 1);
    }

    [Fact]
    public void Parse_RefusesUnknownTopLevelCommand()
    {
        var error = ScriptAssert.Refuses("\n  Task {a}");

        ScriptAssert.At(error, 2, 3);
        Assert.Contains("expected: Job", error.Message);
    }

    [Fact]
    public void Parse_ReportsErrorsInsideQuotedScripts_AtTheQuotedWord()
    {
        var error = ScriptAssert.Refuses("Job -subtasks \"Task a -bogus 1\"");

        ScriptAssert.At(error, 1, 15);
        Assert.Contains("unknown option -bogus for Task", error.Message);
    }

    [Fact]
    public void ParseResult_GetJobOrThrow_ThrowsScriptSyntaxExceptionCarryingTheError()
    {
        var result = AlfredParser.Parse("Job -bogus 1", "x.alf");

        var thrown = Assert.Throws<ScriptSyntaxException>(() => result.GetJobOrThrow());
        Assert.Same(result.Error, thrown.Error);
        Assert.StartsWith("x.alf:1:5: unknown option -bogus", thrown.Message);
    }
}
