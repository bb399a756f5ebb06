using System.Text;
using Furrow.Engine.Farm;

namespace Furrow.Engine.Logs;

/// <summary>
/// Task logs on disk, at `&lt;data&gt;/logs/&lt;user&gt;/J&lt;jid&gt;/T&lt;tid&gt;.log` as Tractor lays them out. Appends are flushed to the
/// disk before the engine acknowledges the blade, so an acknowledged line survives a crash.
/// </summary>
/// <remarks>
/// A task log whose own path cannot be opened (its directory taken by a file, permissions changed under it, a name the
/// file system refuses) is written to <c>&lt;logs&gt;/+unwritable/J&lt;jid&gt;-T&lt;tid&gt;.log</c> instead, with a warning
/// naming both paths, so one bad path never holds up a blade's report and no byte is dropped. Only when that fails too
/// (a full or failing disk) does the write fail, and the blade keeps the bytes and sends them again.
/// </remarks>
internal sealed class TaskLogStore(string logRoot, Microsoft.Extensions.Logging.ILogger? logger = null)
{
    /// <summary>The directory under the log root that takes logs whose own path could not be opened; no user name maps to it.</summary>
    public const string UnwritableDirectory = "+unwritable";

    private readonly HashSet<string> _divertedPaths = new(StringComparer.Ordinal);

    // Whether any log has gone aside, so that looking for a log that does not exist (every task not yet run, in a
    // listing) costs one check, not two.
    private volatile bool _anyAside = Directory.Exists(Path.Combine(logRoot, UnwritableDirectory));

    public string Root { get; } = logRoot;

    /// <summary>Where a task's log is written when its own path cannot be opened.</summary>
    public string AsidePathOf(long jid, int tid) => Path.Combine(Root, UnwritableDirectory, $"J{jid}-T{tid}.log");

    /// <summary>
    /// The file that holds a task's log: its own path (when <paramref name="owner"/> is known and it exists), else where
    /// it went aside; null when the task has no log. A log split between the two is read from its own path.
    /// </summary>
    public string? ExistingPathOf(string? owner, long jid, int tid)
    {
        if (owner is not null && PathOf(owner, jid, tid) is var path && File.Exists(path))
            return path;
        return _anyAside && AsidePathOf(jid, tid) is var aside && File.Exists(aside) ? aside : null;
    }

    /// <summary>Removes every log of a job (its owner's J&lt;jid&gt; directory, and any of its logs that went aside); for a purge.</summary>
    public void DeleteJobLogs(string owner, long jid)
    {
        var directory = Path.Combine(Root, OwnerDirectory(owner), $"J{jid}");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        var aside = Path.Combine(Root, UnwritableDirectory);
        if (_anyAside && Directory.Exists(aside))
        {
            foreach (var file in Directory.EnumerateFiles(aside, $"J{jid}-T*.log"))
                File.Delete(file);
        }
    }

    public string PathOf(string owner, long jid, int tid) =>
        Path.Combine(Root, OwnerDirectory(owner), $"J{jid}", $"T{tid}.log");

    // A farm has few owners and every log write asks for one's directory name: each is cleaned once (bounded, so a
    // flood of distinct names cannot grow it without end).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _ownerDirectories = new(StringComparer.Ordinal);

    private string OwnerDirectory(string owner)
    {
        if (_ownerDirectories.TryGetValue(owner, out var directory))
            return directory;
        if (_ownerDirectories.Count >= 10_000)
            _ownerDirectories.Clear();
        return _ownerDirectories[owner] = SafeSegment(owner);
    }

    public long LengthOf(string owner, long jid, int tid)
    {
        var info = new FileInfo(PathOf(owner, jid, tid));
        return info.Exists ? info.Length : 0;
    }

    /// <summary>
    /// The log's bytes from byte <paramref name="start"/> to its end, at most <paramref name="maxBytes"/> of them
    /// (empty when there is no log); for an expand command's output after a restart.
    /// </summary>
    public byte[] ReadFrom(string owner, long jid, int tid, long start, long maxBytes)
    {
        var path = PathOf(owner, jid, tid);
        if (!File.Exists(path))
            return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(Math.Min(start, stream.Length), SeekOrigin.Begin);
        var buffer = new byte[(int)Math.Min(maxBytes, Math.Max(0, stream.Length - stream.Position))];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>The words in an invocation's header line that identify it, so recovery can find where its output begins.</summary>
    public static string InvocationMarker(long iid) => $"iid {iid.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Where the output after an invocation's header begins in the log, or null when its header is not there.</summary>
    public long? FindOutputStart(string owner, long jid, int tid, long iid)
    {
        var path = PathOf(owner, jid, tid);
        if (!File.Exists(path))
            return null;
        var bytes = File.ReadAllBytes(path);
        var marker = Encoding.UTF8.GetBytes($" {InvocationMarker(iid)} on ");
        var at = bytes.AsSpan().LastIndexOf(marker);
        if (at < 0)
            return null;
        var end = bytes.AsSpan(at).IndexOf((byte)'\n');
        return end < 0 ? null : at + end + 1;
    }

    /// <summary>
    /// Appends each entry in order to its task log, through <paramref name="open"/> (path to a file left open, unsynced,
    /// for the caller to sync and close); returns, per invocation whose header was written, where its output begins.
    /// Each file touched gets its entries in one write, after all of them are queued.
    /// </summary>
    /// <exception cref="IOException">A log could not be opened (nor set aside) or written.</exception>
    public Dictionary<long, long> Write(IReadOnlyList<LogAppend> entries, Dictionary<string, TaskLogFile> open)
    {
        var outputStarts = new Dictionary<long, long>();
        var touched = new List<TaskLogFile>(entries.Count);
        try
        {
            foreach (var entry in entries)
            {
                var path = PathOf(entry.Owner, entry.Jid, entry.Tid);
                if (!open.TryGetValue(path, out var file))
                    open[path] = file = OpenOrDivert(path, entry.Jid, entry.Tid);
                if (!touched.Contains(file))
                    touched.Add(file);
                file.Queue(entry.Bytes.Span);
                if (entry.IsHeader)
                    outputStarts[entry.Iid] = file.Length;
            }
        }
        finally
        {
            // What was queued is written even when a later entry could not be opened, as it was one write at a time.
            foreach (var file in touched)
                file.Flush();
        }
        return outputStarts;
    }

    // Called from the writer's one loop only, so the set of paths already warned about needs no lock.
    private TaskLogFile OpenOrDivert(string path, long jid, int tid)
    {
        try
        {
            return OpenForAppend(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            var aside = AsidePathOf(jid, tid);
            TaskLogFile file;
            try
            {
                file = OpenForAppend(aside);
            }
            catch (Exception asideError) when (asideError is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot write the task log {path} ({error.Message}), nor {aside} ({asideError.Message})", error);
            }
            _anyAside = true;
            if (logger is not null && _divertedPaths.Add(path))
                EngineLog.TaskLogDiverted(logger, path, aside, error.Message);
            return file;
        }
    }

    // The job's directory exists for all but a task's first entry, so it is made only when the open says it is missing.
    private static TaskLogFile OpenForAppend(string path)
    {
        try
        {
            return TaskLogFile.OpenForAppend(path);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return TaskLogFile.OpenForAppend(path);
        }
    }

    /// <summary>
    /// Moves every earlier `J&lt;jid&gt;` log directory aside (to `J&lt;jid&gt;.replaced-&lt;time&gt;`) so a reused job id never appends to
    /// another job's logs. Returns the directories moved.
    /// </summary>
    public List<string> MoveAsideReused(long jid, DateTimeOffset now)
    {
        var moved = new List<string>();
        if (!Directory.Exists(Root))
            return moved;
        foreach (var ownerDir in Directory.EnumerateDirectories(Root))
        {
            var old = Path.Combine(ownerDir, $"J{jid}");
            if (!Directory.Exists(old))
                continue;
            var aside = $"{old}.replaced-{now:yyyyMMdd-HHmmss}";
            for (var n = 2; Directory.Exists(aside); n++)
                aside = $"{old}.replaced-{now:yyyyMMdd-HHmmss}-{n}";
            Directory.Move(old, aside);
            moved.Add(aside);
        }
        return moved;
    }

    // A user name comes from the spooler; keep it from escaping the log directory, and short enough for any file
    // system (a name is at most 255 bytes; 80 characters of the basic plane are at most 240): a longer name keeps its
    // first characters and gains a hash of the whole, so two long names that start alike keep directories of their own.
    internal static string SafeSegment(string owner)
    {
        var cleaned = new string(owner.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '@' ? c : '_').ToArray());
        if (cleaned is "" or "." or "..")
            return "_";
        if (cleaned.Length <= MaxOwnerChars)
            return cleaned;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(owner)))[..12];
        return $"{cleaned[..(MaxOwnerChars - hash.Length - 1)]}-{hash}";
    }

    private const int MaxOwnerChars = 80;
}
