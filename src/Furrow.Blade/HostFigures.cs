using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Furrow.Client.Protocol;

namespace Furrow.Blade;

/// <summary>
/// Reads this machine's figures (cores, memory, free disk, load, platform) for the engine's scheduler. On Linux they
/// come from /proc/meminfo, /proc/loadavg and the filesystem of the working directory; elsewhere from the runtime
/// (GC memory figures, load 0). A read is cached for <see cref="CacheFor"/>, so a report every second costs almost
/// nothing, and reading never throws: a figure that cannot be read falls back to a neutral value.
/// </summary>
public sealed class HostFigures
{
    /// <summary>How long one read of the figures is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private const double BytesPerGB = 1024d * 1024 * 1024;
    private const int ProcBufferSize = 16 * 1024;

    private static readonly string s_platform = DetectPlatform();
    private static readonly string s_osInfo = DetectOsInfo();

    private readonly string? _directory;
    private readonly TimeProvider _clock;
    private readonly Lock _refresh = new();
    private byte[]? _bytes;
    private char[]? _chars;
    private Snapshot? _snapshot;

    /// <param name="workingDirectory">The directory whose filesystem's free space is reported; null: the current directory.</param>
    /// <param name="clock">Time source for the cache.</param>
    public HostFigures(string? workingDirectory = null, TimeProvider? clock = null)
    {
        _directory = workingDirectory;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The figures, read at most once per <see cref="CacheFor"/>.</summary>
    public BladeFigures Current()
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && _clock.GetElapsedTime(snapshot.ReadAt) < CacheFor)
            return snapshot.Figures;
        lock (_refresh)
        {
            snapshot = _snapshot;
            if (snapshot is not null && _clock.GetElapsedTime(snapshot.ReadAt) < CacheFor)
                return snapshot.Figures;
            var figures = Read();
            Volatile.Write(ref _snapshot, new Snapshot(figures, _clock.GetTimestamp()));
            return figures;
        }
    }

    private BladeFigures Read()
    {
        var (total, available) = ReadMemory();
        return new BladeFigures(
            Math.Max(1, Environment.ProcessorCount),
            ToGB(total),
            ToGB(Math.Clamp(available, 0, total)),
            ToGB(FreeDiskBytes(_directory ?? SafeCurrentDirectory())),
            ReadLoad(),
            s_platform,
            s_osInfo);
    }

    private (long Total, long Available) ReadMemory()
    {
        if (OperatingSystem.IsLinux())
        {
            var length = ReadProcFile("/proc/meminfo");
            if (length > 0 && TryParseMemInfo(_chars.AsSpan(0, length), out var total, out var available))
                return (total, available);
        }
        return GcMemory();
    }

    private double ReadLoad()
    {
        if (OperatingSystem.IsLinux())
        {
            var length = ReadProcFile("/proc/loadavg");
            if (length > 0 && TryParseLoadAvg(_chars.AsSpan(0, length), out var load))
                return Math.Round(load, 2);
        }
        return 0;
    }

    /// <summary>Reads a small /proc file into the reused char buffer; its length, or -1 when it cannot be read.</summary>
    private int ReadProcFile(string path)
    {
        _bytes ??= new byte[ProcBufferSize];
        _chars ??= new char[ProcBufferSize];
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var filled = 0;
            while (filled < _bytes.Length)
            {
                var read = RandomAccess.Read(handle, _bytes.AsSpan(filled), filled);
                if (read <= 0)
                    break;
                filled += read;
            }
            // /proc text is ASCII; Latin-1 maps each byte to one char without allocating.
            return Encoding.Latin1.GetChars(_bytes.AsSpan(0, filled), _chars);
        }
        catch (Exception)
        {
            return -1;
        }
    }

    /// <summary>
    /// Parses /proc/meminfo text: total is <c>MemTotal</c>, available is <c>MemAvailable</c> (or, on kernels older
    /// than 3.14 that lack it, <c>MemFree + Buffers + Cached</c>), both in bytes, available clamped to total. False,
    /// with both 0, when the text has no usable <c>MemTotal</c> or no free figure at all.
    /// </summary>
    internal static bool TryParseMemInfo(ReadOnlySpan<char> text, out long totalBytes, out long availableBytes)
    {
        long total = -1, memAvailable = -1, memFree = -1, buffers = -1, cached = -1;
        foreach (var line in text.EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var key = line[..colon];
            if (key.SequenceEqual("MemTotal"))
                total = ParseMemInfoValue(line[(colon + 1)..]);
            else if (key.SequenceEqual("MemAvailable"))
                memAvailable = ParseMemInfoValue(line[(colon + 1)..]);
            else if (key.SequenceEqual("MemFree"))
                memFree = ParseMemInfoValue(line[(colon + 1)..]);
            else if (key.SequenceEqual("Buffers"))
                buffers = ParseMemInfoValue(line[(colon + 1)..]);
            else if (key.SequenceEqual("Cached"))
                cached = ParseMemInfoValue(line[(colon + 1)..]);
        }
        var available = memAvailable >= 0 ? memAvailable
            : memFree >= 0 ? memFree + Math.Max(0, buffers) + Math.Max(0, cached)
            : -1;
        if (total <= 0 || available < 0)
        {
            totalBytes = 0;
            availableBytes = 0;
            return false;
        }
        totalBytes = total;
        availableBytes = Math.Min(available, total);
        return true;
    }

    /// <summary>One meminfo value ("  24683620 kB") in bytes; -1 when malformed.</summary>
    private static long ParseMemInfoValue(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        long multiplier = 1;
        if (value.EndsWith("kB", StringComparison.Ordinal))
        {
            multiplier = 1024;
            value = value[..^2].TrimEnd();
        }
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number > long.MaxValue / multiplier)
            return -1;
        return number * multiplier;
    }

    /// <summary>
    /// Parses /proc/loadavg text ("0.52 0.58 0.59 1/467 12345"): the 1-minute load average. False, with 0, when the
    /// first field is not a finite non-negative number.
    /// </summary>
    internal static bool TryParseLoadAvg(ReadOnlySpan<char> text, out double load)
    {
        text = text.TrimStart();
        var end = text.IndexOfAny(' ', '\t', '\n');
        var first = end < 0 ? text : text[..end];
        if (double.TryParse(first, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && value >= 0)
        {
            load = value;
            return true;
        }
        load = 0;
        return false;
    }

    /// <summary>
    /// Memory as the runtime sees it, for platforms without /proc: total physical memory (or the container's limit),
    /// and what the last GC saw as not in use.
    /// </summary>
    internal static (long Total, long Available) GcMemory()
    {
        try
        {
            var info = GC.GetGCMemoryInfo();
            var total = Math.Max(0, info.TotalAvailableMemoryBytes);
            return (total, Math.Clamp(total - info.MemoryLoadBytes, 0, total));
        }
        catch (Exception)
        {
            return (0, 0);
        }
    }

    /// <summary>Bytes available to this user on the filesystem holding <paramref name="directory"/>; 0 when unknown.</summary>
    internal static long FreeDiskBytes(string directory)
    {
        try
        {
            if (directory.Length == 0)
                return 0;
            var path = Path.GetFullPath(directory);
            // A working directory not made yet is on its nearest existing parent's filesystem.
            while (!Directory.Exists(path))
            {
                var parent = Path.GetDirectoryName(path);
                if (string.IsNullOrEmpty(parent))
                    return 0;
                path = parent;
            }
            // On Unix DriveInfo takes any path (statvfs); on Windows it needs the drive's root.
            var drive = OperatingSystem.IsWindows() ? Path.GetPathRoot(path) : path;
            if (string.IsNullOrEmpty(drive))
                return 0;
            return Math.Max(0, new DriveInfo(drive).AvailableFreeSpace);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    private static string SafeCurrentDirectory()
    {
        try
        {
            return Environment.CurrentDirectory;
        }
        catch (Exception)
        {
            return "";
        }
    }

    private static double ToGB(long bytes) => Math.Round(bytes / BytesPerGB, 3);

    private static string DetectPlatform() =>
        OperatingSystem.IsLinux() ? "linux"
        : OperatingSystem.IsMacOS() ? "macos"
        : OperatingSystem.IsWindows() ? "windows"
        : OperatingSystem.IsFreeBSD() ? "freebsd"
        : "unknown";

    private static string DetectOsInfo()
    {
        try
        {
            return RuntimeInformation.OSDescription.Trim();
        }
        catch (Exception)
        {
            return Environment.OSVersion.VersionString;
        }
    }

    private sealed record Snapshot(BladeFigures Figures, long ReadAt);
}
