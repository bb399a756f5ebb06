using System.Globalization;
using Furrow.Storage.Backup;
using Furrow.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Sqlite;

/// <summary>The embedded provider's answers to tractor-dbctl: one file, no server.</summary>
internal sealed class SqliteSiteDatabase(string databaseDirectory) : ISiteDatabase
{
    public string Provider => "sqlite";

    public string DatabaseDirectory { get; } = Path.GetFullPath(databaseDirectory);

    public string DatabaseFile => Path.Combine(DatabaseDirectory, "furrow.db");

    public IJobStore OpenStore() => new SqliteJobStore(DatabaseFile);

    public async Task<IReadOnlyList<(string Key, string Value)>> StatusAsync(CancellationToken cancellationToken)
    {
        var rows = new List<(string, string)>
        {
            ("provider", "sqlite (embedded: no database server runs; the engine opens the file itself)"),
            ("database file", DatabaseFile),
        };
        if (!File.Exists(DatabaseFile))
        {
            rows.Add(("state", AbsentState));
            return rows;
        }
        rows.Add(("size", $"{new FileInfo(DatabaseFile).Length} bytes"));
        var (version, jobs, counter) = await DescribeAsync(DatabaseFile, cancellationToken);
        rows.Add(("schema version", $"{version} (this build knows up to {MigrationCatalog.LatestVersion})"));
        rows.Add(("jobs", jobs.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("last used job id", counter.ToString(CultureInfo.InvariantCulture)));
        return rows;
    }

    /// <summary>What --status says when there is no job database (both providers say the same).</summary>
    public const string AbsentState = "absent: no job database; the next engine start creates an empty one (job ids from 1)";

    public async Task<string> StartAsync(bool forEngine, CancellationToken cancellationToken)
    {
        await using var store = OpenStore();
        var version = await store.SchemaVersionAsync(cancellationToken);
        return $"sqlite has no database server to start; {DatabaseFile} is ready (schema version {version})"
            + (forEngine ? " for the engine and for --set-job-counter" : "");
    }

    public Task<string> StopAsync(CancellationToken cancellationToken) =>
        Task.FromResult($"sqlite has no database server to stop; nothing holds {DatabaseFile} but the engine itself");

    public Task<bool> IsServerRunningAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task<BackupManifest> BackupAsync(string archivePath, string furrowVersion, CancellationToken cancellationToken)
    {
        if (!File.Exists(DatabaseFile))
            throw new StoreUnavailableException($"there is no job database to back up ({DatabaseFile})") { IsTransient = false };
        var snapshot = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(archivePath))!, $".furrow-snapshot-{Guid.NewGuid():N}.db");
        try
        {
            await using (var store = OpenStore())
                await store.SnapshotToAsync(snapshot, cancellationToken);
            var (version, _, counter) = await DescribeAsync(snapshot, cancellationToken);
            var manifest = new BackupManifest(BackupManifest.CurrentFormat, furrowVersion, Provider, version, counter, DateTimeOffset.UtcNow, []);
            await BackupArchive.WriteAsync(archivePath, snapshot, manifest, cancellationToken);
            return manifest;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(snapshot);
        }
    }

    public async Task<BackupManifest> RestoreAsync(string archivePath, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"furrow-restore-{Guid.NewGuid():N}");
        try
        {
            var backup = await BackupArchive.VerifyAsync(archivePath, scratch, cancellationToken);
            if (backup.Manifest.Provider != Provider)
                throw new BackupInvalidException($"{archivePath}: a {backup.Manifest.Provider} backup cannot be restored into a sqlite site");
            if (backup.Manifest.SchemaVersion > MigrationCatalog.LatestVersion)
                throw new BackupInvalidException(
                    $"{archivePath}: schema version {backup.Manifest.SchemaVersion} is newer than this build knows ({MigrationCatalog.LatestVersion}); restore it with a newer build");
            await CheckAndPrepareAsync(archivePath, backup.DatabaseFile, cancellationToken);

            // Copy beside the live file, make it durable, then swap it in with one rename.
            Directory.CreateDirectory(DatabaseDirectory);
            var incoming = DatabaseFile + ".restoring";
            File.Copy(backup.DatabaseFile, incoming, overwrite: true);
            await using (var handle = new FileStream(incoming, FileMode.Open, FileAccess.ReadWrite))
                handle.Flush(flushToDisk: true);
            SqliteConnection.ClearAllPools();
            // The old file's WAL must never be replayed onto the restored database.
            File.Delete(DatabaseFile + "-wal");
            File.Delete(DatabaseFile + "-shm");
            File.Move(incoming, DatabaseFile, overwrite: true);
            return backup.Manifest;
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }

    // The unpacked copy must be a sound SQLite database of a known schema; commands that were running when the backup
    // was taken will never report to this database, so their tasks go back to ready to be rescheduled.
    private static async Task CheckAndPrepareAsync(string archivePath, string file, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            var verdict = (string?)await check.ExecuteScalarAsync(cancellationToken);
            if (verdict != "ok")
                throw new BackupInvalidException($"{archivePath}: the job database in the archive fails SQLite's integrity check: {verdict}");
            var version = await new MigrationRunner(connection, SqlDialect.Sqlite).CurrentVersionAsync(cancellationToken);
            if (version > MigrationCatalog.LatestVersion)
                throw new BackupInvalidException($"{archivePath}: schema version {version} is newer than this build knows");
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var reset = connection.CreateCommand();
            reset.Transaction = (SqliteTransaction)transaction;
            reset.CommandText = StoreSql.RescheduleActiveAfterRestore;
            reset.Parameters.AddWithValue("@now", now);
            await reset.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (SqliteException error)
        {
            throw new BackupInvalidException($"{archivePath}: the job database in the archive cannot be read ({error.Message})", error);
        }
    }

    public Task DestroyAsync(CancellationToken cancellationToken)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(DatabaseFile + suffix);
        return Task.CompletedTask;
    }

    private static async Task<(int Version, long Jobs, long Counter)> DescribeAsync(string file, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        await connection.OpenAsync(cancellationToken);
        var version = await new MigrationRunner(connection, SqlDialect.Sqlite).CurrentVersionAsync(cancellationToken);
        if (version == 0)
            return (0, 0, 0);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM jobs), (SELECT value FROM params WHERE name = 'jidcounter')";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (version, reader.GetInt64(0), long.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
    }
}
