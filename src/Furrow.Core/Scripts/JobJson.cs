using System.Text.Json;
using Furrow.Core.Jobs;

namespace Furrow.Core.Scripts;

/// <summary>The JSON form of a job: the same <see cref="JobSpec"/> as an alfred script, for tools that would rather not write Tcl.</summary>
/// <remarks>
/// Unknown properties are refused, as unknown alfred options are, so a misspelt key is an error rather than a
/// silently ignored setting. Columns in errors count characters (<see cref="Text.TextColumn"/>), not the UTF-8 bytes <see cref="JsonException"/> counts.
/// </remarks>
public static class JobJson
{
    public static string Serialize(JobSpec job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return JsonSerializer.Serialize(job, JobJsonContext.Default.JobSpec);
    }

    public static ScriptParseResult Deserialize(string json, string fileName) => Deserialize(json, fileName, ScriptLimits.Default);

    public static ScriptParseResult Deserialize(string json, string fileName, ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);

        var textError = ScriptText.CheckText(json, fileName, limits);
        if (textError is not null)
        {
            return ScriptParseResult.Failure(textError);
        }

        JobSpec? job;
        try
        {
            // A key given twice is the serializer's to refuse (AllowDuplicateProperties); a NUL in a value is refused here.
            if (JsonScriptScan.FirstProblem(json, fileName, MaxJsonDepth(limits), duplicates: false) is { } scanned)
                return ScriptParseResult.Failure(scanned);
            job = JsonSerializer.Deserialize(json, ContextFor(limits).JobSpec);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            // NotSupportedException is raised for shapes the contract cannot bind, such as a task without its "kind".
            var problem = Text.JsonProblems.Describe(e, json, JobJsonContext.Default.JobSpec);
            var message = DepthExceeded(e) ? NestedTooDeep(limits) : problem.Message;
            return ScriptParseResult.Failure(new ScriptError(fileName, problem.Line, problem.Column, message));
        }

        if (job is null)
        {
            return ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, "expected a job object, found null"));
        }

        var nullAt = FindNullElement(job);
        job.Places = new JsonPlaces(json, fileName, job, MaxJsonDepth(limits));
        if (nullAt is not null)
            return ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, $"expected an object or value at {nullAt}, found null"));
        // As the alfred reader refuses `RemoteCmd {}`: a command with nothing to run would be spooled and fail on a blade.
        return FindEmptyCommand(job) is { } empty
            ? ScriptParseResult.Failure(job.Places.ErrorAt(empty, "argv",
                $"a {empty.Kind.ToName()} command has an empty command line: \"argv\" takes the program and its arguments, such as [\"prman\", \"frame.rib\"]"))
            : ScriptParseResult.Success(job);
    }

    // The reader's own words for nesting past MaxDepth name a depth of JSON levels the writer never set.
    private static bool DepthExceeded(Exception e) =>
        e is JsonException && e.Message.StartsWith("The maximum configured depth of ", StringComparison.Ordinal);

    private static string NestedTooDeep(ScriptLimits limits) =>
        $"braces and brackets nested more than {MaxJsonDepth(limits)} deep (the JSON form's limit for ScriptMaxDepth {limits.MaxDepth}: " +
        "two for each level of tasks, and 8 for the job and a command)";

    private static CommandSpec? FindEmptyCommand(JobSpec job)
    {
        static CommandSpec? In(List<CommandSpec> commands) => commands.Find(c => c.Argv.Count == 0);
        if ((In(job.Cleanup) ?? In(job.Postscript)) is { } found)
            return found;
        // The first in the order the text gives them: a stack popped in order.
        var pending = new Stack<TaskNode>(Enumerable.Reverse(job.Subtasks));
        while (pending.TryPop(out var node))
        {
            if (node is not TaskSpec task)
                continue;
            if ((In(task.Commands) ?? In(task.Cleanup)) is { } inTask)
                return inTask;
            foreach (var child in Enumerable.Reverse(task.Subtasks))
                pending.Push(child);
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="json"/> is meant as this form, right or wrong: a JSON object whose top-level keys (as far as
    /// it reads as JSON) are all this form's own. Tractor's JSON job form, or JSON that is no object, is not; a job in this
    /// form with a bad value, a bad task or a syntax error further in is.
    /// </summary>
    public static bool IsJobForm(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var keys = JobJsonContext.Default.JobSpec.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = MaxJsonDepth(ScriptLimits.Default),
        });
        var opened = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            opened = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!keys.Contains(reader.GetString()!))
                    return false;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // An object whose keys, as far as they could be read, were this form's: the rest is the job's error to report.
            return opened;
        }

        return true;
    }

    // Read-only once built; shared so the common case does not rebuild serializer metadata per call.
    private static readonly JobJsonContext DefaultLimitsContext = CreateContext(ScriptLimits.Default);

    private static JobJsonContext ContextFor(ScriptLimits limits) =>
        MaxJsonDepth(limits) == DefaultLimitsContext.Options.MaxDepth ? DefaultLimitsContext : CreateContext(limits);

    private static JobJsonContext CreateContext(ScriptLimits limits) =>
        new(new JsonSerializerOptions(JobJsonContext.Default.Options) { MaxDepth = MaxJsonDepth(limits) });

    // Each task level is two JSON levels (the task object and its "subtasks" array), plus the job and a command.
    private static int MaxJsonDepth(ScriptLimits limits) => (limits.MaxDepth * 2) + 8;

    // Nullable annotations are enforced on properties but not on list elements, so "subtasks": [null] is caught here.
    private static string? FindNullElement(JobSpec job)
    {
        var pending = new Stack<(string Path, TaskNode? Node)>();
        foreach (var (i, node) in job.Subtasks.Index())
        {
            pending.Push(($"$.subtasks[{i}]", node));
        }

        var jobCheck = CheckCommands("$.cleanup", job.Cleanup) ?? CheckCommands("$.postscript", job.Postscript)
            ?? CheckItems("$.envKey", job.EnvKey) ?? CheckItems("$.tags", job.Tags) ?? CheckItems("$.projects", job.Projects)
            ?? CheckItems("$.crews", job.Crews) ?? CheckItems("$.assignments", job.Assignments) ?? CheckItems("$.dirMaps", job.DirMaps)
            ?? CheckItems("$.kept", job.Kept);
        if (jobCheck is not null)
        {
            return jobCheck;
        }

        while (pending.TryPop(out var item))
        {
            if (item.Node is null)
            {
                return item.Path;
            }

            if (item.Node is not TaskSpec task)
            {
                continue;
            }

            var found = CheckCommands(item.Path + ".commands", task.Commands) ?? CheckCommands(item.Path + ".cleanup", task.Cleanup)
                ?? CheckItems(item.Path + ".chaser", task.Chaser) ?? CheckItems(item.Path + ".preview", task.Preview)
                ?? CheckItems(item.Path + ".kept", task.Kept);
            if (found is not null)
            {
                return found;
            }

            foreach (var (i, child) in task.Subtasks.Index())
            {
                pending.Push(($"{item.Path}.subtasks[{i}]", child));
            }
        }

        return null;
    }

    private static string? CheckCommands(string path, List<CommandSpec> commands)
    {
        foreach (var (i, command) in commands.Index())
        {
            var at = $"{path}[{i}]";
            var found = command is null
                ? at
                : CheckItems(at + ".argv", command.Argv) ?? CheckItems(at + ".tags", command.Tags)
                    ?? CheckItems(at + ".envKey", command.EnvKey) ?? CheckItems(at + ".kept", command.Kept);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static string? CheckItems<T>(string path, List<T> items)
    {
        var i = items.FindIndex(x => x is null);
        return i < 0 ? null : $"{path}[{i}]";
    }
}
