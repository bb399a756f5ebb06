namespace Furrow.Client.Protocol;

/// <summary>
/// A blade's machine as the scheduler sees it, for blade profiles (<c>MaxLoad</c>, <c>MinRAM</c>, <c>MinDisk</c>) and
/// resource tests in service keys (<c>@.mem &gt; 4</c>). Sent with every registration and report.
/// </summary>
/// <param name="Cores">Logical processors the blade process may use (<c>Environment.ProcessorCount</c>).</param>
/// <param name="MemoryGB">Physical memory in GB (1 GB = 2^30 bytes).</param>
/// <param name="FreeMemoryGB">
/// Memory available for new work in GB (2^30 bytes): <c>MemAvailable</c> from /proc/meminfo on Linux. Never more than
/// <see cref="MemoryGB"/>.
/// </param>
/// <param name="FreeDiskGB">
/// Free space in GB (2^30 bytes) available to the blade's user on the filesystem of the blade's working directory.
/// </param>
/// <param name="Load">The 1-minute load average (0 where the platform does not give one).</param>
/// <param name="Platform">Lower-case platform name: "linux", "macos" or "windows" ("freebsd", "unknown" otherwise).</param>
/// <param name="OsInfo">The operating system's own description, e.g. the kernel name and version string.</param>
public sealed record BladeFigures(
    int Cores,
    double MemoryGB,
    double FreeMemoryGB,
    double FreeDiskGB,
    double Load,
    string Platform,
    string OsInfo);
