using System.Text.Json;

namespace Furrow.Core.Scripts;

/// <summary>The JSON form of a job: the same <see cref="JobSpec"/> as an alfred script, for tools that would rather not write Tcl.</summary>
/// <remarks>
/// Unknown properties are refused, as unknown alfred options are, so a misspelt key is an error rather than a
/// silently ignored setting. Columns in errors count UTF-8 bytes, as <see cref="JsonException"/> reports them.
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
            job = JsonSerializer.Deserialize(json, ContextFor(limits).JobSpec);
        }
        catch (JsonException e)
        {
            return ScriptParseResult.Failure(new ScriptError(
                fileName, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, Describe(e)));
        }
        catch (NotSupportedException e)
        {
            // Raised for shapes the contract cannot bind, such as an abstract task without its "kind".
            return ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, e.Message));
        }

        if (job is null)
        {
            return ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, "expected a job object, found null"));
        }

        var nullAt = FindNullElement(job);
        job.Places = new JsonPlaces(json, fileName, job, MaxJsonDepth(limits));
        return nullAt is null
            ? ScriptParseResult.Success(job)
            : ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, $"expected an object or value at {nullAt}, found null"));
    }

    // Read-only once built; shared so the common case does not rebuild serializer metadata per call.
    private static readonly JobJsonContext DefaultLimitsContext = CreateContext(ScriptLimits.Default);

    private static JobJsonContext ContextFor(ScriptLimits limits) =>
        MaxJsonDepth(limits) == DefaultLimitsContext.Options.MaxDepth ? DefaultLimitsContext : CreateContext(limits);

    private static JobJsonContext CreateContext(ScriptLimits limits) =>
        new(new JsonSerializerOptions(JobJsonContext.Default.Options) { MaxDepth = MaxJsonDepth(limits) });

    // Each task level is two JSON levels (the task object and its "subtasks" array), plus the job and a command.
    private static int MaxJsonDepth(ScriptLimits limits) => (limits.MaxDepth * 2) + 8;

    private static string Describe(JsonException e)
    {
        // JsonException appends "Path: … | LineNumber: 0 | …" with 0-based numbers; the position is reported separately.
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        var text = cut >= 0 ? message[..cut] : message;
        return e.Path is { Length: > 0 } path ? $"{text} (at {path})" : text;
    }

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
