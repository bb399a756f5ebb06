using Furrow.Storage.Backup;

namespace Furrow.Storage;

/// <summary>
/// A site's job database as `tractor-dbctl` looks after it: status, server start/stop, backup, restore, destroy,
/// job counter, schema moves. Each provider answers the same verbs; where a verb means nothing for a provider
/// (SQLite has no server to start) it says so instead of pretending.
/// </summary>
public interface ISiteDatabase
{
    string Provider { get; }

    /// <summary>Where the database lives (the SQLite file's directory; PostgreSQL's cluster directory).</summary>
    string DatabaseDirectory { get; }

    IJobStore OpenStore();

    Task<IReadOnlyList<(string Key, string Value)>> StatusAsync(CancellationToken cancellationToken);

    /// <summary>Starts the database server if the provider has one; returns what was done, in words.</summary>
    Task<string> StartAsync(bool forEngine, CancellationToken cancellationToken);

    Task<string> StopAsync(CancellationToken cancellationToken);

    /// <summary>True when a database server Furrow manages is running (always false for SQLite, true for an external server).</summary>
    Task<bool> IsServerRunningAsync(CancellationToken cancellationToken);

    /// <summary>Writes a verified, compressed backup of a consistent snapshot; the engine may be running.</summary>
    Task<BackupManifest> BackupAsync(string archivePath, string furrowVersion, CancellationToken cancellationToken);

    /// <summary>Replaces the database with a verified backup, atomically; a bad archive leaves the database untouched.</summary>
    Task<BackupManifest> RestoreAsync(string archivePath, CancellationToken cancellationToken);

    /// <summary>Removes the job database; the next start creates an empty one with job ids from 1.</summary>
    Task DestroyAsync(CancellationToken cancellationToken);
}
