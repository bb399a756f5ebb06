namespace Furrow.Client.Authoring;

/// <summary>
/// Something that goes in a job's or task's <c>-subtasks</c>: a <see cref="JobTask"/>, an <see cref="Instance"/> of a
/// task defined elsewhere in the job, or an <see cref="Iterate"/> that stands for a run of tasks.
/// </summary>
/// <remarks>
/// Each subtask has at most one parent. Adding a <see cref="JobTask"/> that already has one to a second parent adds an
/// <see cref="Instance"/> of it instead, as Tractor's author API does; adding an <see cref="Instance"/> or
/// <see cref="Iterate"/> a second time throws <see cref="InvalidOperationException"/>.
/// </remarks>
public abstract class Subtask
{
    // Only this assembly's node types take part in the tree rules below.
    private protected Subtask()
    {
    }

    /// <summary>
    /// The <see cref="Job"/>, <see cref="JobTask"/> or <see cref="Iterate"/> this node was added to; null while it has none.
    /// Set and cleared only by <see cref="SubtaskList"/>, so a node's place in one tree is always known.
    /// </summary>
    internal object? Owner { get; set; }

    /// <summary>A short description for messages, such as <c>task "render"</c>.</summary>
    internal abstract string Describe();
}
