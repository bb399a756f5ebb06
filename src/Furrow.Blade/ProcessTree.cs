using System.Runtime.InteropServices;

namespace Furrow.Blade;

/// <summary>
/// A command's process tree on Linux, read from <c>/proc</c>: the command's process, everything descended from it, and
/// every process in the process group it leads. Read by the meter for what the tree uses, and signalled as a whole when
/// the blade ends a command.
/// </summary>
internal static partial class ProcessTree
{
    /// <summary>SIGTERM: asks a process to end, so a renderer can clean up (temp files, licences) first.</summary>
    public const int Terminate = 15;

    /// <summary>SIGKILL: ends a process that did not end when asked.</summary>
    public const int Kill = 9;

    /// <summary>Every process's <c>/proc/&lt;pid&gt;/stat</c>, by pid; a process that ends while being read is left out; empty without /proc.</summary>
    public static Dictionary<int, ProcStat> ReadAll()
    {
        var result = new Dictionary<int, ProcStat>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return result;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && ProcStat.Read(Path.Combine(entry, "stat")) is { } stat)
                result[stat.Pid] = stat;
        }
        return result;
    }

    /// <summary>Each process's children, by parent pid.</summary>
    public static Dictionary<int, List<int>> ChildrenOf(IEnumerable<ProcStat> processes)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var p in processes)
        {
            if (!children.TryGetValue(p.ParentPid, out var list))
                children[p.ParentPid] = list = [];
            list.Add(p.Pid);
        }
        return children;
    }

    /// <summary>The pids of <paramref name="root"/>'s tree among <paramref name="processes"/>: itself if it runs, its
    /// descendants, and the members of the process group it leads with theirs (a child that left the tree by losing its
    /// parent stays in the group).</summary>
    public static HashSet<int> Members(int root, IReadOnlyDictionary<int, ProcStat> processes, IReadOnlyDictionary<int, List<int>> children)
    {
        var members = new HashSet<int>();
        var pending = new Stack<int>();
        if (processes.ContainsKey(root))
            pending.Push(root);
        foreach (var p in processes.Values)
            if (p.Group == root)
                pending.Push(p.Pid);
        while (pending.TryPop(out var pid))
            if (members.Add(pid) && children.TryGetValue(pid, out var kids))
                foreach (var kid in kids)
                    pending.Push(kid);
        return members;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every live process of <paramref name="root"/>'s tree; returns each one signalled
    /// with its start time, so a later <see cref="SignalStill"/> reaches only those same processes, never a later one that
    /// got a freed pid.
    /// </summary>
    public static List<(int Pid, ulong StartTicks)> SignalAll(int root, int signal)
    {
        var processes = ReadAll();
        var signalled = new List<(int, ulong)>();
        foreach (var pid in Members(root, processes, ChildrenOf(processes.Values)))
        {
            var stat = processes[pid];
            if (stat.State != 'Z' && SendSignal(pid, signal) == 0)
                signalled.Add((pid, stat.StartTicks));
        }
        return signalled;
    }

    /// <summary>Sends <paramref name="signal"/> to each of <paramref name="processes"/> that still runs as the same process; returns how many.</summary>
    public static int SignalStill(IEnumerable<(int Pid, ulong StartTicks)> processes, int signal)
    {
        var sent = 0;
        foreach (var (pid, startTicks) in processes)
            if (ProcessIdentity.StartTicks(pid) == startTicks && SendSignal(pid, signal) == 0)
                sent++;
        return sent;
    }

    /// <summary>
    /// Ends <paramref name="root"/>'s tree as the blade ends a command: SIGTERM to every process of it, then after
    /// <paramref name="grace"/> SIGKILL to those same processes still there and, while <paramref name="root"/> is still the
    /// process that started at <paramref name="rootStart"/>, to whatever its tree holds then. Once the command's process is
    /// gone its pid may be another's, so then only the processes asked to end are killed. Completes after the SIGKILL step.
    /// </summary>
    public static async Task EndAsync(int root, ulong rootStart, TimeSpan grace, TimeProvider clock)
    {
        if (ProcessIdentity.StartTicks(root) != rootStart)
            return;
        var asked = SignalAll(root, Terminate);
        await Task.Delay(grace, clock).ConfigureAwait(false);
        if (ProcessIdentity.StartTicks(root) == rootStart)
            asked.AddRange(SignalAll(root, Kill));
        SignalStill(asked, Kill);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
