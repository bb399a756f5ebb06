using System.Data.Common;
using System.Globalization;

namespace Furrow.Storage.Migrations;

/// <summary>Moves a database's schema up or down to a version, one migration per transaction, recording each step.</summary>
internal sealed class MigrationRunner(DbConnection connection, SqlDialect dialect)
{
    private const string CreateTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL)
        """;

    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await ExecAsync(CreateTable, null, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Applies or reverts migrations until the schema is <paramref name="target"/>; returns the final version.</summary>
    public async Task<int> MigrateToAsync(int target, CancellationToken cancellationToken)
    {
        var current = await CurrentVersionAsync(cancellationToken).ConfigureAwait(false);
        var known = MigrationCatalog.LatestVersion;
        if (current > known)
            throw TooNew(current);
        if (target > known || target < 0)
            throw new StoreUnavailableException($"schema version {target} is unknown to this build (0..{known})") { IsTransient = false };

        foreach (var migration in MigrationCatalog.All.Where(m => m.Version > current && m.Version <= target))
            await ApplyAsync(migration.Version, migration.Name, migration.Up(dialect), up: true, cancellationToken).ConfigureAwait(false);
        foreach (var migration in MigrationCatalog.All.Where(m => m.Version <= current && m.Version > target).Reverse())
            await ApplyAsync(migration.Version, migration.Name, migration.Down(dialect), up: false, cancellationToken).ConfigureAwait(false);
        return target;
    }

    /// <summary>The refusal for a database written by a newer build, saying which version is needed and how to go down.</summary>
    public static StoreUnavailableException TooNew(int current) => new(
        $"the job database has schema version {current}, but this build knows only up to {MigrationCatalog.LatestVersion}: " +
        $"run a build that knows version {current}, or take the database down with that newer build's " +
        $"`tractor-dbctl --configdir DIR --migrate-to {MigrationCatalog.LatestVersion}`")
    { IsTransient = false };

    private async Task ApplyAsync(int version, string name, IReadOnlyList<string> statements, bool up, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sql in statements)
            await ExecAsync(sql, transaction, cancellationToken).ConfigureAwait(false);
        await using var record = connection.CreateCommand();
        record.Transaction = transaction;
        if (up)
        {
            record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
            AddParameter(record, "@n", name);
            AddParameter(record, "@t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            record.CommandText = "DELETE FROM schema_migrations WHERE version = @v";
        }
        AddParameter(record, "@v", version);
        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    private async Task ExecAsync(string sql, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
