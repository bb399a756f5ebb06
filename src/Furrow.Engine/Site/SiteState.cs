using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Engine.Site;

/// <summary>
/// What the engine keeps about its site outside the job database, so that restoring a backup (which replaces the
/// database) does not undo it.
/// </summary>
/// <param name="DispatchPaused">The operator's "pause dispatching" (`tq pause-dispatch`), or null if never set here (an
/// older engine kept it in the database only).</param>
/// <param name="IidsReservedUpTo">Invocation ids up to this one may have been handed out: after a restore the engine
/// starts above it, so a late report for an invocation of after the backup is never credited to a new one.</param>
internal sealed record SiteState(bool? DispatchPaused, long IidsReservedUpTo);

/// <summary>
/// <c>&lt;data&gt;/site-state.json</c>, the one owner of <see cref="SiteState"/>: read at start, rewritten atomically (a
/// temp file flushed to disk, then renamed over the old one) on every change. A file that cannot be read stops the
/// engine with its path and the reason (<see cref="SiteConfigException"/>), rather than forget a pause.
/// </summary>
internal sealed class SiteStateStore
{
    public const string FileName = "site-state.json";

    private readonly Lock _gate = new();
    private readonly string _path;
    private SiteState _current;

    public SiteStateStore(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, FileName);
        _current = Read(_path);
    }

    public SiteState Current
    {
        get
        {
            lock (_gate)
                return _current;
        }
    }

    /// <summary>Applies <paramref name="change"/> and writes the result before returning it; throws <see cref="IOException"/> if it cannot.</summary>
    public SiteState Update(Func<SiteState, SiteState> change)
    {
        lock (_gate)
        {
            var next = change(_current);
            var temp = _path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, next, SiteStateJsonContext.Default.SiteState);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, _path, overwrite: true);
            _current = next;
            return next;
        }
    }

    private static SiteState Read(string path)
    {
        if (!File.Exists(path))
            return new SiteState(null, 0);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), SiteStateJsonContext.Default.SiteState)
                ?? throw new InvalidDataException("it holds null");
        }
        catch (Exception error) when (error is JsonException or InvalidDataException)
        {
            throw new SiteConfigException($"{path}: cannot read the engine's site state ({error.Message}); fix or remove the file " +
                "(removing it forgets a dispatch pause and lets invocation ids restart from the job database's highest)");
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SiteState))]
internal sealed partial class SiteStateJsonContext : JsonSerializerContext;
