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
        // One read into a stack buffer: the blade reads a stat file per command start and every running process's on
        // each meter sample, so the usual file-to-string read (a stream, a reader, a decoder) cost it more than the parse.
        Span<byte> buffer = stackalloc byte[1024];
        try
        {
            using var handle = File.OpenHandle(path);
            var length = RandomAccess.Read(handle, buffer, 0);
            Span<char> text = stackalloc char[length];
            System.Text.Encoding.Latin1.GetChars(buffer[..length], text);
            return TryParse(text);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a stat line; the command name (field 2) is in parentheses and may hold spaces and parentheses itself.</summary>
    public static ProcStat? TryParse(ReadOnlySpan<char> line)
    {
        var open = line.IndexOf('(');
        var close = line.LastIndexOf(')');
        if (open <= 0 || close < open || !int.TryParse(line[..open].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            return null;
        // Fields 3 (the state) to 24 (RSS), after the name; field n is fields[n - 3].
        Span<Range> fields = stackalloc Range[23];
        var rest = line[(close + 1)..];
        var count = rest.SplitAny(fields, " \n", StringSplitOptions.RemoveEmptyEntries);
        if (count < 22 || rest[fields[0]].Length != 1)
            return null;
        if (!Field(rest, fields, 4, out var parent) || !Field(rest, fields, 5, out var group) || !Field(rest, fields, 14, out var utime)
            || !Field(rest, fields, 15, out var stime) || !Field(rest, fields, 16, out var cutime) || !Field(rest, fields, 17, out var cstime)
            || !Field(rest, fields, 23, out var vsize) || !Field(rest, fields, 24, out var rss)
            || !ulong.TryParse(rest[fields[22 - 3]], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || parent is > int.MaxValue or < int.MinValue || group is > int.MaxValue or < int.MinValue)
            return null;
        return new ProcStat(pid, rest[fields[0]][0], (int)parent, (int)group, utime + cutime, stime + cstime, start, vsize, rss);
    }

    private static bool Field(ReadOnlySpan<char> rest, ReadOnlySpan<Range> fields, int n, out long value) =>
        long.TryParse(rest[fields[n - 3]], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
