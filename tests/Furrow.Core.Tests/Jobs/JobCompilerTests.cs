using Furrow.Core.Jobs;
using Furrow.Core.Scripts;
using Furrow.Core.Tests.Scripts;

namespace Furrow.Core.Tests.Jobs;

public sealed class JobCompilerTests
{
    internal static CompiledJob Compiles(string script)
    {
        var result = JobCompiler.Compile(ScriptAssert.Parses(script));
        Assert.True(result.Job is not null, result.Error);
        Assert.Null(result.Error);
        return result.Job;
    }

    private static string Refuses(string script)
    {
        var result = JobCompiler.Compile(ScriptAssert.Parses(script));
        Assert.Null(result.Job);
        Assert.NotNull(result.Error);
        return result.Error;
    }

    [Fact]
    public void Compile_NumbersTasksDepthFirstFromOne_WithParentsAndChildren()
    {
        var job = Compiles("""
            Job -title {tree} -subtasks {
                Task {A} -subtasks {
                    Task {A1} -subtasks {
                        Task {A1a}
                        Task {A1b}
                    }
                    Task {A2}
                }
                Task {B}
                Task {C} -subtasks {
                    Task {C1}
                }
            }
            """);

        Assert.Equal(
            [(1, 0, "A"), (2, 1, "A1"), (3, 2, "A1a"), (4, 2, "A1b"), (5, 1, "A2"), (6, 0, "B"), (7, 0, "C"), (8, 7, "C1")],
            job.Tasks.Select(t => (t.Tid, t.ParentTid, t.Title)));
        Assert.Equal([2, 5], job.Tasks[0].Children);
        Assert.Equal([3, 4], job.Tasks[1].Children);
        Assert.Empty(job.Tasks[5].Children);
        Assert.Equal([8], job.Tasks[6].Children);
    }

    [Fact]
    public void Compile_NumbersCommandsFromOneAcrossTheJob_InTaskOrder_WhenOnlyLeavesHaveCommands()
    {
        var job = Compiles("""
            Job -title {frames} -subtasks {
                Task {all} -subtasks {
                    Task {f1} -cmds { RemoteCmd {render 1}; RemoteCmd {denoise 1} }
                    Task {f2} -cmds { RemoteCmd {render 2} }
                }
                Task {f3} -cmds { RemoteCmd {render 3}; RemoteCmd {denoise 3} }
            }
            """);

        Assert.Equal(
            [(1, 2, "render 1"), (2, 2, "denoise 1"), (3, 3, "render 2"), (4, 4, "render 3"), (5, 4, "denoise 3")],
            job.Commands.Select(c => (c.Cid, c.Tid, string.Join(' ', c.Argv))));
    }

    [Fact]
    public void Compile_NumbersCommandsInTaskOrder_WhenAParentHasCommandsOfItsOwn()
    {
        var job = Compiles("""
            Job -title {parent} -subtasks {
                Task {all} -subtasks {
                    Task {f1} -cmds { RemoteCmd {render 1} }
                    Task {f2} -cmds { RemoteCmd {render 2} }
                } -cmds {
                    RemoteCmd {touch done}
                }
            }
            """);

        Assert.Equal(
            [(1, 1, "touch done"), (2, 2, "render 1"), (3, 3, "render 2")],
            job.Commands.OrderBy(c => c.Cid).Select(c => (c.Cid, c.Tid, string.Join(' ', c.Argv))));
    }

    [Fact]
    public void Compile_GivesEveryCommandADistinctCidFromOneToTheCount()
    {
        var job = Compiles("""
            Job -title {mixed} -subtasks {
                Task {all} -subtasks {
                    Task {f1} -cmds { RemoteCmd {render 1} } -cleanup { Cmd {rm 1} }
                } -cmds { RemoteCmd {touch done} }
                Task {other} -cmds { RemoteCmd {x} }
            } -cleanup { Cmd {rm all} } -postscript { Cmd {mail} }
            """);

        Assert.Equal(Enumerable.Range(1, 6), job.Commands.Select(c => c.Cid).Order());
        Assert.All(job.Tasks, t => Assert.All(t.Commands, c => Assert.Equal(t.Tid, c.Tid)));
        Assert.All(job.Tasks, t => Assert.Equal(t.Commands.Select(c => c.Cid).Order(), t.Commands.Select(c => c.Cid)));
    }

    [Fact]
    public void Compile_PutsTaskCleanupAfterRegularCommands_WithRunTypeCleanup_EvenWhenWrittenFirst()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {frame} -cleanup { Cmd {rm tmp1}; Cmd {rm tmp2} } -cmds { RemoteCmd {render}; RemoteCmd {denoise} }
            }
            """);

        var task = Assert.Single(job.Tasks);
        Assert.Equal(
            [(1, "render", CommandRunType.Regular, CommandKind.Remote), (2, "denoise", CommandRunType.Regular, CommandKind.Remote),
             (3, "rm tmp1", CommandRunType.Cleanup, CommandKind.Local), (4, "rm tmp2", CommandRunType.Cleanup, CommandKind.Local)],
            task.Commands.Select(c => (c.Cid, string.Join(' ', c.Argv), c.RunType, c.Kind)));
    }

    [Fact]
    public void Compile_CarriesCommandOptions()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {frame} -service {linux} -serialsubtasks 1 -id fr -cmds {
                    RemoteCmd {prman {a b.rib}} -service {pixarRender} -expand 1 -retryrc {2 9}
                }
            }
            """);

        var task = Assert.Single(job.Tasks);
        Assert.Equal(("fr", "linux", true), (task.Id, task.Service, task.SerialSubtasks));
        var command = Assert.Single(task.Commands);
        Assert.Equal(["prman", "a b.rib"], command.Argv);
        Assert.Equal(("pixarRender", true), (command.Service, command.Expand));
        Assert.Equal([2, 9], command.RetryRc);
    }

    [Fact]
    public void Compile_ResolvesInstanceById_AndByTitle_IncludingTasksDefinedLater()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {comp} -subtasks {
                    Instance {bg}
                    Instance {fg layer}
                }
                Task {background} -id bg
                Task {fg layer}
            }
            """);

        Assert.Equal([(1, "comp"), (2, "background"), (3, "fg layer")], job.Tasks.Select(t => (t.Tid, t.Title)));
        Assert.Equal([2, 3], job.Tasks[0].InstanceOf);
        Assert.Empty(job.Tasks[0].Children);
        Assert.Empty(job.Tasks[1].InstanceOf);
    }

    [Fact]
    public void Compile_PrefersATaskWhoseIdMatches_OverOneWhoseTitleMatches()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {shared}
                Task {other} -id shared
                Task {user} -subtasks { Instance {shared} }
            }
            """);

        Assert.Equal([2], job.Tasks[2].InstanceOf);
    }

    [Fact]
    public void Compile_ResolvesTheFirstTaskCarryingAName_WhenSeveralDo_AndTensOfThousandsOfInstances()
    {
        var script = new System.Text.StringBuilder("Job -title {t} -subtasks {\n  Task {named}\n  Task {dup} -id named\n  Task {dup}\n");
        const int Frames = 30_000;
        for (var i = 1; i <= Frames; i++)
            script.Append("  Task {f").Append(i).Append("} -subtasks { Instance {").Append(i == 1 ? "named" : "f" + (i - 1)).Append("}; Instance {dup} }\n");
        var job = Compiles(script.Append('}').ToString());

        // An -id wins over an earlier title; of two titles, the first.
        Assert.Equal(Frames + 3, job.Tasks.Count);
        Assert.Equal([2, 2], job.Tasks[3].InstanceOf);
        Assert.All(job.Tasks.Skip(4), t => Assert.Equal([t.Tid - 1, 2], t.InstanceOf));
    }

    [Fact]
    public void Compile_Refuses_WhenAnInstanceNamesNoTask()
    {
        var error = Refuses("""
            Job -title {t} -subtasks {
                Task {a} -subtasks { Instance {no such task} }
            }
            """);

        Assert.Contains("Instance {no such task}", error);
        Assert.Contains("refers to no task", error);
    }

    [Fact]
    public void Compile_AddsNoDependency_ForAJobLevelInstance()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {a}
                Instance {a}
            }
            """);

        var task = Assert.Single(job.Tasks);
        Assert.Empty(task.InstanceOf);
    }

    [Fact]
    public void Compile_Refuses_AJobWithoutTasks()
    {
        Assert.Contains("no tasks", Refuses("Job -title {empty}"));
    }

    [Fact]
    public void Compile_TurnsJobCleanupAndPostscriptIntoAFinalTask_DependingOnEveryTopLevelTask()
    {
        var job = Compiles("""
            Job -title {t} -subtasks {
                Task {A} -subtasks { Task {A1} -cmds { RemoteCmd {a1} } }
                Task {B} -cmds { RemoteCmd {b} }
            } -cleanup {
                Cmd {rm -rf tmp}
                File delete {old.rib}
            } -postscript {
                Cmd {notify done} -when done
                Cmd {notify error} -when error
                Cmd {notify always} -when always
                Cmd {notify default}
            }
            """);

        var cleanup = job.Tasks[^1];
        Assert.Equal((4, 0, JobCompiler.JobCleanupTitle), (cleanup.Tid, cleanup.ParentTid, cleanup.Title));
        // It waits for the top tasks as the job's cleanup, not as their Instance: the script wrote no Instance.
        Assert.Empty(cleanup.InstanceOf);
        Assert.Empty(cleanup.Children);
        Assert.Equal(RunsLast.WhenDoneOrError, JobCompiler.RunsLastOf(cleanup));
        Assert.All(job.Tasks.SkipLast(1), t => Assert.Equal(RunsLast.No, JobCompiler.RunsLastOf(t)));
        Assert.Equal(
            [
                (3, "rm -rf tmp", CommandRunType.Cleanup, CommandKind.Local),
                (4, "File delete old.rib", CommandRunType.Cleanup, CommandKind.Builtin),
                (5, "notify done", CommandRunType.PostDone, CommandKind.Local),
                (6, "notify error", CommandRunType.PostError, CommandKind.Local),
                (7, "notify always", CommandRunType.PostAlways, CommandKind.Local),
                (8, "notify default", CommandRunType.PostAlways, CommandKind.Local),
            ],
            cleanup.Commands.Select(c => (c.Cid, string.Join(' ', c.Argv), c.RunType, c.Kind)));
    }

    [Fact]
    public void Compile_AddsTheFinalTask_ForAPostscriptAlone()
    {
        var job = Compiles("Job -title {t} -subtasks { Task {A} } -postscript { Cmd {notify} }");

        Assert.Equal([(1, "A"), (2, JobCompiler.JobCleanupTitle)], job.Tasks.Select(t => (t.Tid, t.Title)));
        Assert.Equal(CommandRunType.PostAlways, Assert.Single(job.Tasks[1].Commands).RunType);
    }

    [Fact]
    public void Compile_TurnsWhenDoneAndWhenError_IntoShellPostscriptCommands_AfterTheJobsOwn()
    {
        var job = Compiles("Job -title {t} -whendone {mail -s done comp} -whenerror {} -postscript { Cmd -when error {notify} } -subtasks { Task {A} }");

        Assert.Equal([(CommandRunType.PostError, "notify"), (CommandRunType.PostDone, "/bin/sh|-c|mail -s done comp")],
            job.Tasks[1].Commands.Select(c => (c.RunType, string.Join('|', c.Argv))));
    }

    [Fact]
    public void Compile_AddsNoFinalTask_WhenTheJobHasNoCleanupOrPostscript()
    {
        var job = Compiles("Job -title {t} -subtasks { Task {A} -cleanup { Cmd {rm x} } }");

        Assert.DoesNotContain(job.Tasks, t => t.Title == JobCompiler.JobCleanupTitle);
        Assert.Single(job.Tasks);
    }

    [Fact]
    public void Compile_KeepsTheSpec_AndTheJobsSerialSubtasks()
    {
        var spec = ScriptAssert.Parses("Job -title {t} -serialsubtasks 1 -subtasks { Task {A}; Task {B} }");

        var job = JobCompiler.Compile(spec).Job!;

        Assert.Same(spec, job.Spec);
        Assert.True(job.Spec.SerialSubtasks);
        Assert.All(job.Tasks, t => Assert.False(t.SerialSubtasks));
    }

    [Fact]
    public void Compile_KeepsSameHost_OnTheCommandsThatAskForIt_FromAlfredAndTheJsonForm()
    {
        var job = Compiles("""
            Job -title {j} -subtasks {
                Task {t} -cmds {
                    RemoteCmd {prep}
                    RemoteCmd -samehost 1 {render}
                    RemoteCmd -samehost 0 {clean}
                }
            }
            """);
        Assert.Equal([false, true, false], job.Tasks.Single().Commands.Select(c => c.SameHost));

        var json = JobJson.Deserialize("""
            { "title": "j", "subtasks": [ { "kind": "task", "title": "t", "commands": [
                { "argv": ["prep"] }, { "argv": ["render"], "sameHost": true } ] } ] }
            """, "j.json");
        Assert.True(json.Succeeded, json.Error?.ToString());
        var compiled = JobCompiler.Compile(json.Job);
        Assert.Null(compiled.Error);
        Assert.Equal([false, true], compiled.Job!.Tasks.Single().Commands.Select(c => c.SameHost));
    }

    [Fact]
    public void Compile_AcceptsHostCodesNamingACommandSureToHaveRunBefore_AndKeepsThemInTheCommandLine()
    {
        var job = Compiles("""
            Job -title {j} -whendone {mail -s %srv(host) comp} -postscript { RemoteCmd {report} {%serial(host)} } -subtasks {
                Task {parent} -subtasks {
                    Task {child} -subtasks {
                        Task {grandchild} -cmds { RemoteCmd -id srv {serve} }
                    }
                } -cmds {
                    RemoteCmd -id first {prep}
                    RemoteCmd {netrender} {%srv(-host)} {%first(host)}
                }
                Task {user} -subtasks { Instance {child} } -cmds { RemoteCmd -refersto srv {ask} {%srv(host)} }
                Task {s} -serialsubtasks 1 -subtasks {
                    Task {s1} -cmds { RemoteCmd -id serial {one} }
                    Task {s2} -cmds { RemoteCmd {two} {%serial(host)} }
                }
            }
            """);
        Assert.Equal(["netrender", "%srv(-host)", "%first(host)"], job.Tasks[0].Commands[1].Argv);
        Assert.Equal("srv", job.Tasks.Single(t => t.Title == "user").Commands[0].RefersTo);
    }

    [Theory]
    [InlineData("Task {a} -cmds { RemoteCmd -id x {a} }\n Task {b} -subtasks { Task {c} -cmds { RemoteCmd {c} {%x(host)} } }", "not sure to have run")]
    [InlineData("Task {p} -subtasks { Task {c} -cmds { RemoteCmd {c} {%x(host)} } } -cmds { RemoteCmd -id x {p} }", "not sure to have run")]
    [InlineData("Task {s} -subtasks { Task {s1} -cmds { RemoteCmd -id x {a} }; Task {s2} -cmds { RemoteCmd {b} {%x(host)} } }", "not sure to have run")]
    [InlineData("Task {t} -cmds { RemoteCmd {a} {%x(host)} } -cleanup { RemoteCmd -id x {b} }", "not sure to have run")]
    [InlineData("Task {t} -cmds { RemoteCmd -id x {a}; RemoteCmd -id x {b}; RemoteCmd {c} {%x(host)} }", "2 commands of the job have -id x")]
    [InlineData("Task {t} -cmds { RemoteCmd -id x {a} } -cleanup { RemoteCmd -id x {b} }\n Task {u} -cmds { RemoteCmd -refersto x {c} }", "cannot tell which")]
    [InlineData("Task {a} -cmds { RemoteCmd -id x {a} }\n Task {b} -cmds { RemoteCmd -refersto x {b} }", "-refersto x (task \"b\", command 1) names the command of -id x (task \"a\", command 1), which is not sure to have run")]
    [InlineData("Task {a} -cmds { RemoteCmd -id x -refersto x {a} }", "-refersto x (task \"a\", command 1) names the command itself")]
    public void Compile_RefusesHostCodesNamingACommandNotSureToHaveRunBefore_OrAnAmbiguousId(string tasks, string message) =>
        Assert.Contains(message, Refuses($"Job -title {{j}} -subtasks {{\n {tasks}\n}}"), StringComparison.Ordinal);

    [Fact]
    public void Compile_PlacesARefusedHostCodeOfWhenErrorAtTheJobsOption_AndOneInTheJsonFormAtItsArgv()
    {
        var script = ScriptAssert.Parses("Job -title {j}\\\n  -whenerror {mail -s %nope(host) comp} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        Assert.Equal("test.alf:2:3: %nope(host) in the command line (the job's -whenerror) names no command of the job: no command has -id nope",
            JobCompiler.Compile(script).Error);

        var json = JobJson.Deserialize("""
            { "title": "j", "subtasks": [ { "kind": "task", "title": "t", "commands": [
                { "argv": ["netrender", "%srv(-host)"] }, { "argv": ["serve"], "id": "srv" } ] } ] }
            """, "j.json");
        Assert.True(json.Succeeded, json.Error?.ToString());
        Assert.StartsWith("j.json:2:", JobCompiler.Compile(json.Job).Error, StringComparison.Ordinal);
        Assert.Contains("$.subtasks[0].commands[0].argv", JobCompiler.Compile(json.Job).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CompileExpansion_HoldsHostCodesToTheExpansionsOwnCommands()
    {
        var expansion = AlfredParser.ParseExpansion("Task {a} -cmds { RemoteCmd -id x {a}; RemoteCmd {b} {%x(host)} }\nTask {b} -cmds { RemoteCmd {c} {%y(host)} }",
            "J1 T2 expand output", ScriptLimits.Default).GetJobOrThrow();
        Assert.StartsWith("J1 T2 expand output:2:", JobCompiler.CompileExpansion(expansion, 2, 5, 10).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LRongeart__.nuke__nuke_path_test.alf")]
    [InlineData("LRongeart__.nuke__working_format_test.alf")]
    public void Compile_KeepsARefersToNamingItsTasksId_AsGeneratedScriptsWriteIt(string name)
    {
        var compiled = JobCompiler.Compile(ScriptAssert.Parses(CorpusFiles.Read(name), name));
        Assert.Null(compiled.Error);
        Assert.Contains(compiled.Job!.Commands, c => c.RefersTo == "id0001");
    }
}
