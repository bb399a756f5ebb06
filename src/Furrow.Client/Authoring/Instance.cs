namespace Furrow.Client.Authoring;

/// <summary>
/// Alfred's <c>Instance</c>: its parent also waits for a task defined elsewhere in the same job, without running that
/// task twice. Written as <c>Instance {name}</c>, where Furrow looks the name up first among the tasks' <c>-id</c>s,
/// then among their titles, and the first task in job order with that id or title wins (as Tractor finds it).
/// </summary>
/// <remarks>
/// Made from a <see cref="JobTask"/>, the Instance names the task by its <see cref="JobTask.Id"/> when it has one, else
/// by its title, and building the job checks that the name finds that very task: two tasks with the same title need an
/// id to tell them apart. Made from a name, it must find a task of the job when the job is built.
/// An Instance at the top of a job adds no dependency (the job runs every task anyway), but its name must still find a task.
/// </remarks>
public sealed class Instance : Subtask
{
    /// <summary>An Instance of <paramref name="task"/>, which must be part of the same job when the job is built.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    public Instance(JobTask task)
    {
        Target = task ?? throw new ArgumentNullException(nameof(task));
    }

    /// <summary>An Instance of the task whose <c>-id</c>, or else title, is <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty (alfred has no Instance of nothing).</exception>
    public Instance(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _name = name;
    }

    private readonly string? _name;

    /// <summary>The task this Instance was made from, or null when it was made from a name.</summary>
    public JobTask? Target { get; }

    /// <summary>The name written after <c>Instance</c>: the given name, or the task's id, else its title, as they are now.</summary>
    public string Name => _name ?? (string.IsNullOrEmpty(Target!.Id) ? Target.Title : Target.Id);

    internal override string Describe() => $"Instance {{{Name}}}";
}
