using System.Globalization;
using System.Runtime.InteropServices;

namespace Furrow.Blade;

/// <summary>
/// The fields of Linux's <c>/proc/&lt;pid&gt;/stat</c> the blade uses (proc(5)): the state letter, parent and process
/// group, CPU times in clock ticks (its own plus its reaped children's), its start time in clock ticks since boot
/// (which tells it apart from a later process given the same pid), virtual size in bytes, and RSS in pages.
/// </summary>
internal readonly partial record struct ProcStat(int Pid, char State, int ParentPid, int Group, long UserTicks, long SystemTicks, ulong StartTicks,
    long VszBytes, long RssPages)
{
    /// <summary>Clock ticks per second, the unit of the CPU and start times (sysconf _SC_CLK_TCK; 100 where it cannot be had).</summary>
    public static double TicksPerSecond { get; } = OperatingSystem.IsLinux() ? Math.Max(1, SysConf(ClockTicksName)) : 100;

    private const int ClockTicksName = 2; // _SC_CLK_TCK on Linux

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    /// <summary>Process <paramref name="pid"/>'s stat, or null when it is gone, not ours to read, or there is no /proc.</summary>
    public static ProcStat? Read(int pid) => Read($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");

    /// <summary>The stat file at <paramref name="path"/>, or null when it cannot be read (its process ended meanwhile).</summary>
    public static ProcStat? Read(string path)
    {
        try
        {
            return TryParse(File.ReadAllText(path));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a stat line; the command name (field 2) is in parentheses and may hold spaces and parentheses itself.</summary>
    public static ProcStat? TryParse(string line)
    {
        var open = line.IndexOf('(');
        var close = line.LastIndexOf(')');
        if (open <= 0 || close < open)
            return null;
        var rest = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state): field n is rest[n - 3].
        if (rest.Length < 22 || rest[0].Length != 1 || !int.TryParse(line.AsSpan(0, open).Trim(), CultureInfo.InvariantCulture, out var pid))
            return null;
        long Field(int n) => long.Parse(rest[n - 3], CultureInfo.InvariantCulture);
        try
        {
            return new ProcStat(pid, rest[0][0], (int)Field(4), (int)Field(5), Field(14) + Field(16), Field(15) + Field(17),
                ulong.Parse(rest[22 - 3], CultureInfo.InvariantCulture), Field(23), Field(24));
        }
        catch (Exception error) when (error is FormatException or OverflowException)
        {
            return null;
        }
    }
}
