using System.Data.Common;
using System.Text.Json;
using Furrow.Storage.Migrations;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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

    // Only a statement that calls the like function gets it: each registration allocates a callback handle (a SafeHandle
    // that a profile of an engine answering listings showed on the finalizer thread), a cost every listing paid before.
    protected override Func<Exception?>? PrepareQueryConnection(DbConnection connection, string sql, DateTime deadline, TimeSpan timeout) =>
        sql.Contains(SqliteLike.FunctionName, StringComparison.Ordinal)
            ? SqliteLike.Register((SqliteConnection)connection, deadline, timeout)
            : null;

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

    // Microsoft.Data.Sqlite binds each parameter by name (a UTF-8 copy of the name and a lookup) on every execution; for the
    // 200,000 rows of a 100,000-task spool that was most of its time. These go through SQLite's own API on the same
    // connection, inside the batch's transaction: one statement per table, values bound by position.
    protected override Task InsertTaskRowsAsync(DbConnection connection, DbTransaction transaction, TaskRowsStatement rows,
        CancellationToken cancellationToken)
    {
        var db = ((SqliteConnection)connection).Handle!;
        using (var tasks = new StatementSink(db, TaskRows.TaskTable, TaskRows.TaskColumns))
            TaskRows.WriteTasks(tasks, rows.Jid, rows.Tasks, rows.TimeMs, rows.ReadyTids);
        if (TaskRows.AnyCommands(rows.Tasks))
        {
            using var commands = new StatementSink(db, TaskRows.CommandTable, TaskRows.CommandColumns);
            TaskRows.WriteCommands(commands, rows.Jid, rows.Tasks);
        }
        return Task.CompletedTask;
    }

    // SQLite takes the task ids as one JSON array (a parameter per id would cap a statement at 32,766 of them).
    protected override WriteStatement SetTaskStates(long jid, string state, long timeMs, int[] tids) => new(
        "UPDATE tasks SET state = @state, statetime = @time WHERE jid = @jid AND tid IN (SELECT value FROM json_each(@tids))",
        [("state", state), ("time", timeMs), ("jid", jid), ("tids", JsonSerializer.Serialize(tids, StorageJsonContext.Default.Int32Array))]);

    /// <summary>One prepared INSERT, executed once per row; a failed step throws the SqliteException Explain knows.</summary>
    private sealed class StatementSink : IRowSink, IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;
        private int _column;

        public StatementSink(sqlite3 db, string table, string[] columns)
        {
            _db = db;
            var sql = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(_ => "?"))})";
            Check(raw.sqlite3_prepare_v2(db, sql, out _statement));
        }

        public void BigInt(long value) => Check(raw.sqlite3_bind_int64(_statement, ++_column, value));

        public void Integer(int? value) =>
            Check(value is { } v ? raw.sqlite3_bind_int64(_statement, ++_column, v) : raw.sqlite3_bind_null(_statement, ++_column));

        public void Text(string? value) =>
            Check(value is null ? raw.sqlite3_bind_null(_statement, ++_column) : raw.sqlite3_bind_text16(_statement, ++_column, value));

        public void EndRow()
        {
            var rc = raw.sqlite3_step(_statement);
            _column = 0;
            try
            {
                if (rc != raw.SQLITE_DONE)
                    Check(rc);
            }
            finally
            {
                raw.sqlite3_reset(_statement);
            }
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
                SqliteException.ThrowExceptionForRC(rc, _db);
        }

        public void Dispose() => _statement.Dispose();
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
