using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;

namespace Furrow.Engine.Farm;

/// <summary>A task's runtime state: which of its commands runs next and which invocation runs it now.</summary>
internal sealed class LiveTask(int tid, string title, List<LiveCommand> commands)
{
    public int Tid { get; } = tid;

    /// <summary>Changed only by `tq tattr -k title`.</summary>
    public string Title { get; set; } = title;

    public IReadOnlyList<LiveCommand> Commands => commands;

    /// <summary>Puts a changed command (`tq cattr`, `tq chkeys`) in the place of the one of the same id.</summary>
    public void ReplaceCommand(LiveCommand command) => commands[IndexOfCommand(command.Cid)] = command;
    public TaskState State { get; set; } = TaskState.Blocked;
    public int NextCommand { get; set; }
    public long? RunningIid { get; set; }
    public int RetryCount { get; set; }

    /// <summary>
    /// The index in <see cref="Commands"/> of a command whose run its blade cut off (stopped, restarted, silent, lost),
    /// so its next launch resumes (<c>%r</c> is 1); null when none does. Not kept across an engine restart.
    /// </summary>
    public int? ResumeCommand { get; set; }

    /// <summary>
    /// The latest progress its running command reported (0 to 100), as last written to the database; null when
    /// unknown (none reported since the task last started over, or since the engine started).
    /// </summary>
    public int? Progress { get; set; }

    /// <summary>
    /// The class of the command it waits to run, while it waits for a blade; null when it is not waiting. For a
    /// `-samehost` command it is the command's class on one blade only (<see cref="LiveJobBuilder.OnBlade"/>).
    /// </summary>
    public CommandClass? QueuedAs { get; set; }

    /// <summary>
    /// The latest command handed to a blade: its place in <see cref="Commands"/> and the blade. Set at each start, and at
    /// a load from the stored invocations; what a `-samehost` command stays on.
    /// </summary>
    public (int Index, string Blade)? LastRun { get; set; }

    /// <summary>The one blade the command at <see cref="NextCommand"/> may run on (<see cref="DispatchRules.SameHostBlade"/>), or null for any.</summary>
    public string? SameHostBlade() => NextCommand >= Commands.Count ? null
        : DispatchRules.SameHostBlade(Commands[NextCommand].SameHost, NextCommand, LastRun?.Index, LastRun?.Blade);

    /// <summary>Where the command of id <paramref name="cid"/> stands in <see cref="Commands"/>; -1 when the task has none.</summary>
    public int IndexOfCommand(int cid)
    {
        for (var i = 0; i < Commands.Count; i++)
            if (Commands[i].Cid == cid)
                return i;
        return -1;
    }

    /// <summary>The command of id <paramref name="cid"/>, or null when the task has none.</summary>
    public LiveCommand? Command(int cid) => IndexOfCommand(cid) is >= 0 and var at ? Commands[at] : null;

    /// <summary>
    /// Whether this is the task holding its job's `-postscript` (and `-whendone`/`-whenerror`) commands, the compiler's
    /// "job cleanup" task: its commands run by what they are for, done or error (<see cref="LiveFarm"/>'s SkipPostscripts).
    /// </summary>
    public bool HoldsPostscript => _holdsPostscript ??=
        commands.Exists(c => c.RunType is CommandRunType.PostDone or CommandRunType.PostError or CommandRunType.PostAlways);

    private bool? _holdsPostscript;

    /// <summary>Active or ready with a command still to hand out and none running.</summary>
    public bool WantsBlade => (State is TaskState.Ready or TaskState.Active) && RunningIid is null && NextCommand < Commands.Count;
}
