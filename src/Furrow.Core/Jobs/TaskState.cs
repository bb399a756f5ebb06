namespace Furrow.Core.Jobs;

/// <summary>Where a task is in its life: blocked → ready → active → done / error.</summary>
public enum TaskState
{
    Blocked,
    Ready,
    Active,
    Done,
    Error,
}

/// <summary>Names of task states as Tractor writes them (lower case) in queries, tables and the database.</summary>
public static class TaskStateNames
{
    public static string ToName(this TaskState state) => state switch
    {
        TaskState.Blocked => "blocked",
        TaskState.Ready => "ready",
        TaskState.Active => "active",
        TaskState.Done => "done",
        TaskState.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static TaskState Parse(string name) => name switch
    {
        "blocked" => TaskState.Blocked,
        "ready" => TaskState.Ready,
        "active" => TaskState.Active,
        "done" => TaskState.Done,
        "error" => TaskState.Error,
        _ => throw new FormatException($"unknown task state '{name}'"),
    };
}
