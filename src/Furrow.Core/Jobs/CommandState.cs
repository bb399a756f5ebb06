namespace Furrow.Core.Jobs;

/// <summary>Where a command is in its task's run: blocked → active → done / error, or skipped by an operator.</summary>
public enum CommandState
{
    Blocked,
    Active,
    Done,
    Error,
    Skipped,
}

/// <summary>Names of command states as the database and listings write them (lower case, Tractor's words).</summary>
public static class CommandStateNames
{
    public static string ToName(this CommandState state) => state switch
    {
        CommandState.Blocked => "blocked",
        CommandState.Active => "active",
        CommandState.Done => "done",
        CommandState.Error => "error",
        CommandState.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <exception cref="FormatException">The name is not a command state.</exception>
    public static CommandState Parse(string name) => name switch
    {
        "blocked" => CommandState.Blocked,
        "active" => CommandState.Active,
        "done" => CommandState.Done,
        "error" => CommandState.Error,
        "skipped" => CommandState.Skipped,
        _ => throw new FormatException($"unknown command state '{name}'"),
    };

    /// <summary>Done or skipped: nothing of this command is left to run.</summary>
    public static bool IsFinished(this CommandState state) => state is CommandState.Done or CommandState.Skipped;
}
