using System.Data.Common;
using Furrow.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Sqlite;

/// <summary>The embedded job database: one SQLite file in WAL mode, fully synchronous so a commit survives power loss.</summary>
internal sealed class SqliteJobStore : AdoJobStore
{
    private const int SqliteFull = 13;
    private const int SqliteBusy = 5;
    private const int SqliteIoErr = 10;

    private readonly string _connectionString;

    public SqliteJobStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public override string Description => $"sqlite {Path}";

    protected override SqlDialect Dialect => SqlDialect.Sqlite;

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            // WAL lets readers (tq, the Dashboard) run beside the writer; FULL makes each commit durable, which the
            // engine promises before it answers a caller. busy_timeout covers dbctl touching the file while we write.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception error)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Explain(error);
        }
    }

    // SQLite's online backup API copies a consistent snapshot page by page; in WAL mode it only holds a read
    // transaction, so the engine's writer goes on committing while it runs.
    public override async ValueTask SnapshotToAsync(string path, CancellationToken cancellationToken)
    {
        await using var source = (SqliteConnection)await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await destination.OpenAsync(cancellationToken).ConfigureAwait(false);
        // The snapshot is scratch (the archive made from it is what gets flushed to disk): forcing a gigabyte of it to
        // disk would stall the engine's own commit fsyncs on the same device.
        await using (var scratch = destination.CreateCommand())
        {
            scratch.CommandText = "PRAGMA synchronous=OFF";
            await scratch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        source.BackupDatabase(destination);
        await using var journal = destination.CreateCommand();
        journal.CommandText = "PRAGMA journal_mode=DELETE";
        await journal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override StoreUnavailableException Explain(Exception error) => error switch
    {
        SqliteException { SqliteErrorCode: SqliteFull } =>
            new StoreUnavailableException($"the job database's disk is full ({Path}); nothing was written", error),
        SqliteException { SqliteErrorCode: SqliteBusy } =>
            new StoreUnavailableException($"the job database is locked by another process ({Path})", error),
        SqliteException { SqliteErrorCode: SqliteIoErr } =>
            new StoreUnavailableException($"the job database could not be written ({Path}): {error.Message}", error),
        StoreUnavailableException s => s,
        _ => new StoreUnavailableException($"the job database failed ({Path}): {error.Message}", error),
    };
}
