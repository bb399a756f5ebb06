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
    public void WhenDoneAndWhenError_AreAccepted_ButAPercentCodeFurrowDoesNotReplaceIsRefusedThere()
    {
        Assert.Null(Find("Job -title {j} -whendone {mail -s done comp} -whenerror {mail -s error comp} -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));
        Assert.Null(Find("Job -title {j} -whendone {} -whenerror {} -pbias 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }"));
        Assert.StartsWith("not supported yet: the substitution %srv(host) in the command line (the job's -whenerror)",
            Find("Job -title {j} -whenerror {mail -s %srv(host) comp} -subtasks { Task {t} -cmds { RemoteCmd {true} } }"), StringComparison.Ordinal);
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
