using System.Text.Json.Serialization;

namespace Furrow.Core.Scripts;

/// <summary>A job as its script describes it: what the alfred parser builds, the writers render and the engine compiles.</summary>
public sealed class JobSpec
{
    public string Title { get; set; } = "";
    public double? Priority { get; set; }
    public string? Service { get; set; }
    public List<string> EnvKey { get; set; } = [];
    public List<string> Tags { get; set; } = [];
    public List<string> Projects { get; set; } = [];
    public List<string> Crews { get; set; } = [];
    public string? Tier { get; set; }
    public bool? Paused { get; set; }
    public int? MaxActive { get; set; }
    public int? AtLeast { get; set; }
    public int? AtMost { get; set; }
    public bool SerialSubtasks { get; set; }
    public string? After { get; set; }
    public List<int> AfterJids { get; set; } = [];
    public string? Comment { get; set; }
    public string? Metadata { get; set; }
    public string? SpoolCwd { get; set; }

    /// <summary>`Assign name {value}` entries of `-init`, in script order.</summary>
    public List<Assignment> Assignments { get; set; } = [];

    public List<TaskNode> Subtasks { get; set; } = [];
    public List<CommandSpec> Cleanup { get; set; } = [];
    public List<CommandSpec> Postscript { get; set; } = [];

    /// <summary>`-dirmaps` entries, each the Tcl list `{{from} {to} zone}`.</summary>
    public List<DirMap> DirMaps { get; set; } = [];

    /// <summary>Options Furrow accepts but does not act on yet, kept in script order and written back verbatim.</summary>
    public List<KeptOption> Kept { get; set; } = [];

    /// <summary>
    /// Where the job's parts were written, when it was read from a script; null for a job built in code. Internal, so it is
    /// no part of the JSON job form: a "places" key there is an unknown key, not one read and dropped.
    /// </summary>
    internal SpecPlaces? Places { get; set; }

    // Job options a spooler gave beside the script, over the script's own (JobWideValues, a spool's priority): not fields of
    // the job, so no part of the JSON job form.
    private readonly HashSet<string> _givenBeside = new(StringComparer.Ordinal);

    /// <summary>
    /// Marks the job's <paramref name="option"/> (its script name: "tier", "priority", "afterjids", ...) as given by the
    /// spooler beside the script (tractor-spool's <c>--jtier</c>, a spool's <c>tier=</c>), over any value the script has:
    /// a refusal of it (<see cref="Refusal"/>) then names the file and says so, rather than a line of the script that
    /// does not hold it.
    /// </summary>
    public void MarkGivenBeside(string option) => _givenBeside.Add(option);

    /// <summary>
    /// A refusal of <paramref name="option"/> of <paramref name="owner"/> (see <see cref="SpecPlaces.ErrorAt"/>) as
    /// "file:line:column: message" when the job was read from a script, else the message alone. A job option the spooler
    /// gave (<see cref="MarkGivenBeside"/>) is "file: message (given to the spool, not in the script)".
    /// </summary>
    public string Refusal(object owner, string option, string message)
    {
        if (ReferenceEquals(owner, this) && _givenBeside.Contains(option))
        {
            var given = $"{message} (given to the spool, not in the script)";
            return Places is null ? given : $"{Places.ErrorAt(owner, option, message).FileName}: {given}";
        }
        return Places?.ErrorAt(owner, option, message).ToString() ?? message;
    }
}

/// <summary>A child of a job or task: a real task, or an Instance that refers to one elsewhere in the tree.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(TaskSpec), "task")]
[JsonDerivedType(typeof(InstanceSpec), "instance")]
public abstract class TaskNode
{
    [JsonPropertyOrder(-1)]
    public string Title { get; set; } = "";
}

/// <summary>A task: commands that run in order once all its subtasks are done.</summary>
public sealed class TaskSpec : TaskNode
{
    public string? Id { get; set; }
    public string? Service { get; set; }
    public int? AtLeast { get; set; }
    public int? AtMost { get; set; }
    public bool SerialSubtasks { get; set; }
    public bool ResumeBlock { get; set; }
    public string? Metadata { get; set; }
    public List<CommandSpec> Commands { get; set; } = [];
    public List<CommandSpec> Cleanup { get; set; } = [];
    public List<string> Chaser { get; set; } = [];
    public List<string> Preview { get; set; } = [];
    public List<TaskNode> Subtasks { get; set; } = [];
    public List<KeptOption> Kept { get; set; } = [];
}

/// <summary>`Instance {title}`: a dependency on a task defined elsewhere in the job, found by title or id.</summary>
public sealed class InstanceSpec : TaskNode;

/// <summary>How a command is run.</summary>
public enum CommandKind
{
    /// <summary>`RemoteCmd`: runs on any blade that provides its service.</summary>
    [JsonStringEnumMemberName("remote")]
    Remote,
    /// <summary>`Cmd` / `Command`: runs on the engine host's own blade.</summary>
    [JsonStringEnumMemberName("local")]
    Local,
    /// <summary>A bare built-in such as `File delete path` (in `-cleanup`), run by the blade itself.</summary>
    [JsonStringEnumMemberName("builtin")]
    Builtin,
}

/// <summary>One command line of a task, with its options.</summary>
public sealed class CommandSpec
{
    public CommandKind Kind { get; set; } = CommandKind.Remote;

    /// <summary>The keyword the script used (`RemoteCmd`, `Cmd`, `Command`, or the builtin's name), so the writer can echo it.</summary>
    public string Keyword { get; set; } = "RemoteCmd";

    public List<string> Argv { get; set; } = [];
    public string? Service { get; set; }
    public List<string> Tags { get; set; } = [];
    public List<string> EnvKey { get; set; } = [];
    public string? Id { get; set; }
    public string? RefersTo { get; set; }
    public string? Msg { get; set; }
    public bool Expand { get; set; }
    public List<int> RetryRc { get; set; } = [];
    public int? AtLeast { get; set; }
    public int? AtMost { get; set; }
    public bool SameHost { get; set; }

    /// <summary>For postscript commands: `done`, `error` or `always`.</summary>
    public string? When { get; set; }

    public string? Metadata { get; set; }
    public List<KeptOption> Kept { get; set; } = [];
}

/// <summary>`Assign name {value}` from a job's `-init`.</summary>
public sealed record Assignment(string Name, string Value);

/// <summary>One `-dirmaps` entry: a path prefix mapped to another for a zone (NFS, UNC, OSX, LINUX ...).</summary>
public sealed record DirMap(string From, string To, string Zone);

/// <summary>An option kept as its Tcl word text because Furrow does not act on it yet; Name has no leading dash (`pbias`).</summary>
public sealed record KeptOption(string Name, string Value);
