using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>The real scripts in Corpus/: the well-formed ones read with their content intact, the two broken ones refused where they break.</summary>
public sealed class AlfredParserCorpusTests
{
    private static JobSpec Parse(string name) => ScriptAssert.Parses(CorpusFiles.Read(name), name);

    [Fact]
    public void Corpus_HoldsFourteenWellFormedAndTwoMalformedScripts()
    {
        Assert.Equal(16, CorpusFiles.All.Count());
        Assert.Equal(14, CorpusFiles.WellFormed.Count());
    }

    [Theory]
    [MemberData(nameof(CorpusFiles.WellFormedNames), MemberType = typeof(CorpusFiles))]
    public void Parse_AcceptsWellFormedCorpusScript(string name)
    {
        var job = Parse(name);
        Assert.NotEmpty(job.Subtasks);
        Assert.All(ScriptAssert.AllTasks(job).SelectMany(t => t.Commands), c => Assert.NotEmpty(c.Argv));
    }

    [Fact]
    public void Parse_RefusesMayaMrV001_WhereJobTitleEndsAtNewline()
    {
        var error = ScriptAssert.Refuses(CorpusFiles.Read(CorpusFiles.MalformedMayaMr), CorpusFiles.MalformedMayaMr);

        ScriptAssert.At(error, 2, 11);
        Assert.Equal(CorpusFiles.MalformedMayaMr, error.FileName);
        Assert.Contains("option -title of Job needs a value", error.Message);
        Assert.Contains("newline", error.Message);
    }

    [Fact]
    public void Parse_RefusesNukeInvalidServiceTest_WhereBracedWordStandsForAnOption()
    {
        var error = ScriptAssert.Refuses(CorpusFiles.Read(CorpusFiles.MalformedNukeService), CorpusFiles.MalformedNukeService);

        ScriptAssert.At(error, 1, 5);
        Assert.Contains("expected an option of Job such as -title, found braced word", error.Message);
    }

    [Fact]
    public void Parse_LegacyMayaMr_ExpandsIterateAndSubstitutesAssignedVariables()
    {
        const string proj = "/dabrender/mattg_testing_farm/mattg/TESTING_renderfarm/light_mattg/maya";
        var job = Parse("utsdab__usr__legacy_MAYA_MR_v001.alf");

        Assert.Equal(" maya_mentalray ", job.Title);
        Assert.Equal(["proj", "scenefilebase", "scenefile"], job.Assignments.Select(a => a.Name));
        Assert.Equal(proj, job.Assignments[0].Value);
        Assert.Equal(51, job.Subtasks.Count);

        var mkdir = Assert.IsType<TaskSpec>(job.Subtasks[0]);
        Assert.Equal("Make Image Directory", mkdir.Title);
        Assert.Equal(["mkdir", "-p", proj + "/images/dottyMR_test.0001"], mkdir.Commands[0].Argv);
        Assert.Equal(["printenv"], mkdir.Commands[1].Argv);
        Assert.Equal("MayaMentalRay", mkdir.Commands[1].Service);

        var frames = job.Subtasks.Skip(1).Cast<TaskSpec>().ToList();
        Assert.Equal(50, frames.Count);

        // The title is braced, so Tcl leaves $frame in it; the command is quoted, so it is substituted.
        Assert.All(frames, f => Assert.Equal("mayabatch mr $frame", f.Title));
        var first = frames[0].Commands.Single().Argv;
        Assert.Equal("/usr/autodesk/maya2015-x64/bin/Render", first[0]);
        Assert.Equal(["-s", "1", "-e", "2"], first.Skip(9).Take(4));
        Assert.Equal(["-s", "99", "-e", "100"], frames[^1].Commands.Single().Argv.Skip(9).Take(4));
        Assert.Equal(proj + "/scenes/dottyMR_test.0001.ma", first[^1]);
        Assert.Equal("MayaMentalRay", frames[0].Commands.Single().Service);
    }

    [Fact]
    public void Parse_LegacyMayaMrSeq_LeavesVariablesInBracedArgvLiteral()
    {
        var job = Parse("utsdab__usr__legacy_MAYA_MR_SEQ.alf");

        Assert.Equal(100, job.Subtasks.Count);
        Assert.Equal("/dabrender/mattg_testing_farm/renderTest_MM", job.Assignments[0].Value);
        var argv = ScriptAssert.AllTasks(job)[99].Commands.Single().Argv;
        Assert.Equal("$proj/images/$scenefilebase/", argv[8]);
        Assert.Equal(["-s", "199", "-e", "200"], argv.Skip(9).Take(4));
        Assert.Equal("pixarRender", ScriptAssert.AllTasks(job)[0].Commands[0].Service);
    }

    [Fact]
    public void Parse_NukePathTest_KeepsWindowsPathAndStripsQuotesFromKeys()
    {
        var job = Parse("LRongeart__.nuke__nuke_path_test.alf");

        Assert.Equal("Nuke Path Test", job.Title);
        Assert.Equal(["EXIT"], job.Projects);
        Assert.Equal(500, job.Priority);
        Assert.Equal(1, job.MaxActive);
        Assert.False(job.Paused);
        Assert.True(job.SerialSubtasks);
        var frame = Assert.IsType<TaskSpec>(ScriptAssert.OnlyTask(job).Subtasks.Single());
        Assert.Equal("id0001", frame.Id);
        var command = frame.Commands.Single();
        Assert.Equal([@"C:\Program Files\Nuke15.1v2\Nuke15.1.exe", "--nukex", "--version"], command.Argv);
        Assert.Equal("PixarRender", command.Service);
        Assert.Equal("id0001", command.RefersTo);
        Assert.Empty(command.EnvKey);
    }

    [Fact]
    public void Parse_NukeWorkingFormatTest_JoinsSeveralArgvWords()
    {
        var command = ScriptAssert.AllTasks(Parse("LRongeart__.nuke__working_format_test.alf"))[1].Commands.Single();

        Assert.Equal(["echo", "test nuke render frame 1001"], command.Argv);
        Assert.Equal(CommandKind.Remote, command.Kind);
    }

    [Fact]
    public void Parse_AuthorApiExample_ReadsListsAndCommands()
    {
        var job = Parse("utsdab__usr__authorApiExamples_job3_generated.alf");

        Assert.Equal("Typical MayaBatch Render Job", job.Title);
        Assert.Equal(100.0, job.Priority);
        Assert.Equal(["maya2014"], job.EnvKey);
        var multi = Assert.IsType<TaskSpec>(job.Subtasks[1]);
        Assert.Equal("multi-command task", multi.Title);
        Assert.Equal("PixarRender", multi.Service);
        Assert.Equal(4, multi.Commands.Count);
        Assert.Equal(["scp", "remote:/path/file.rib", "/local/file.rib"], multi.Commands[0].Argv);
        Assert.Equal(["aa"], multi.Commands[3].Tags);
        Assert.Equal(["maya2014"], multi.Commands[3].EnvKey);
    }

    [Fact]
    public void Parse_RenderLayers_ReadsDirMapsKeptOptionsPreviewAndCleanup()
    {
        var job = Parse("utsdab__usr__example_renderlayers.alf");

        Assert.Equal("renderlayer_0825180849", job.Title);
        Assert.StartsWith("#Created for 120988", job.Comment);
        Assert.Equal(5, job.DirMaps.Count);
        Assert.Equal(new DirMap("mayabatch", "maya", "NFS"), job.DirMaps[0]);
        Assert.Equal(new DirMap("/usr/autodesk", "/Applications/Autodesk", "OSX"), job.DirMaps[4]);
        Assert.Equal(["rms-20.1-maya-2016"], job.EnvKey);
        Assert.Null(job.Service);
        Assert.Equal(["pbias", "whendone", "whenerror"], job.Kept.Select(k => k.Name));
        Assert.Equal("1", job.Kept[0].Value);
        Assert.Equal(41, ScriptAssert.AllTasks(job).Count);

        var root = ScriptAssert.OnlyTask(job);
        var cleanup = root.Cleanup.Single();
        // Tractor's engine runs the Tcl in an Alfred command's -msg: here a File delete, which is what the command becomes.
        Assert.Equal(CommandKind.Builtin, cleanup.Kind);
        Assert.Equal(["File", "delete"], cleanup.Argv[..2]);
        Assert.StartsWith("%D(/Users/Shared/UTS_Jobs", cleanup.Argv[2]);
        Assert.Null(cleanup.Msg);
        Assert.Equal("RfMRibGen", cleanup.Service);

        var render = ScriptAssert.AllTasks(job).First(t => t.Title == "Render ris_layer Frame 1");
        Assert.Equal("sho", render.Preview[0]);
        Assert.EndsWith("renderlayer.0001.exr", render.Preview[1]);
        Assert.Equal("prman", render.Commands.Single().Argv[0]);
        Assert.Equal("%D(renderman/renderlayer_0825180849/rib/0001/0001_ris_layer.rib)", render.Commands.Single().Argv[^1]);
    }

    [Fact]
    public void Parse_RenderLayersDenoise_ReadsWholeTree()
    {
        var job = Parse("utsdab__usr__example_renderlayersdenoise.alf");

        Assert.Equal(27, ScriptAssert.AllTasks(job).Count);
        Assert.Contains(ScriptAssert.AllTasks(job).SelectMany(t => t.Commands), c => c.Tags.SequenceEqual(["intensive"]));
    }

    [Fact]
    public void Parse_RemoteRibRender_ReadsHundredAndElevenTasks()
    {
        var tasks = ScriptAssert.AllTasks(Parse("utsdab__usr__spool_tractor_remote_rib_render.alf"));

        Assert.Equal(111, tasks.Count);
        Assert.Equal(" Preflight", tasks[1].Title);
        Assert.Equal(["intensive"], tasks[2].Commands.Single().Tags);
    }

    [Fact]
    public void Parse_LegacyMayaRman_SplitsOneStringArgv()
    {
        var tasks = ScriptAssert.AllTasks(Parse("utsdab__usr__legacy_MAYA_RMAN.alf"));

        Assert.Equal(3, tasks.Count);
        Assert.Equal(["Render", "-r", "rman", "-proj"], tasks[0].Commands[3].Argv.Take(4));
        Assert.Equal(["sleep", "20"], tasks[1].Commands[2].Argv);
    }

    [Fact]
    public void Parse_LegacyMayaRmsDotty_JoinsBackslashNewlineLines()
    {
        var job = Parse("utsdab__usr__legacy_MAYA_RMS_dotty.alf");

        Assert.Equal([new DirMap("mayabatch", "maya", "NFS"), new DirMap("/Users/Shared/UTS_Jobs", "/dabrender/mattg_testing_farm/mattg", "NFS")], job.DirMaps);
        Assert.Equal(["rms-19.0-maya-2015"], job.EnvKey);
        var tasks = ScriptAssert.AllTasks(job);
        Assert.Equal(" Job ", tasks[0].Title);
        var argv = tasks[2].Commands[1].Argv;
        Assert.Equal(8, argv.Count);
        Assert.Equal("%D(/Users/Shared/UTS_Jobs/TESTING_renderfarm/light_mattg/maya)", argv[^1]);
        Assert.Equal(["ffmpeg", "-help"], tasks[3].Commands.Single().Argv);
    }

    [Fact]
    public void Parse_LegacyMayaRmsDottySpool_SplitsNestedBracesInsideOneArgvString()
    {
        var argv = ScriptAssert.AllTasks(Parse("utsdab__usr__legacy_MAYA_RMS_dottySpool.alf"))[2].Commands.Single().Argv;

        Assert.Equal(
            ["%D(mayabatch)", "-batch", "-command", "renderManBatchRenderScript(1,1,100,1,0)", "-file",
             "%D(/Users/Shared/UTS_Jobs/TESTING_renderfarm_2014/light_mattg/maya/scenes/dottyRMS_AOVtest.0041.ma)",
             "-proj", "%D(/Users/Shared/UTS_Jobs/TESTING_renderfarm_2014/light_mattg/maya)"],
            argv);
    }

    [Fact]
    public void Parse_LegacyShellCmds_ReadsEveryCommand()
    {
        var tasks = ScriptAssert.AllTasks(Parse("utsdab__usr__legacy_SHELL_CMDS.alf"));

        Assert.Equal([4, 6, 4], tasks.Select(t => t.Commands.Count));
        Assert.Equal(["echo", "hello there going to sleep for 2000...."], tasks[1].Commands[3].Argv);
        Assert.All(tasks.SelectMany(t => t.Commands), c => Assert.Equal("pixarRender", c.Service));
    }

    [Fact]
    public void Parse_NukeLibLocal_ReadsLocalCmdAndEmptyValues()
    {
        var job = Parse("utsdab__usr__tractorNukeLib_generated_local_emptycleanup.alf");

        Assert.Equal("/shows/demo/comp v013.nk", job.Title);
        Assert.Empty(job.Tags);
        Assert.Null(job.Service);
        var root = ScriptAssert.OnlyTask(job);
        Assert.Empty(root.Cleanup);
        var command = Assert.IsType<TaskSpec>(root.Subtasks[1]).Commands.Single();
        Assert.Equal(CommandKind.Local, command.Kind);
        Assert.Equal("Cmd", command.Keyword);
        Assert.Equal(["Nuke6.3", "-F", "1002", "-m", "1", "-t", "-X", "Write1,WriteProxy", "-x", "/shows/demo/comp v013.nk"], command.Argv);
        Assert.Null(command.Service);
    }

    [Fact]
    public void Parse_NukeLibRemote_ReadsBareFileDeleteAsBuiltin()
    {
        var job = Parse("utsdab__usr__tractorNukeLib_generated_remote.alf");

        Assert.Equal(["comp"], job.Crews);
        Assert.Equal(["nuke"], job.Tags);
        Assert.Equal(5, job.MaxActive);
        Assert.Contains(new KeptOption("whendone", "mail -s done comp"), job.Kept);
        var root = ScriptAssert.OnlyTask(job);
        var delete = root.Cleanup.Single();
        Assert.Equal(CommandKind.Builtin, delete.Kind);
        Assert.Equal("File", delete.Keyword);
        Assert.Equal(["File", "delete", "/tmp/nk/tmpNuke_1327315500.0.alf"], delete.Argv);
        var frame = Assert.IsType<TaskSpec>(root.Subtasks[0]).Commands.Single();
        Assert.Equal("NukeRender", frame.Service);
        Assert.Equal(["nuke6.3v1"], frame.EnvKey);
    }
}
