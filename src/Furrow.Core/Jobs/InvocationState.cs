namespace Furrow.Core.Jobs;

/// <summary>
/// One run of a command on a blade: dispatched → running → done / error, or ended by the engine for a reason it
/// records (the task retried, skipped or deleted, the blade lost, the run never seen).
/// </summary>
public enum InvocationState
{
    /// <summary>Handed to a blade; the blade has not said it started.</summary>
    Dispatched,
    Running,

    /// <summary>Exited with status 0.</summary>
    Done,

    /// <summary>Exited non-zero, or could not be started.</summary>
    Error,

    /// <summary>Stopped because the task was retried (by an operator, or by `-retryrc`).</summary>
    Retried,
    Skipped,
    Deleted,

    /// <summary>Its blade stopped reporting for longer than `BladeSilenceTimeoutSecs`.</summary>
    BladeSilent,

    /// <summary>Its blade came back as a new process (new boot id): the old run is gone.</summary>
    BladeRestarted,

    /// <summary>Handed out, but its blade never mentioned it (the reply was lost).</summary>
    Vanished,

    /// <summary>Current when the engine started, but its job was no longer in the queue.</summary>
    Orphaned,

    /// <summary>Current when a backup was taken; the restored database reschedules it.</summary>
    Restored,

    /// <summary>Its blade ended it before it finished (the blade was stopped or restarted); the task went back to ready at once.</summary>
    Interrupted,

    /// <summary>Stopped by an operator (`tq interrupt`, Tractor's jinterrupt): its task went to error, to be retried or resumed.</summary>
    Killed,
}

/// <summary>Names of invocation states as the database and listings write them.</summary>
public static class InvocationStateNames
{
    public static string ToName(this InvocationState state) => state switch
    {
        InvocationState.Dispatched => "dispatched",
        InvocationState.Running => "running",
        InvocationState.Done => "done",
        InvocationState.Error => "error",
        InvocationState.Retried => "retried",
        InvocationState.Skipped => "skipped",
        InvocationState.Deleted => "deleted",
        InvocationState.BladeSilent => "blade silent",
        InvocationState.BladeRestarted => "blade restarted",
        InvocationState.Vanished => "vanished",
        InvocationState.Orphaned => "orphaned",
        InvocationState.Restored => "restored",
        InvocationState.Interrupted => "interrupted",
        InvocationState.Killed => "killed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <exception cref="FormatException">The name is not an invocation state.</exception>
    public static InvocationState Parse(string name)
    {
        foreach (var state in Enum.GetValues<InvocationState>())
            if (state.ToName() == name)
                return state;
        throw new FormatException($"unknown invocation state '{name}'");
    }
}
