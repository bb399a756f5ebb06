namespace Furrow.Client.Authoring;

/// <summary>
/// Alfred's <c>Task</c>: commands that run one after another once every subtask (and every task its
/// <see cref="Instance"/>s name) is done. Named <c>JobTask</c> so that it never clashes with
/// <see cref="System.Threading.Tasks.Task"/>, which every async C# file has in scope.
/// </summary>
/// <example>
/// <code>
/// var render = new JobTask("render frame 1") { Commands = { new Command("prman", "frame1.rib") } };
/// </code>
/// </example>
public sealed class JobTask : Subtask
{
    /// <summary>A task with the given title (required: a task without one is refused when the job is built).</summary>
    public JobTask(string title)
    {
        Title = title;
        Subtasks = new SubtaskList(this);
    }

    /// <summary><c>Task {title}</c>: what the task is called in tq and the Dashboard, and how an Instance may name it.</summary>
    public string Title { get; set; }

    /// <summary>
    /// <c>-id</c>: a name for <see cref="Instance"/>s to find this task by, unique within the job. Null for none; when set
    /// it must not be empty, begin or end with blanks, or be wrapped in double quotes (alfred reads ids without them).
    /// </summary>
    public string? Id { get; set; }

    /// <summary><c>-service</c>: the service key expression blades must provide to run this task's commands, unless a command has its own.</summary>
    public string? Service { get; set; }

    /// <summary><c>-atleast</c>: blade slots each command needs free, unless the command says; null falls back to the job's.</summary>
    public int? AtLeast { get; set; }

    /// <summary><c>-atmost</c>: blade slots each command takes when more are free, unless the command says; null falls back to the job's.</summary>
    public int? AtMost { get; set; }

    /// <summary><c>-serialsubtasks</c>: run the subtasks one after another, in order, instead of all at once.</summary>
    public bool SerialSubtasks { get; set; }

    /// <summary><c>-metadata</c>: free text kept with the task for tools; empty is the same as none.</summary>
    public string? Metadata { get; set; }

    /// <summary><c>-cmds</c>: the commands the task runs, in order, once its subtasks are done.</summary>
    public List<Command> Commands { get; init; } = [];

    /// <summary><c>-cleanup</c>: commands run after the task's own commands, as Tractor runs a task's cleanup.</summary>
    public List<Command> Cleanup { get; init; } = [];

    /// <summary><c>-chaser</c>: a command line (one element per argument) the Dashboard may launch to view the task's output.</summary>
    public List<string> Chaser { get; init; } = [];

    /// <summary><c>-preview</c>: a command line (one element per argument) the Dashboard may launch to preview the task's output.</summary>
    public List<string> Preview { get; init; } = [];

    /// <summary><c>-subtasks</c>: tasks, Instances and Iterates that must be done before this task's commands run.</summary>
    public SubtaskList Subtasks { get; }

    internal override string Describe() => $"task \"{Title}\"";
}
