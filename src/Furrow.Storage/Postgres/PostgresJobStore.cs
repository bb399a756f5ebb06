using System.Data.Common;
using Furrow.Storage.Migrations;
using Npgsql;

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

    // PostgreSQL is bound by round trips: a whole batch of statements goes to the server in one.
    protected override async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, List<WriteStatement> statements,
        CancellationToken cancellationToken)
    {
        await using var batch = ((NpgsqlConnection)connection).CreateBatch();
        batch.Transaction = (NpgsqlTransaction)transaction;
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Sql);
            foreach (var (name, value) in statement.Parameters)
                command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
