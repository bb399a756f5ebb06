namespace Furrow.Blade;

/// <summary>
/// Tells a process apart from a later one that got the same pid: its start time in clock ticks since boot
/// (<see cref="ProcStat.StartTicks"/>). A journal entry matches a live process only when both pid and start time match.
/// </summary>
internal static class ProcessIdentity
{
    /// <summary>The process's start time, or null when no such process runs (gone, a zombie, or no /proc).</summary>
    public static ulong? StartTicks(int pid) => ProcStat.Read(pid) is { State: not 'Z' } stat ? stat.StartTicks : null;

    /// <summary>Whether the journal's process still runs.</summary>
    public static bool IsAlive(JournalProcess process) => StartTicks(process.Pid) == process.StartTicks;

    /// <summary>
    /// Ends a process the blade started before it was restarted, with everything it started, as the blade ends its own
    /// commands (<see cref="ProcessTree.EndAsync"/>: SIGTERM, then SIGKILL after <paramref name="grace"/>, in the background);
    /// false when it was already gone.
    /// </summary>
    public static bool EndTree(JournalProcess process, TimeSpan grace, TimeProvider clock)
    {
        if (!IsAlive(process))
            return false;
        _ = ProcessTree.EndAsync(process.Pid, process.StartTicks, grace, clock);
        return true;
    }
}
