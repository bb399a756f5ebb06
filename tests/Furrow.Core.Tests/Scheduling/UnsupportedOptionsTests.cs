using Furrow.Core.Config;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>Options Furrow parses but cannot honour are refused by name and place, never accepted and ignored.</summary>
public sealed class UnsupportedOptionsTests
{
    private static string? Find(string script)
    {
        var parsed = AlfredParser.Parse(script, "test.alf");
        Assert.Null(parsed.Error);
        // Where each refusal is placed is CompileRefusalPlaceTests' subject; here, what is refused.
        var problem = UnsupportedOptions.Find(parsed.Job!);
        if (problem is null)
            return null;
        Assert.Matches(@"^test\.alf:\d+:\d+: ", problem);
        return problem[(problem.IndexOf(": ", StringComparison.Ordinal) + 2)..];
    }

    [Theory]
    [InlineData("RemoteCmd -maxrunsecs 30 {true}", "not supported yet: -maxrunsecs (task \"t\", command 1)")]
    [InlineData("RemoteCmd -resumewhile {a b} {true}", "not supported yet: -resumewhile (task \"t\", command 1)")]
    [InlineData("RemoteCmd {true}\n RemoteCmd -metrics {x} {false}", "not supported yet: -metrics (task \"t\", command 2)")]
    public void CommandOptions_AreRefused_WithTheirPlace(string commands, string expected) =>
        Assert.Equal(expected, Find($"Job -title {{j}} -subtasks {{ Task {{t}} -cmds {{ {commands} }} }}"));

    [Theory]
    [InlineData("Job -title {j} -subtasks { Task {t} -cmds { RemoteCmd {echo hi} -when error } }",
        "-when error is for the job's -postscript commands only (task \"t\", command 1)")]
    [InlineData("Job -title {j} -cleanup { RemoteCmd {rm x} -when error } -subtasks { Task {t} -cmds { RemoteCmd {true} } }",
        "-when error is for the job's -postscript commands only (the job's -cleanup)")]
    [InlineData("Job -title {j} -subtasks { Task {t} -cmds { RemoteCmd {true} } -cleanup { RemoteCmd {rm x} -when done } }",
        "-when done is for the job's -postscript commands only (task \"t\", -cleanup command 1)")]
    public void When_OutsideThePostscript_IsRefused_NotIgnored(string script, string expected) =>
        Assert.StartsWith(expected, Find(script), StringComparison.Ordinal);

    [Fact]
    public void TheJsonForm_IsHeldToWhatAScriptCanSay()
    {
        static string? InJson(string commandJson, bool postscript = false)
        {
            var json = postscript
                ? $$"""{"title": "j", "postscript": [{{commandJson}}], "subtasks": [{"kind": "task", "title": "t", "commands": [{"kind": "remote", "argv": ["true"]}]}]}"""
                : $$"""{"title": "j", "subtasks": [{"kind": "task", "title": "t", "commands": [{{commandJson}}]}]}""";
            return UnsupportedOptions.Find(JobJson.Deserialize(json, "j.json").GetJobOrThrow());
        }

        Assert.Contains("expected -when done, error or always, found \"sometimes\"", InJson("""{"kind": "remote", "argv": ["x"], "when": "sometimes"}""", postscript: true));
        Assert.Contains("-when error is for the job's -postscript commands only", InJson("""{"kind": "remote", "argv": ["x"], "when": "error"}"""));
        Assert.Contains("a builtin command is File delete PATH..., not {echo hi}", InJson("""{"kind": "builtin", "argv": ["echo", "hi"]}"""));
        Assert.Contains("a command's keyword is RemoteCmd, Cmd, Command or File, not \"Nonsense} {\"",
            InJson("""{"kind": "remote", "keyword": "Nonsense} {", "argv": ["x"]}"""));
        Assert.Contains("unknown command option -bogusopt", InJson("""{"kind": "remote", "argv": ["x"], "kept": [{"name": "bogusopt", "value": "1"}]}"""));
        Assert.Contains("unknown Job option -whatever", UnsupportedOptions.Find(JobJson.Deserialize(
            """{"title": "j", "kept": [{"name": "whatever", "value": ""}], "subtasks": [{"kind": "task", "title": "t", "commands": [{"kind": "remote", "argv": ["true"]}]}]}""",
            "j.json").GetJobOrThrow()));
        Assert.Null(InJson("""{"kind": "builtin", "keyword": "File", "argv": ["File", "delete", "/tmp/x"]}"""));
        Assert.Null(InJson("""{"kind": "local", "keyword": "Cmd", "argv": ["x"]}"""));
        Assert.Null(InJson("""{"kind": "remote", "argv": ["x"], "when": "always"}""", postscript: true));
    }

    [Fact]
    public void ResumeBlock_IsRefused() =>
        Assert.Equal("not supported yet: -resumeblock (task \"t\")",
            Find("Job -title {j} -subtasks { Task {t} -resumeblock 1 -cmds { RemoteCmd {true} } }"));

    [Fact]
    public void NestedTasksAndCleanups_AreSearched() =>
        Assert.Equal("not supported yet: -maxrunsecs (task \"inner\", -cleanup command 1)",
            Find("Job -title {j} -subtasks { Task {outer} -subtasks { Task {inner} -cleanup { RemoteCmd -maxrunsecs 5 {true} } } }"));

    [Theory]
    [InlineData("RemoteCmd {true}\n RemoteCmd -samehost 1 {true}")]
    [InlineData("RemoteCmd -samehost 1 {true}")]
    [InlineData("RemoteCmd {true}\n RemoteCmd -samehost 0 {true}")]
    public void SameHost_IsAccepted(string commands) =>
        Assert.Null(Find($"Job -title {{j}} -subtasks {{ Task {{t}} -cmds {{ {commands} }} }}"));

    [Fact]
    public void WhenDoneAndWhenError_AreAccepted()
    {
        Assert.Null(Find("Job -title {j} -whendone {mail -s done comp} -whenerror {mail -s error comp} -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));
        Assert.Null(Find("Job -title {j} -whendone {} -whenerror {} -pbias 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-when error")]
    [InlineData("-when always")]
    public void Postscripts_ThatRunOnError_AreAccepted(string when) =>
        Assert.Null(Find($"Job -title {{j}} -postscript {{ RemoteCmd {when} {{true}} }} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{true}} }} }}"));

    [Fact]
    public void PostscriptWhenDone_PreviewAndChaser_AreAccepted() =>
        Assert.Null(Find("""
            Job -title {j} -postscript { RemoteCmd -when done {true} } -subtasks {
                Task {t} -cmds { RemoteCmd {true} } -preview {sho a.exr} -chaser {sho a.exr}
            }
            """));

    [Fact]
    public void BladeConfig_EnvHandlerOtherThanDefault_IsRefusedNamingIt()
    {
        var config = new BladeConfig
        {
            BladeProfiles =
            [
                new BladeProfile
                {
                    ProfileName = "maya",
                    EnvKeys = [new BladeEnvKey { Keys = ["maya2024"], EnvHandler = "mayahandler" }, new BladeEnvKey { Keys = ["x"], EnvHandler = "default" }],
                },
            ],
        };
        var problem = Assert.Single(config.Validate());
        Assert.Contains("not supported yet: envhandler \"mayahandler\"", problem, StringComparison.Ordinal);
        Assert.Contains("maya2024", problem, StringComparison.Ordinal);
    }
}
