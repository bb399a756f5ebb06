namespace Furrow.Core.Scripts;

/// <summary>
/// Job-wide values a spooler gives beside the script, as Tractor's tractor-spool hands them to its script parser: each
/// one given replaces the script's own (title, tier, projects, environment keys, most active commands, start time in the
/// script's <c>-after</c> form, jobs to wait for, priority, paused), except <see cref="Service"/>, which is ANDed with
/// every service key the script gives (job, tasks and commands: <c>linux</c> becomes <c>(linux) &amp;&amp; (KEY)</c>),
/// and is the job's key where the script gives none. Lists are words separated by spaces, commas or tabs
/// (<see cref="Words"/>).
/// </summary>
/// <remarks>
/// One rule for both ends: the engine applies them at spool (the native spool's title, tier, ... parameters, and the
/// Tractor face's), and `tractor-spool -o` applies them to the script it prints, so it prints the job that would be spooled.
/// </remarks>
public sealed record JobWideValues(string? Title = null, string? Tier = null, IReadOnlyList<string>? Projects = null,
    string? Service = null, IReadOnlyList<string>? EnvKey = null, int? MaxActive = null, string? After = null,
    IReadOnlyList<int>? AfterJids = null, double? Priority = null, bool? Paused = null)
{
    /// <summary>
    /// The words a spool's paused value may be, one rule for the native spool (paused=), Tractor's (paused=) and
    /// tractor-spool's --paused: 1 and true spool the job paused, 0 and false unpaused.
    /// </summary>
    public static readonly IReadOnlyList<string> PausedWords = ["1", "0", "true", "false"];

    /// <summary>A list value's words: separated by spaces, commas or tabs; null for null.</summary>
    public static List<string>? Words(string? given) =>
        given?.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>
    /// An afterjids list's job ids (<see cref="Words"/>, each a whole number from 1 up), or null when none is given or one
    /// is not a job id; then <paramref name="problem"/> says which: <c>afterjids: 'abc' is no job id (...)</c>.
    /// </summary>
    public static List<int>? JobIds(string? given, out string? problem)
    {
        problem = null;
        var ids = new List<int>();
        foreach (var word in Words(given) ?? [])
        {
            if (!int.TryParse(word, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var jid) || jid < 1)
            {
                problem = $"afterjids: '{word}' is no job id (expected job ids, separated by spaces or commas)";
                return null;
            }
            ids.Add(jid);
        }
        return given is null ? null : ids;
    }

    /// <summary>Writes these values over <paramref name="spec"/>'s.</summary>
    public void ApplyTo(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Title = Title ?? spec.Title;
        spec.Tier = Tier ?? spec.Tier;
        spec.Projects = Projects is null ? spec.Projects : [.. Projects];
        spec.EnvKey = EnvKey is null ? spec.EnvKey : [.. EnvKey];
        spec.MaxActive = MaxActive ?? spec.MaxActive;
        spec.After = After ?? spec.After;
        spec.AfterJids = AfterJids is null ? spec.AfterJids : [.. AfterJids];
        spec.Priority = Priority ?? spec.Priority;
        spec.Paused = Paused ?? spec.Paused;
        (string Option, bool Given)[] given =
        [
            ("title", Title is not null), ("tier", Tier is not null), ("projects", Projects is not null), ("envkey", EnvKey is not null),
            ("maxactive", MaxActive is not null), ("after", After is not null), ("afterjids", AfterJids is not null),
            ("priority", Priority is not null), ("paused", Paused is not null), ("service", Service is not null),
        ];
        foreach (var (option, isGiven) in given)
        {
            if (isGiven)
                spec.MarkGivenBeside(option);
        }
        if (Service is not { } service)
            return;
        // A command without a key of its own runs with its task's, else its job's: ANDing every key that is given, and
        // giving the job one, restricts every command.
        spec.Service = And(spec.Service, service);
        foreach (var command in spec.Cleanup.Concat(spec.Postscript))
            command.Service = string.IsNullOrWhiteSpace(command.Service) ? command.Service : And(command.Service, service);
        AndTasks(spec.Subtasks, service);
    }

    private static void AndTasks(List<TaskNode> tasks, string service)
    {
        foreach (var task in tasks.OfType<TaskSpec>())
        {
            task.Service = string.IsNullOrWhiteSpace(task.Service) ? task.Service : And(task.Service, service);
            foreach (var command in task.Commands.Concat(task.Cleanup))
                command.Service = string.IsNullOrWhiteSpace(command.Service) ? command.Service : And(command.Service, service);
            AndTasks(task.Subtasks, service);
        }
    }

    private static string And(string? given, string added) => string.IsNullOrWhiteSpace(given) ? added : $"({given}) && ({added})";
}
