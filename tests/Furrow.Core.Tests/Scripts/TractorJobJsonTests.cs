using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>Tractor's own JSON job form (what tractor-spool 2.x sends to jspool) read into the same job as an alfred script.</summary>
public sealed class TractorJobJsonTests
{
    private static ScriptParseResult Read(string json) => TractorJobJson.Read(json, "job.json", ScriptLimits.Default, TimeZoneInfo.Utc);

    private const string Job = """
        {"TractorJob": "2.0",
         "data": {"title": "shot 42", "priority": 250, "crews": ["fx"], "tags": "fx  comp", "service": "linux",
                  "envkey": ["rman-24"], "serialsubtasks": 1, "projects": ["show"], "tier": "batch", "maxactive": 4,
                  "minslots": 1, "maxslots": 2, "comment": "c", "metadata": "m", "afterjids": [7, 9], "spoolcwd": "/shots/42",
                  "editpolicy": "locked",
                  "commands": [{"type": "RD", "argv": ["rm", "-rf", "/tmp/42"]},
                               {"type": "RPE", "argv": ["mail", "error"]}, {"type": "LP", "argv": ["echo", "always"]}]},
         "children": [
           {"data": {"title": "comp", "id": "c1", "service": "nuke", "resumeblock": 1, "chaser": "it comp.exr",
                     "commands": [{"type": "RC", "argv": ["nuke", "-x", "comp.nk"], "tags": "heavy", "id": "n1", "refersto": "r1",
                                   "minslots": 2, "retryrc": [3], "envkey": ["nuke13"], "msg": "hi"},
                                  {"type": "LD", "argv": ["rm", "comp.tmp"]}]},
            "children": [{"data": {"title": "render", "commands": [{"argv": ["prman", "f.rib"], "id": "r1"}]}},
                         {"data": {"title": "late", "ants": ["render"]}},
                         {"data": {"title": "expand", "commands": [{"type": "RCX", "argv": ["gen"]}]}}]}]}
        """;

    [Fact]
    public void EveryKeyTractorsEngineReads_LandsWhereTheAlfredReaderPutsIt()
    {
        var job = Read(Job).GetJobOrThrow();

        Assert.Equal(("shot 42", 250.0, "linux", "batch", 4, 1, 2), (job.Title, job.Priority, job.Service, job.Tier, job.MaxActive, job.AtLeast, job.AtMost));
        Assert.Equal(["fx"], job.Crews);
        Assert.Equal(["fx", "comp"], job.Tags);
        Assert.Equal(["rman-24"], job.EnvKey);
        Assert.Equal(["show"], job.Projects);
        Assert.Equal([7, 9], job.AfterJids);
        Assert.True(job.SerialSubtasks);
        Assert.Equal(("c", "m", "/shots/42"), (job.Comment, job.Metadata, job.SpoolCwd));
        Assert.Null(job.Paused);
        Assert.Equal(new KeptOption("editpolicy", "locked"), Assert.Single(job.Kept));
        Assert.Equal(["rm", "-rf", "/tmp/42"], Assert.Single(job.Cleanup).Argv);
        Assert.Equal([("error", CommandKind.Remote), ("always", CommandKind.Local)], job.Postscript.Select(c => (c.When!, c.Kind)));

        var comp = Assert.IsType<TaskSpec>(Assert.Single(job.Subtasks));
        Assert.Equal(("comp", "c1", "nuke", true), (comp.Title, comp.Id, comp.Service, comp.ResumeBlock));
        Assert.Equal(["it", "comp.exr"], comp.Chaser);
        var nuke = Assert.Single(comp.Commands);
        Assert.Equal((CommandKind.Remote, "RemoteCmd", "n1", 2, "hi"), (nuke.Kind, nuke.Keyword, nuke.Id, nuke.AtLeast, nuke.Msg));
        Assert.Equal(["heavy"], nuke.Tags);
        Assert.Equal([3], nuke.RetryRc);
        Assert.Equal(["nuke13"], nuke.EnvKey);
        var cleanup = Assert.Single(comp.Cleanup);
        Assert.Equal((CommandKind.Local, "Cmd"), (cleanup.Kind, cleanup.Keyword));

        Assert.Equal(["render", "late", "expand"], comp.Subtasks.Select(t => t.Title));
        Assert.Equal("r1", nuke.RefersTo);
        Assert.Equal("r1", Assert.Single(((TaskSpec)comp.Subtasks[0]).Commands).Id);
        Assert.Equal("render", Assert.IsType<InstanceSpec>(Assert.Single(((TaskSpec)comp.Subtasks[1]).Subtasks)).Title);
        Assert.True(Assert.Single(((TaskSpec)comp.Subtasks[2]).Commands).Expand);
        // And it compiles as any job does.
        Assert.Null(JobCompiler.Compile(job).Error);
    }

    [Theory]
    [InlineData(-1, 0.0)]
    [InlineData(-301, 300.0)]
    public void ANegativePriority_IsTractor1xsPausedJob(int written, double priority)
    {
        var job = Read($$"""{"data": {"title": "t", "priority": {{written}}}, "children": []}""").GetJobOrThrow();
        Assert.Equal((priority, (bool?)true), (job.Priority, job.Paused));
    }

    [Fact]
    public void AfterTime_InUnixSeconds_IsTheEnginesZonesClock()
    {
        var job = Read("""{"data": {"title": "t", "aftertime": 1798761600}}""").GetJobOrThrow();
        Assert.Equal("2027-01-01 00:00:00", job.After);
    }

    [Fact]
    public void TheCheckpointHeader_IsSkipped_AndErrorsKeepTheFilesLines()
    {
        var result = Read("#!tractor 2.0 checkpoint\n{\"data\": {\"title\": \"t\",\n \"maxactive\": \"two\"}}");
        Assert.Equal(("job.json", 3, 2), (result.Error!.FileName, result.Error.Line, result.Error.Column));
        Assert.Contains("expected a whole number for \"maxactive\", found the string \"two\" (at $.data.maxactive)", result.Error.Message);
    }

    [Theory]
    [InlineData("""{"TractorJob": "3.0", "data": {}}""", "Tractor's JSON job form 3.0 is not one Furrow reads")]
    [InlineData("""{"data": {"commands": [{"type": "RC", "argv": ["x"]}]}}""", "a job-level command is a cleanup (type RD) or a postscript")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"type": "RPD", "argv": ["x"]}]}}]}""", "belongs to the job's own commands")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"type": "RZ", "argv": ["x"]}]}}]}""", "unknown command type 'RZ'")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"argv": []}]}}]}""", "empty command line")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"argv": ["x"], "maxrunsecs": 60}]}}]}""", "maxrunsecs is not applied by Furrow")]
    [InlineData("""{"data": {"dirmaps": [["a", "b", "NFS"]]}}""", "dirmaps in Tractor's JSON job form are not read by Furrow")]
    [InlineData("""{"data": {"serialsubtasks": 2}}""", "expected 0 or 1 for \"serialsubtasks\"")]
    [InlineData("""{"data": {}, "children": {"data": {}}}""", "expected a list of tasks, found an object")]
    [InlineData("""{"data": {"crews": "fx"}}""", "expected a list of strings for \"crews\"")]
    [InlineData("""{"data": {"title": "t",}""", "1:")]
    // The version is the string tractor-spool writes; a padded one or a bare number is no form of Tractor's.
    [InlineData("""{"TractorJob": " 2.0", "data": {}}""", "job.json:1:2: expected the form's version as a string such as \"2.0\", found \" 2.0\"")]
    [InlineData("""{"TractorJob": 2, "data": {}}""", "expected the form's version as a string such as \"2.0\", found 2")]
    [InlineData("""{"TractorJob": "2.1", "data": {}}""", "Tractor's JSON job form 2.1 is not one Furrow reads")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"type": "rc", "argv": ["x"]}]}}]}""", "unknown command type 'rc'")]
    // A key of "data" written beside it would be passed over, spooling a task that runs nothing.
    [InlineData("""{"data": {}, "children": [{"data": {"title": "t"}, "commands": [{"argv": ["x"]}]}]}""",
        "job.json:1:52: \"commands\" is one of the task's attributes: it belongs inside its \"data\" object, not beside it (at $.children[0].commands)")]
    [InlineData("""{"TractorJob": "2.0", "title": "x", "data": {}}""", "\"title\" is one of the job's attributes")]
    [InlineData("\r\n", "job.json:1:1: there is no JSON here")]
    [InlineData("", "job.json:1:1: there is no JSON here")]
    // A key given twice is refused at the second, rather than the last one winning: the job, a task, a command, the top.
    [InlineData("""{"data": {"title": "d4", "paused": true, "paused": false}}""", "job.json:1:42: at $.data: duplicate key \"paused\"")]
    [InlineData("""{"data": {}, "children": [{"data": {"title": "a", "title": "b"}}]}""", "duplicate key \"title\"")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"type": "RC", "argv": ["echo"], "argv": ["rm"]}]}}]}""", "job.json:1:83: at $.children[0].data.commands[0]: duplicate key \"argv\"")]
    [InlineData("""{"TractorJob": "2.0", "TractorJob": "3.0", "data": {}}""", "duplicate key \"TractorJob\"")]
    // A NUL in a value or a key, written \u0000, is refused where it is, as the alfred reader refuses one: a command's
    // argument would be cut at it when run.
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"argv": ["/bin/echo", "x\u0000y"]}]}}]}""", "job.json:1:73: at $.children[0].data.commands[0].argv[1]: a NUL character (\\u0000) in a value")]
    [InlineData("""{"data": {"title": "nul\u0000title"}}""", "job.json:1:20: at $.data.title: a NUL character")]
    [InlineData("""{"data": {"projects": ["a", "b\u0000"]}}""", "at $.data.projects[1]: a NUL character")]
    [InlineData("""{"data": {"ti\u0000tle": "x"}}""", "at $.data: a NUL character (\\u0000) in a key")]
    // An escaped surrogate without its pair is no character: refused at its place, never a failure to read the text.
    [InlineData("""{"data": {"title": "\ud800"}}""", "job.json:1:20: at $.data.title: an escaped surrogate without its pair")]
    [InlineData("""{"data": {}, "children": [{"data": {"commands": [{"argv": ["x\udc00"]}]}}]}""", "at $.children[0].data.commands[0].argv[0]: an escaped surrogate")]
    [InlineData("""{"data": {"\ud800": "x"}}""", "at $.data: an escaped surrogate without its pair (such as \\ud800 alone) in a key")]
    public void AWrongValue_IsAnErrorNamingItsKey(string json, string expected)
    {
        var result = Read(json);
        Assert.False(result.Succeeded);
        Assert.Contains(expected, result.Error!.ToString());
    }

    [Theory]
    [InlineData("""{"TractorJob": "2.0", "data": {}}""", true)]
    [InlineData("""#!header\n{"data": {}, "children": []}""", true)]
    [InlineData("""{"title": "x", "subtasks": []}""", false)]
    [InlineData("""{"data": {}, "title": "x"}""", false)]
    // TractorJob says which form it is, whatever else the object has (a key Tractor's engine does not read is passed over).
    [InlineData("""{"TractorJob": "2.0", "data": {}, "children": [], "extra": 1}""", true)]
    [InlineData("""{"extra": 1, "TractorJob": "2.0", "data": {}}""", true)]
    [InlineData("""["data"]""", false)]
    [InlineData("""{"children": []}""", false)]
    public void IsTractorForm_GoesByTheTopLevelKeys(string json, bool expected) =>
        Assert.Equal(expected, TractorJobJson.IsTractorForm(json.Replace("\\n", "\n", StringComparison.Ordinal)));
}
