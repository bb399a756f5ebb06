using Furrow.Core.Jobs;

namespace Furrow.Core.Tests.Jobs;

public sealed class JobGraphTests
{
    private static JobGraph Graph(string script)
    {
        var job = JobCompilerTests.Compiles(script);
        return new JobGraph(
            [.. job.Tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf) { RunsLast = JobCompiler.RunsLastOf(t) })],
            job.Spec.SerialSubtasks);
    }

    private static Func<int, bool> Done(params int[] tids) => tid => tids.Contains(tid);

    [Fact]
    public void CanStart_WaitsForEverySubtask_BeforeTheParent()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {P} -subtasks { Task {C1}; Task {C2} } }");

        Assert.True(graph.CanStart(2, Done()));
        Assert.True(graph.CanStart(3, Done()));
        Assert.False(graph.CanStart(1, Done()));
        Assert.Equal("waiting for subtask T2", graph.WhyBlocked(1, Done()));
        Assert.False(graph.CanStart(1, Done(2)));
        Assert.Equal("waiting for subtask T3", graph.WhyBlocked(1, Done(2)));
        Assert.True(graph.CanStart(1, Done(2, 3)));
        Assert.Null(graph.WhyBlocked(1, Done(2, 3)));
        Assert.Equal([1], graph.DependentsOf(2));
        Assert.Equal([1], graph.DependentsOf(3));
        Assert.Empty(graph.DependentsOf(1));
    }

    [Fact]
    public void CanStart_LetsParallelSiblingsStartTogether()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {P} -subtasks { Task {A}; Task {B}; Task {C} } }");

        Assert.All([2, 3, 4], tid => Assert.True(graph.CanStart(tid, Done())));
        Assert.All([2, 3, 4], tid => Assert.Null(graph.WhyBlocked(tid, Done())));
        Assert.Equal([1], graph.DependentsOf(2));
    }

    [Fact]
    public void CanStart_RunsSerialSiblingsOneAfterAnother()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {P} -serialsubtasks 1 -subtasks { Task {A}; Task {B}; Task {C} } }");

        Assert.True(graph.CanStart(2, Done()));
        Assert.False(graph.CanStart(3, Done()));
        Assert.Equal("waiting for previous serial sibling T2", graph.WhyBlocked(3, Done()));
        Assert.True(graph.CanStart(3, Done(2)));
        Assert.False(graph.CanStart(4, Done(2)));
        Assert.Equal("waiting for previous serial sibling T3", graph.WhyBlocked(4, Done(2)));
        Assert.True(graph.CanStart(4, Done(3))); // only the immediately previous sibling counts
        Assert.Equal([1, 3], graph.DependentsOf(2).Order());
        Assert.Equal([1, 4], graph.DependentsOf(3).Order());
        Assert.Equal([1], graph.DependentsOf(4));
    }

    [Fact]
    public void CanStart_MakesASerialSiblingWaitForThePreviousSiblingsWholeSubtree()
    {
        var graph = Graph("""
            Job -title {t} -subtasks {
                Task {P} -serialsubtasks 1 -subtasks {
                    Task {A} -subtasks { Task {A1} }
                    Task {B}
                }
            }
            """);

        Assert.Equal([(1, 0), (2, 1), (3, 2), (4, 1)], Enumerable.Range(1, 4).Select(t => (t, graph.ParentOf(t))));
        Assert.False(graph.CanStart(4, Done(3)));
        Assert.Equal("waiting for previous serial sibling T2", graph.WhyBlocked(4, Done(3)));
        Assert.True(graph.CanStart(4, Done(2, 3)));
        Assert.True(graph.CanStart(3, Done())); // serial order applies among siblings, not to their subtasks
    }

    [Fact]
    public void CanStart_WaitsForInstancedTasks_ElsewhereInTheJob()
    {
        var graph = Graph("""
            Job -title {t} -subtasks {
                Task {render} -id r
                Task {comp} -subtasks { Instance {r} }
            }
            """);

        Assert.True(graph.CanStart(1, Done()));
        Assert.False(graph.CanStart(2, Done()));
        Assert.Equal("waiting for instanced task T1", graph.WhyBlocked(2, Done()));
        Assert.True(graph.CanStart(2, Done(1)));
        Assert.Equal([2], graph.DependentsOf(1));
        Assert.Empty(graph.ChildrenOf(2));
    }

    [Fact]
    public void WhyBlocked_NamesSubtasksFirst_ThenInstances_ThenTheSerialSibling()
    {
        var graph = Graph("""
            Job -title {t} -serialsubtasks 1 -subtasks {
                Task {render} -id r
                Task {comp} -subtasks {
                    Task {prep}
                    Instance {r}
                }
            }
            """);

        Assert.Equal("waiting for subtask T3", graph.WhyBlocked(2, Done()));
        Assert.Equal("waiting for instanced task T1", graph.WhyBlocked(2, Done(3)));
        Assert.True(graph.CanStart(2, Done(1, 3)));
    }

    [Fact]
    public void CanStart_OrdersTopLevelTasks_WhenTheJobHasSerialSubtasks()
    {
        var graph = Graph("Job -title {t} -serialsubtasks 1 -subtasks { Task {A}; Task {B}; Task {C} }");

        Assert.True(graph.CanStart(1, Done()));
        Assert.False(graph.CanStart(2, Done()));
        Assert.Equal("waiting for previous serial sibling T1", graph.WhyBlocked(2, Done()));
        Assert.False(graph.CanStart(3, Done(1)));
        Assert.True(graph.CanStart(3, Done(1, 2)));
        Assert.Equal([2], graph.DependentsOf(1)); // the job itself (T0) is never a dependent
        Assert.Equal([1, 2, 3], graph.ChildrenOf(0));
    }

    [Fact]
    public void CanStart_LetsTopLevelTasksStartTogether_WhenTheJobIsNotSerial()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {A}; Task {B}; Task {C} }");

        Assert.All([1, 2, 3], tid => Assert.True(graph.CanStart(tid, Done())));
        Assert.All([1, 2, 3], tid => Assert.Empty(graph.DependentsOf(tid)));
        Assert.Equal(3, graph.TaskCount);
    }

    [Fact]
    public void CanStart_HoldsTheJobCleanupTask_UntilEveryTopLevelTaskIsDone()
    {
        var graph = Graph("""
            Job -title {t} -subtasks {
                Task {A} -subtasks { Task {A1} }
                Task {B}
            } -cleanup { Cmd {rm tmp} }
            """);

        Assert.False(graph.CanStart(4, Done(2, 3)));
        Assert.Equal("runs when the job is done", graph.WhyBlocked(4, Done(2, 3)));
        Assert.False(graph.CanStart(4, Done(1, 2)));
        Assert.True(graph.CanStart(4, Done(1, 2, 3)));
        Assert.Null(graph.WhyBlocked(4, Done(1, 2, 3)));
        Assert.Equal([4], graph.DependentsOf(1));
        Assert.Equal([4], graph.DependentsOf(3));
    }

    [Fact]
    public void WhyBlocked_SaysTheJobCleanupTaskWithAnErrorPostscript_RunsWhenTheJobIsDoneOrInError()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {A}; Task {B} } -whenerror {mail err} -whendone {mail ok}");

        Assert.Equal("runs when the job is done or in error", graph.WhyBlocked(3, Done(1)));
        Assert.True(graph.CanStart(3, Done(1, 2)));
    }

    [Fact]
    public void DependentsOf_ListsATaskOnce_WhenItIsBothSubtaskAndInstanceOfTheSameParent()
    {
        var graph = Graph("Job -title {t} -subtasks { Task {P} -subtasks { Task {C}; Instance {C} } }");

        Assert.Equal([2], graph.ChildrenOf(1));
        Assert.Equal([1], graph.DependentsOf(2));
    }

    [Fact]
    public void Constructor_Refuses_TaskIdsOutsideOneToN()
    {
        var error = Assert.Throws<ArgumentException>(() => new JobGraph(
            [new TaskShape(1, 0, false, [], []), new TaskShape(3, 0, false, [], [])], rootSerial: false));

        Assert.Contains("1..2", error.Message);
        Assert.Contains("got 3", error.Message);
    }
}
