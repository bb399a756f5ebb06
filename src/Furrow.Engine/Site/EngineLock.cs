using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Engine.Site;

/// <summary>Who holds a data directory: written into `engine.lock` by the engine that runs on it.</summary>
public sealed record EngineLockHolder(string Host, int Pid, int Port, DateTimeOffset Since, string ConfigDirectory)
{
    public override string ToString() =>
        $"the engine on {Host} pid {Pid} port {Port} (config {ConfigDirectory}, since {Since:yyyy-MM-dd HH:mm:ss}Z)";
}

/// <summary>Another live engine holds the data directory; the message names it.</summary>
public sealed class EngineLockedException(string message, EngineLockHolder? holder) : Exception(message)
{
    public EngineLockHolder? Holder { get; } = holder;
}

/// <summary>
/// `&lt;data&gt;/engine.lock`: one data directory, one engine. Created atomically by the engine that takes the directory
/// and removed when it stops; a lock whose process is gone from this host is stale and taken over with a warning.
/// A lock written from another host is never assumed stale: engines sharing a volume must not share a data directory.
/// </summary>
public sealed class EngineLock : IDisposable
{
    public const string FileName = "engine.lock";

    private readonly string _path;

    private EngineLock(string path, EngineLockHolder holder, EngineLockHolder? tookOverFrom)
    {
        _path = path;
        Holder = holder;
        TookOverFrom = tookOverFrom;
    }

    public EngineLockHolder Holder { get; }

    /// <summary>A stale lock left by an engine that is gone, taken over by this one.</summary>
    public EngineLockHolder? TookOverFrom { get; }

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>
    /// Takes the data directory for this process, or throws naming the live engine that has it
    /// (<see cref="EngineLockedException"/>); a directory any user may write to is refused (<see cref="SiteConfigException"/>).
    /// </summary>
    public static EngineLock Acquire(string dataDirectory, int port, string configDirectory, string what = "data directory")
    {
        Directory.CreateDirectory(dataDirectory);
        // Whoever may write here may replace the job database or run tractor-dbctl on it, around every rule of crews.config.
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(dataDirectory) & UnixFileMode.OtherWrite) != 0)
            throw new SiteConfigException($"{what} {dataDirectory} may be written by any user (mode " +
                $"{Convert.ToString((int)File.GetUnixFileMode(dataDirectory), 8).PadLeft(4, '0')}); run chmod o-w {dataDirectory}");
        var path = PathIn(dataDirectory);
        var me = new EngineLockHolder(Environment.MachineName, Environment.ProcessId, port, DateTimeOffset.UtcNow, configDirectory);
        EngineLockHolder? stale = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                    JsonSerializer.Serialize(stream, me, EngineLockJsonContext.Default.EngineLockHolder);
                    stream.Flush(flushToDisk: true);
                }
                return new EngineLock(path, me, stale);
            }
            catch (IOException) when (File.Exists(path))
            {
                var holder = ReadHolder(path);
                if (holder is not null && !IsGone(holder))
                    throw new EngineLockedException(
                        $"{what} {dataDirectory} is held by {holder}; stop that engine first, or give this one its own " +
                        (what == "data directory" ? "TractorDataDirectory" : "DBDataDir"), holder);
                stale = holder;
                File.Delete(path); // the holder is gone (or the file is unreadable debris): take over
            }
        }
        throw new EngineLockedException($"could not take {path}: another engine is starting on the same data directory", null);
    }

    /// <summary>Who holds the data directory now, or null when no live engine does.</summary>
    public static EngineLockHolder? LiveHolder(string dataDirectory)
    {
        var holder = ReadHolder(PathIn(dataDirectory));
        return holder is not null && !IsGone(holder) ? holder : null;
    }

    private static EngineLockHolder? ReadHolder(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), EngineLockJsonContext.Default.EngineLockHolder);
        }
        catch (Exception error) when (error is IOException or JsonException)
        {
            return null;
        }
    }

    // Only a process on this host can be checked; a lock from another host stays until its engine removes it.
    private static bool IsGone(EngineLockHolder holder)
    {
        if (!string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
            return false;
        if (holder.Pid == Environment.ProcessId)
            return false;
        try
        {
            using var process = Process.GetProcessById(holder.Pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        if (ReadHolder(_path) is { } holder && holder.Pid == Holder.Pid && holder.Host == Holder.Host)
            File.Delete(_path);
    }
}

[JsonSerializable(typeof(EngineLockHolder))]
internal sealed partial class EngineLockJsonContext : JsonSerializerContext;
