using System.Data.Common;
using Furrow.Storage.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace Furrow.Storage.Postgres;

/// <summary>The job database on a PostgreSQL server, through one long-lived <see cref="NpgsqlDataSource"/>.</summary>
internal sealed class PostgresJobStore : AdoJobStore
{
    private const string DiskFull = "53100";
    private const string OutOfMemory = "53200";
    private const string AdminShutdown = "57P01";
    private const string CannotConnectNow = "57P03";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _where;

    public PostgresJobStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Never echo the password: messages name the server and database only.
        _where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        // The same few statements run for every dispatch and report: let Npgsql prepare them on the server once.
        if (builder.MaxAutoPrepare == 0)
            builder.MaxAutoPrepare = 64;
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override string Description => $"postgresql {_where}";

    protected override SqlDialect Dialect => SqlDialect.Postgres;

    // 2201B invalid_regular_expression: PostgreSQL's regular expressions (`~*`, Tractor's own) refuse a few constructs .NET's accept.
    protected override string? RejectedQuery(Exception error) =>
        error is Npgsql.PostgresException { SqlState: "2201B" } refused ? $"the database refuses the regular expression: {refused.MessageText}" : null;

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            throw Explain(error);
        }
    }

    // PostgreSQL is bound by round trips: the statements between two bulk inserts go to the server in one batch, and a
    // job's task and command rows each go in one binary COPY.
    protected override async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, List<StoreStatement> statements,
        CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        var batch = new List<WriteStatement>();
        foreach (var statement in statements)
        {
            if (statement is WriteStatement write)
            {
                batch.Add(write);
                continue;
            }
            await SendAsync(npgsql, (NpgsqlTransaction)transaction, batch, cancellationToken).ConfigureAwait(false);
            batch.Clear();
            await InsertTaskRowsAsync(connection, transaction, (TaskRowsStatement)statement, cancellationToken).ConfigureAwait(false);
        }
        await SendAsync(npgsql, (NpgsqlTransaction)transaction, batch, cancellationToken).ConfigureAwait(false);
    }

    private static async Task SendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<WriteStatement> statements,
        CancellationToken cancellationToken)
    {
        if (statements.Count == 0)
            return;
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Sql);
            foreach (var (name, value) in statement.Parameters)
                command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override WriteStatement SetTaskStates(long jid, string state, long timeMs, int[] tids) => new(
        "UPDATE tasks SET state = @state, statetime = @time WHERE jid = @jid AND tid = ANY(@tids)",
        [("state", state), ("time", timeMs), ("jid", jid), ("tids", tids)]);

    protected override async Task InsertTaskRowsAsync(DbConnection connection, DbTransaction transaction, TaskRowsStatement rows,
        CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        await CopyAsync(npgsql, TaskRows.TaskTable, TaskRows.TaskColumns,
            sink => TaskRows.WriteTasks(sink, rows.Jid, rows.Tasks, rows.TimeMs, rows.ReadyTids), cancellationToken).ConfigureAwait(false);
        if (TaskRows.AnyCommands(rows.Tasks))
            await CopyAsync(npgsql, TaskRows.CommandTable, TaskRows.CommandColumns,
                sink => TaskRows.WriteCommands(sink, rows.Jid, rows.Tasks), cancellationToken).ConfigureAwait(false);
    }

    // The rows are all in memory, so they are written synchronously: the importer sends its buffer each time it fills,
    // which waits only if the server falls behind reading (the same kind of wait as SQLite's fsync on the writer loop).
    private static async Task CopyAsync(NpgsqlConnection connection, string table, string[] columns, Action<IRowSink> write,
        CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        write(new CopySink(importer));
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes each row to a binary COPY, starting the next row once one is complete.</summary>
    private sealed class CopySink(NpgsqlBinaryImporter importer) : IRowSink
    {
        private bool _inRow;

        public void BigInt(long value)
        {
            Start();
            importer.Write(value, NpgsqlDbType.Bigint);
        }

        public void Integer(int? value)
        {
            Start();
            if (value is { } v)
                importer.Write(v, NpgsqlDbType.Integer);
            else
                importer.WriteNull();
        }

        public void Text(string? value)
        {
            Start();
            if (value is null)
                importer.WriteNull();
            else
                importer.Write(value, NpgsqlDbType.Text);
        }

        public void EndRow() => _inRow = false;

        private void Start()
        {
            if (!_inRow)
                importer.StartRow();
            _inRow = true;
        }
    }

    public override ValueTask SnapshotToAsync(string path, CancellationToken cancellationToken) =>
        throw new StoreUnavailableException("online snapshots of a PostgreSQL job database are not built yet") { IsTransient = false };

    protected override StoreUnavailableException Explain(Exception error) => error switch
    {
        StoreUnavailableException s => s,
        PostgresException { SqlState: DiskFull } =>
            new StoreUnavailableException($"the job database's disk is full ({_where}); nothing was written", error),
        PostgresException { SqlState: OutOfMemory } =>
            new StoreUnavailableException($"the job database server is out of memory ({_where})", error),
        PostgresException { SqlState: AdminShutdown or CannotConnectNow } =>
            new StoreUnavailableException($"the job database server {_where} is shutting down or starting up", error),
        PostgresException p =>
            new StoreUnavailableException($"the job database {_where} refused the change: {p.MessageText}", error) { IsTransient = p.IsTransient },
        NpgsqlException n =>
            new StoreUnavailableException($"cannot reach the job database server {_where}: {n.Message}", error) { IsTransient = n.IsTransient },
        _ => new StoreUnavailableException($"the job database {_where} failed: {error.Message}", error),
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
