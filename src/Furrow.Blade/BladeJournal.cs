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
/// results and end or account for the commands it left running. Every change rewrites the file beside its final name
/// and renames it into place, so a crash of the blade leaves either the old or the new journal, never half of one.
/// Called from command runners and the reporter; all access under one lock.
/// </summary>
internal sealed class BladeJournal
{
    private readonly object _gate = new();
    private readonly string _path;
    private readonly Dictionary<long, JournalProcess> _running = [];
    private readonly Dictionary<long, InvocationEvent> _results = [];

    private readonly string _outputDirectory;

    public BladeJournal(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "journal.json");
        _outputDirectory = Path.Combine(directory, "output");
    }

    public string FilePath => _path;

    /// <summary>What an earlier blade process left; empty when there is no journal (or it is unreadable, which is logged by the caller).</summary>
    public JournalContents Load()
    {
        if (!File.Exists(_path))
            return new JournalContents([], []);
        var contents = JsonSerializer.Deserialize(File.ReadAllBytes(_path), JournalJsonContext.Default.JournalContents)
            ?? new JournalContents([], []);
        lock (_gate)
        {
            _running.Clear();
            _results.Clear();
            foreach (var process in contents.Running)
                _running[process.Iid] = process;
            foreach (var result in contents.Results)
                _results[result.Iid] = result;
        }
        return contents;
    }

    public void AddRunning(long iid, int pid, ulong startTicks)
    {
        lock (_gate)
        {
            _running[iid] = new JournalProcess(iid, pid, startTicks);
            Save();
        }
    }

    /// <summary>A command's result: it no longer runs, and its result is kept until acknowledged.</summary>
    public void AddResult(InvocationEvent result)
    {
        lock (_gate)
        {
            _running.Remove(result.Iid);
            _results[result.Iid] = result;
            Save();
        }
    }

    /// <summary>Forgets invocations whose results were acknowledged, or that the engine no longer counts as this blade's, with their output.</summary>
    public void Forget(IEnumerable<long> iids)
    {
        List<long> forgotten = [.. iids];
        lock (_gate)
        {
            var changed = false;
            foreach (var iid in forgotten)
                changed |= _results.Remove(iid) | _running.Remove(iid);
            if (changed)
                Save();
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

    // Written and renamed into place but not synced to disk: what the journal guards against is the blade process dying
    // (kill -9, a crash), after which the kernel still writes the file out. A machine that loses power loses the
    // commands too; a journal left unreadable then is logged and taken as empty, and the engine runs those tasks again.
    // A sync here cost every command's exit report a disk flush (3-5 ms) before it could leave.
    private void Save()
    {
        var temp = _path + ".new";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            JsonSerializer.Serialize(file, new JournalContents([.. _running.Values], [.. _results.Values]), JournalJsonContext.Default.JournalContents);
        File.Move(temp, _path, overwrite: true);
    }
}

/// <summary>A command process the blade started: its pid and its start time, so a reused pid is not taken for it.</summary>
internal sealed record JournalProcess(long Iid, int Pid, ulong StartTicks);

/// <summary>The journal file: processes still running and results not yet acknowledged.</summary>
internal sealed record JournalContents(IReadOnlyList<JournalProcess> Running, IReadOnlyList<InvocationEvent> Results);

[JsonSerializable(typeof(JournalContents))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
