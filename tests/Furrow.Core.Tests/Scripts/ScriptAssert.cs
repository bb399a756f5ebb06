using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>Parsing shortcuts that fail a test with the parser's own error text.</summary>
internal static class ScriptAssert
{
    public static JobSpec Parses(string text, string fileName = "test.alf")
    {
        var result = AlfredParser.Parse(text, fileName);
        Assert.True(result.Succeeded, result.Error?.ToString());
        return result.Job;
    }

    public static ScriptError Refuses(string text, string fileName = "test.alf")
    {
        var result = AlfredParser.Parse(text, fileName);
        Assert.False(result.Succeeded, "expected the script to be refused");
        return result.Error;
    }

    public static void At(ScriptError error, int line, int column)
    {
        Assert.True(error.Line == line && error.Column == column, $"expected the error at {line}:{column}, got {error}");
    }

    /// <summary>Every real task in the tree, depth first.</summary>
    public static List<TaskSpec> AllTasks(JobSpec job)
    {
        var found = new List<TaskSpec>();
        var pending = new Stack<TaskNode>(Enumerable.Reverse(job.Subtasks));
        while (pending.TryPop(out var node))
        {
            if (node is TaskSpec task)
            {
                found.Add(task);
                foreach (var child in Enumerable.Reverse(task.Subtasks))
                {
                    pending.Push(child);
                }
            }
        }

        return found;
    }

    public static TaskSpec OnlyTask(JobSpec job) => Assert.IsType<TaskSpec>(Assert.Single(job.Subtasks));

    /// <summary>A job whose one task runs <paramref name="cmds"/>, for testing command syntax.</summary>
    public static List<CommandSpec> Commands(string cmds) => OnlyTask(Parses($"Job -title {{t}} -subtasks {{\n Task {{a}} -cmds {{\n{cmds}\n }}\n}}\n")).Commands;
}
