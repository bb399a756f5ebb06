using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Furrow.Client.Protocol;

namespace Furrow.Blade;

/// <summary>
/// The blade's small on-disk journal: the command processes it has running and the results (exits, failures,
/// interruptions) the engine has not acknowledged yet, and beside it each such invocation's output (<c>output/IID</c>,
/// every byte it printed, appended as it comes), so output the engine had not acknowledged when the blade died reaches the
/// task log before its result does. A blade that dies (kill -9, a crash, a stop while the engine is
/// away) leaves it behind, so the next blade process on this host with the same state directory can deliver those
/// results and end or account for the commands it left running.
/// <para>
/// The file (<c>journal.log</c>) is JSON lines, one per change (a command started, a result, invocations forgotten),
/// each appended with one write, so a change costs one small write however many commands run; once the lines outnumber
/// what is live several times over, a snapshot of what is live is written beside it and renamed into place. A crash of the
/// blade leaves whole lines and at most a torn last one, which is skipped. The single-document <c>journal.json</c> of
/// earlier versions is read once and replaced. Called from command runners and the reporter; all access under one lock.
/// </para>
/// </summary>
internal sealed class BladeJournal
{
    private const int CompactAfterLines = 256;

    private readonly object _gate = new();
    private readonly string _path;
    private readonly string _oldPath;
    private readonly Dictionary<long, JournalProcess> _running = [];
    private readonly Dictionary<long, InvocationEvent> _results = [];
    private readonly string _outputDirectory;
    private FileStream? _appender;
    private int _lines;

    public BladeJournal(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "journal.log");
        _oldPath = Path.Combine(directory, "journal.json");
        _outputDirectory = Path.Combine(directory, "output");
    }

    public string FilePath => _path;

    /// <summary>
    /// What an earlier blade process left; empty when there is no journal. The journal then starts again from a snapshot
    /// of it.
    /// </summary>
    /// <exception cref="JsonException">
    /// A line other than the last is not a journal entry (the file was damaged): the journal starts again empty.
    /// </exception>
    /// <exception cref="IOException">The journal cannot be read or its snapshot written.</exception>
    public JournalContents Load()
    {
        lock (_gate)
        {
            _running.Clear();
            _results.Clear();
            try
            {
                if (File.Exists(_oldPath))
                {
                    var old = JsonSerializer.Deserialize(File.ReadAllBytes(_oldPath), JournalJsonContext.Default.JournalContents);
                    foreach (var process in old?.Running ?? [])
                        _running[process.Iid] = process;
                    foreach (var result in old?.Results ?? [])
                        _results[result.Iid] = result;
                }
                if (File.Exists(_path))
                    Replay(File.ReadAllBytes(_path));
            }
            catch (JsonException)
            {
                _running.Clear();
                _results.Clear();
                StartAfresh();
                throw;
            }
            StartAfresh();
            return new JournalContents([.. _running.Values], [.. _results.Values]);
        }
    }

    // The journal rewritten as what is live now, the earlier versions' file gone.
    private void StartAfresh()
    {
        Compact();
        if (File.Exists(_oldPath))
            File.Delete(_oldPath);
    }

    public void AddRunning(long iid, int pid, ulong startTicks)
    {
        lock (_gate)
        {
            var process = new JournalProcess(iid, pid, startTicks);
            _running[iid] = process;
            Append(new JournalEntry(Started: process));
        }
    }

    /// <summary>A command's result: it no longer runs, and its result is kept until acknowledged.</summary>
    public void AddResult(InvocationEvent result)
    {
        lock (_gate)
        {
            _running.Remove(result.Iid);
            _results[result.Iid] = result;
            Append(new JournalEntry(Result: result));
        }
    }

    /// <summary>Forgets invocations whose results were acknowledged, or that the engine no longer counts as this blade's, with their output.</summary>
    public void Forget(IEnumerable<long> iids)
    {
        List<long> forgotten = [.. iids];
        lock (_gate)
        {
            List<long> removed = [];
            foreach (var iid in forgotten)
                if (_results.Remove(iid) | _running.Remove(iid))
                    removed.Add(iid);
            if (removed.Count > 0)
                Append(new JournalEntry(Forgotten: removed));
        }
        foreach (var iid in forgotten)
            DeleteOutput(iid);
    }

    /// <summary>
    /// Opens invocation <paramref name="iid"/>'s kept output to append what it prints next, unbuffered (each write reaches
    /// the file at once, so a blade killed after it loses nothing). Not under the journal's lock: each invocation's output
    /// comes from one command runner, in order. Not synced, for the reason the journal is not.
    /// </summary>
    /// <exception cref="IOException">The state directory cannot be written (a full disk).</exception>
    public FileStream OpenOutput(long iid)
    {
        var path = OutputPath(iid);
        try
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(_outputDirectory);
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        }
    }

    /// <summary>The file invocation <paramref name="iid"/>'s output is kept in: a command's process appends to it itself.</summary>
    public string OutputPath(long iid) => Path.Combine(_outputDirectory, iid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Makes the output directory if it is not there.</summary>
    /// <exception cref="IOException">It cannot be made (a full disk, no rights).</exception>
    public void EnsureOutputDirectory() => Directory.CreateDirectory(_outputDirectory);

    /// <summary>Everything invocation <paramref name="iid"/> printed, as kept; empty when it printed nothing (or it was lost).</summary>
    public byte[] ReadOutput(long iid)
    {
        try
        {
            return File.ReadAllBytes(OutputPath(iid));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return []; // none kept, or unreadable: the engine has what it was sent
        }
    }

    /// <summary>Deletes the kept output of every invocation but <paramref name="keep"/>, strays an earlier delete missed included.</summary>
    public void DeleteOutputExcept(IReadOnlySet<long> keep)
    {
        if (!Directory.Exists(_outputDirectory))
            return;
        foreach (var file in Directory.EnumerateFiles(_outputDirectory))
            if (!long.TryParse(Path.GetFileName(file), System.Globalization.CultureInfo.InvariantCulture, out var iid) || !keep.Contains(iid))
                TryDelete(file);
    }

    private void DeleteOutput(long iid) => TryDelete(OutputPath(iid));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Left for the next blade process's clean-up.
        }
    }

    // Neither the appends nor the snapshot are synced to disk: what the journal guards against is the blade process
    // dying (kill -9, a crash), after which the kernel still writes the file out. A machine that loses power loses the
    // commands too; a journal left unreadable then is logged and taken as empty, and the engine runs those tasks again.
    // A sync here cost every command's exit report a disk flush (3-5 ms) before it could leave.
    private void Append(JournalEntry entry)
    {
        if (_lines >= CompactAfterLines && _lines >= 4 * (_running.Count + _results.Count))
        {
            Compact();
            return;
        }
        _appender ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _appender.Write(Line(entry).Span); // one write, one whole line
        _lines++;
    }

    // What is live, written beside the journal and renamed over it: the log starts again from a snapshot.
    private void Compact()
    {
        _appender?.Dispose();
        _appender = null;
        var temp = _path + ".new";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var process in _running.Values)
                file.Write(Line(new JournalEntry(Started: process)).Span);
            foreach (var result in _results.Values)
                file.Write(Line(new JournalEntry(Result: result)).Span);
        }
        File.Move(temp, _path, overwrite: true);
        _lines = _running.Count + _results.Count;
    }

    private void Replay(byte[] log)
    {
        var at = 0;
        while (at < log.Length)
        {
            var end = Array.IndexOf(log, (byte)'\n', at);
            if (end < 0)
                return; // a last line torn by a crash mid-write: the change it began was never made
            var entry = JsonSerializer.Deserialize(log.AsSpan(at, end - at), JournalJsonContext.Default.JournalEntry)
                ?? throw new JsonException($"line at byte {at} is not a journal entry");
            if (entry.Started is { } process)
                _running[process.Iid] = process;
            if (entry.Result is { } result)
            {
                _running.Remove(result.Iid);
                _results[result.Iid] = result;
            }
            foreach (var iid in entry.Forgotten ?? [])
            {
                _running.Remove(iid);
                _results.Remove(iid);
            }
            at = end + 1;
        }
    }

    private static ReadOnlyMemory<byte> Line(JournalEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, entry, JournalJsonContext.Default.JournalEntry);
        buffer.Write("\n"u8);
        return buffer.WrittenMemory;
    }
}

/// <summary>One line of the journal: a command started, a result kept, or invocations forgotten.</summary>
internal sealed record JournalEntry(JournalProcess? Started = null, InvocationEvent? Result = null, IReadOnlyList<long>? Forgotten = null);

/// <summary>A command process the blade started: its pid and its start time, so a reused pid is not taken for it.</summary>
internal sealed record JournalProcess(long Iid, int Pid, ulong StartTicks);

/// <summary>The journal file: processes still running and results not yet acknowledged.</summary>
internal sealed record JournalContents(IReadOnlyList<JournalProcess> Running, IReadOnlyList<InvocationEvent> Results);

[JsonSerializable(typeof(JournalContents))]
[JsonSerializable(typeof(JournalEntry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
