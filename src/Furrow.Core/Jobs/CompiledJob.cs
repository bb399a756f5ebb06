using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>A job flattened for the database and the scheduler: numbered tasks and commands with their dependencies.</summary>
public sealed class CompiledJob
{
    public required JobSpec Spec { get; init; }
    public required IReadOnlyList<CompiledTask> Tasks { get; init; }
    public IEnumerable<CompiledCommand> Commands => Tasks.SelectMany(t => t.Commands);
}

/// <summary>One task of a compiled job. Tids count from 1 in depth-first order, as Tractor numbers them.</summary>
public sealed record CompiledTask(
    int Tid,
    int ParentTid,
    string Title,
    string? Id,
    string? Service,
    bool SerialSubtasks,
    IReadOnlyList<int> Children,
    IReadOnlyList<int> InstanceOf,
    IReadOnlyList<CompiledCommand> Commands)
{
    /// <summary>`-metadata`: text the script attached to the task, kept and listed, not acted on; null when none.</summary>
    public string? Metadata { get; init; }

    /// <summary>`-preview` and `-chaser`: the command lines Tractor's Dashboard offers to view the task's output; kept and listed.</summary>
    public IReadOnlyList<string> Preview { get; init; } = [];

    /// <inheritdoc cref="Preview"/>
    public IReadOnlyList<string> Chaser { get; init; } = [];
}

/// <summary>One command of a compiled job; cids count from 1 across the job in task order.</summary>
public sealed record CompiledCommand(
    int Cid,
    int Tid,
    IReadOnlyList<string> Argv,
    CommandKind Kind,
    CommandRunType RunType,
    string? Service,
    bool Expand,
    IReadOnlyList<int> RetryRc)
{
    /// <summary>`-tags`: limit names this command counts against (with its job's tags and its service keys).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>`-envkey`: names of environments (blade.config `EnvKeys` entries) the command runs in.</summary>
    public IReadOnlyList<string> EnvKey { get; init; } = [];

    /// <summary>`-atleast`: slots the command needs free on a blade; null when neither it, its task nor its job says.</summary>
    public int? AtLeast { get; init; }

    /// <summary>`-atmost`: slots the command takes when more are free; null when neither it, its task nor its job says.</summary>
    public int? AtMost { get; init; }

    /// <summary>
    /// `-samehost 1`: the command runs on the blade that ran its task's previous command (Tractor's rule; see
    /// <see cref="Scheduling.DispatchRules.SameHostBlade"/>); on a task's first command it changes nothing.
    /// </summary>
    public bool SameHost { get; init; }

    /// <summary>`-id`: the command's name within its job, which another command's <see cref="RefersTo"/> may use; null when none.</summary>
    public string? Id { get; init; }

    /// <summary>
    /// `-refersto`: the <see cref="Id"/> of an earlier command, whose blade this command runs on (the engine's rule); or a
    /// task's -id, as generated scripts write it, kept and listed, not acted on. Null when none.
    /// </summary>
    public string? RefersTo { get; init; }

    /// <summary>`-msg`: the text the script gave the command (Alfred's message to the command), kept and listed; null when none.</summary>
    public string? Msg { get; init; }

    /// <summary>`-metadata`: text the script attached to the command, kept and listed, not acted on; null when none.</summary>
    public string? Metadata { get; init; }
}
