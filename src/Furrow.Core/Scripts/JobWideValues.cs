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
    /// The names <see cref="Read"/> reads, as the native spool takes them: title, tier, projects, svckey, envkey,
    /// maxactive, after, afterjids, priority and paused.
    /// </summary>
    public static readonly IReadOnlyList<string> Names = ["title", "tier", "projects", "svckey", "envkey", "maxactive", "after", "afterjids", "priority", "paused"];

    /// <summary>
    /// Reads the values a spool gives beside its script by one rule for every face: <paramref name="given"/> maps each of
    /// <see cref="Names"/> to the parameter it came as (shown in messages, e.g. Tractor's <c>jtier</c>) and its value, or
    /// null when not given. A list (projects, envkey, afterjids) may be empty, which empties the script's; a single value
    /// may not: an empty <c>priority=</c> is refused, not dropped. maxactive is a whole number (<see cref="Text.ValueText.IsWhole"/>),
    /// priority a decimal (its range is checked once the script is read), paused a switch (<see cref="Text.ValueText.Switch"/>).
    /// </summary>
    /// <returns>The values (null when none is given), or null with <paramref name="problem"/> naming the parameter and
    /// what it takes.</returns>
    public static JobWideValues? Read(Func<string, (string Name, string Value)?> given, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(given);
        problem = null;
        var values = new JobWideValues();
        foreach (var key in Names)
        {
            if (given(key) is not var (name, value))
                continue;
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                problem = $"bad {name}: it may not contain a NUL character";
                return null;
            }
            var empty = string.IsNullOrWhiteSpace(value);
            if (empty && key is not ("projects" or "envkey" or "afterjids"))
            {
                problem = $"{name}= is {(value.Length == 0 ? "empty" : "blank")}: give the job's {key} ({What(key)}), or leave {name}= out to keep the script's";
                return null;
            }
            switch (key)
            {
                case "title":
                    if (value.Length > Jobs.AttributeEdit.MaxTitleLength)
                        problem = $"{name}: at most {Jobs.AttributeEdit.MaxTitleLength} characters, got {value.Length}";
                    values = values with { Title = value };
                    break;
                case "tier":
                    values = values with { Tier = value };
                    break;
                case "projects":
                    values = values with { Projects = List(name, value, out problem) };
                    break;
                case "svckey":
                    values = values with { Service = value };
                    break;
                case "envkey":
                    values = values with { EnvKey = List(name, value, out problem) };
                    break;
                case "maxactive":
                    if (!Text.ValueText.IsWhole(value, out var most))
                        problem = $"{name} '{Shown(value)}': expected {What(key)}";
                    values = values with { MaxActive = most };
                    break;
                case "after":
                    values = values with { After = value };
                    break;
                case "afterjids":
                    values = values with { AfterJids = JobIds(value, out problem, name) };
                    break;
                case "priority":
                    if (!Text.ValueText.IsDecimal(value, out var priority))
                        problem = $"{name} '{Shown(value)}': expected {What(key)}";
                    values = values with { Priority = priority };
                    break;
                case "paused":
                    var paused = Text.ValueText.Switch(value);
                    if (paused is null)
                        problem = $"{name} '{Shown(value)}': expected {What(key)}";
                    values = values with { Paused = paused };
                    break;
            }
            if (problem is not null)
                return null;
        }
        return values == new JobWideValues() ? null : values;
    }

    // A list of words by the one rule for lists (Text.ValueText.Items: no empty item between commas).
    private static List<string>? List(string name, string value, out string? problem)
    {
        var items = Text.ValueText.Items(value, out var missing);
        problem = missing is null ? null : $"{name} '{Shown(value)}': {missing}";
        return items?.Distinct(StringComparer.Ordinal).ToList();
    }

    // A value as a refusal quotes it: a long one is cut, so a refusal does not echo a large request back.
    private static string Shown(string value) => value.Length <= 60 ? value : value[..60] + "...";

    // What a value of Read's takes, in the words its refusals use.
    private static string What(string key) => key switch
    {
        "maxactive" => "a whole number from 0 up; 0: no limit",
        "priority" => $"a number from {Jobs.JobPriority.RangeText} such as 100 or -2.5",
        "paused" => $"one of {Text.ValueText.SwitchWords}",
        "after" => "a start time such as '12 25 18:00'",
        "svckey" => "a service key expression such as 'linux,prman'",
        "tier" => "a tier name",
        _ => "a title",
    };

    /// <summary>A list value's words: separated by spaces, commas or tabs; null for null.</summary>
    public static List<string>? Words(string? given) =>
        given?.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>
    /// An afterjids list's job ids (<see cref="Text.ValueText.Items"/>: separated by commas or spaces, no empty item; each
    /// <see cref="Text.ValueText.IsId"/>), or null when none is given or the list is not one; then
    /// <paramref name="problem"/> says why, naming the list as <paramref name="name"/>: <c>afterjids: 'abc' is no job id (...)</c>.
    /// </summary>
    public static List<int>? JobIds(string? given, out string? problem, string name = "afterjids")
    {
        problem = null;
        if (given is null)
            return null;
        if (Text.ValueText.Items(given, out var badList) is not { } words)
        {
            problem = $"{name} '{Shown(given)}': {badList} (expected job ids, separated by spaces or commas)";
            return null;
        }
        var ids = new List<int>();
        foreach (var word in words)
        {
            if (!Text.ValueText.IsId(word, out var jid) || jid > int.MaxValue)
            {
                problem = $"{name}: '{Shown(word)}' is no job id (expected job ids, separated by spaces or commas)";
                return null;
            }
            ids.Add((int)jid);
        }
        return ids;
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
