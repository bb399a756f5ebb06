using System.Globalization;
using Furrow.Core.Config;
using Furrow.Storage.Backup;
using Furrow.Storage.Migrations;
using Npgsql;

namespace Furrow.Storage.Postgres;

/// <summary>
/// tractor-dbctl's answers for PostgreSQL: a managed cluster in `DBDataDir` that Furrow starts and stops, or an external
/// server given by `DBConnection` that is not Furrow's to start or stop.
/// </summary>
internal sealed class PostgresSiteDatabase : ISiteDatabase
{
    private readonly DbConfig _config;
    private readonly PostgresCluster? _cluster;

    public PostgresSiteDatabase(DbConfig config, string databaseDirectory)
    {
        _config = config;
        DatabaseDirectory = Path.GetFullPath(databaseDirectory);
        if (IsManaged)
            _cluster = new PostgresCluster(DatabaseDirectory, config.DBPort);
    }

    public string Provider => "postgresql";

    public string DatabaseDirectory { get; }

    private bool IsManaged => !string.Equals(_config.DBMode, "external", StringComparison.OrdinalIgnoreCase);

    private string ConnectionString => _cluster?.ConnectionString ?? ExternalConnectionString();

    public IJobStore OpenStore() => new PostgresJobStore(ConnectionString);

    public async Task<IReadOnlyList<(string Key, string Value)>> StatusAsync(CancellationToken cancellationToken)
    {
        var where = new NpgsqlConnectionStringBuilder(ConnectionString);
        var rows = new List<(string, string)>
        {
            ("provider", IsManaged ? $"postgresql, managed by Furrow (cluster {DatabaseDirectory})" : "postgresql, external (not Furrow's to start or stop)"),
            ("server", $"{where.Host}:{where.Port}, database {where.Database}"),
        };
        if (_cluster is not null && !await _cluster.IsRunningAsync(cancellationToken))
        {
            rows.Add(("state", _cluster.IsInitialized ? "stopped" : "no cluster yet: --start or the engine creates it"));
            return rows;
        }
        try
        {
            await using var store = OpenStore();
            var version = await store.SchemaVersionAsync(cancellationToken);
            rows.Add(("state", "running"));
            rows.Add(("schema version", $"{version} (this build knows up to {MigrationCatalog.LatestVersion})"));
            if (version > 0)
            {
                rows.Add(("jobs", (await store.ListJobsAsync(true, cancellationToken)).Count.ToString(CultureInfo.InvariantCulture)));
                rows.Add(("last used job id", await store.GetParamAsync("jidcounter", cancellationToken) ?? "0"));
            }
        }
        catch (StoreUnavailableException error) when (error.InnerException is PostgresException { SqlState: "3D000" })
        {
            rows.Add(("state", Sqlite.SqliteSiteDatabase.AbsentState));
        }
        catch (StoreUnavailableException error)
        {
            rows.Add(("state", $"unreachable: {error.Message}"));
        }
        return rows;
    }

    public async Task<string> StartAsync(bool forEngine, CancellationToken cancellationToken)
    {
        if (_cluster is null)
            return $"the job database server {Where()} is external: it is not Furrow's to start";
        var started = await _cluster.StartAsync(cancellationToken);
        return (started ? "started" : "already running") + $": PostgreSQL cluster {DatabaseDirectory} on 127.0.0.1:{_cluster.Port}";
    }

    public async Task<string> StopAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null)
            return $"the job database server {Where()} is external: it is not Furrow's to stop";
        return await _cluster.StopAsync(cancellationToken)
            ? $"stopped: PostgreSQL cluster {DatabaseDirectory}"
            : $"not running: PostgreSQL cluster {DatabaseDirectory}";
    }

    public async Task<bool> IsServerRunningAsync(CancellationToken cancellationToken) =>
        _cluster is null || await _cluster.IsRunningAsync(cancellationToken);

    public async Task<BackupManifest> BackupAsync(string archivePath, string furrowVersion, CancellationToken cancellationToken)
    {
        var startedHere = _cluster is not null && await _cluster.StartAsync(cancellationToken); // a stopped cluster is started for the dump
        var dump = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(archivePath))!, $".furrow-dump-{Guid.NewGuid():N}.pgdump");
        try
        {
            // One exported snapshot serves the manifest's figures and pg_dump, so both describe the same instant.
            await using var connection = new NpgsqlConnection(Unpooled(ConnectionString));
            await connection.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var snapshot = (string)(await Scalar(connection, "SELECT pg_export_snapshot()", cancellationToken))!;
            var version = Convert.ToInt32(await Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken),
                CultureInfo.InvariantCulture);
            var counter = long.Parse((string?)await Scalar(connection, "SELECT value FROM params WHERE name = 'jidcounter'", cancellationToken) ?? "0",
                CultureInfo.InvariantCulture);
            await PostgresTools.RunAsync("pg_dump", ConnectionString, ["--format=custom", $"--snapshot={snapshot}", "--file", dump], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            var manifest = new BackupManifest(BackupManifest.CurrentFormat, furrowVersion, Provider, version, counter, DateTimeOffset.UtcNow, []);
            await BackupArchive.WriteAsync(archivePath, dump, manifest, cancellationToken, BackupArchive.PostgresDumpMember);
            return manifest;
        }
        catch (PostgresException error)
        {
            throw new StoreUnavailableException($"backup of {Where()} failed: {error.MessageText}", error) { IsTransient = false };
        }
        finally
        {
            File.Delete(dump);
            if (startedHere)
                await _cluster!.StopAsync(CancellationToken.None);
        }
    }

    public async Task<BackupManifest> RestoreAsync(string archivePath, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"furrow-restore-{Guid.NewGuid():N}");
        var startedHere = false;
        try
        {
            var backup = await BackupArchive.VerifyAsync(archivePath, scratch, cancellationToken);
            if (backup.Manifest.Provider != Provider)
                throw new BackupInvalidException($"{archivePath}: a {backup.Manifest.Provider} backup cannot be restored into a postgresql site");
            if (backup.Manifest.SchemaVersion > MigrationCatalog.LatestVersion)
                throw new BackupInvalidException(
                    $"{archivePath}: schema version {backup.Manifest.SchemaVersion} is newer than this build knows ({MigrationCatalog.LatestVersion}); restore it with a newer build");
            startedHere = _cluster is not null && await _cluster.StartAsync(cancellationToken);

            // Restore into a side database first; only a complete, checked copy replaces the live one (by renames).
            var live = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
            var incoming = live + "_restoring";
            await AdminAsync($"DROP DATABASE IF EXISTS {incoming} WITH (FORCE)", cancellationToken);
            await AdminAsync($"CREATE DATABASE {incoming}", cancellationToken);
            var incomingConnection = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = incoming }.ToString();
            try
            {
                await PostgresTools.RunAsync("pg_restore", incomingConnection, ["--no-owner", "--exit-on-error", backup.DatabaseFile], cancellationToken);
            }
            catch (StoreUnavailableException error)
            {
                await AdminAsync($"DROP DATABASE IF EXISTS {incoming} WITH (FORCE)", CancellationToken.None);
                throw new BackupInvalidException($"{archivePath}: the job database in the archive cannot be restored ({error.Message})", error);
            }
            await using (var connection = new NpgsqlConnection(Unpooled(incomingConnection)))
            {
                await connection.OpenAsync(cancellationToken);
                await using var reset = connection.CreateCommand();
                reset.CommandText = StoreSql.RescheduleActiveAfterRestore;
                reset.Parameters.AddWithValue("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await reset.ExecuteNonQueryAsync(cancellationToken);
            }
            NpgsqlConnection.ClearAllPools();
            var replaced = live + "_replaced";
            await AdminAsync($"DROP DATABASE IF EXISTS {replaced} WITH (FORCE)", cancellationToken);
            if (await DatabaseExistsAsync(live, cancellationToken))
                await AdminAsync($"ALTER DATABASE {live} RENAME TO {replaced}", cancellationToken);
            await AdminAsync($"ALTER DATABASE {incoming} RENAME TO {live}", cancellationToken);
            await AdminAsync($"DROP DATABASE IF EXISTS {replaced} WITH (FORCE)", cancellationToken);
            return backup.Manifest;
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
            if (startedHere)
                await _cluster!.StopAsync(CancellationToken.None);
        }
    }

    public async Task DestroyAsync(CancellationToken cancellationToken)
    {
        var startedHere = _cluster is not null && await _cluster.StartAsync(cancellationToken);
        try
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS {new NpgsqlConnectionStringBuilder(ConnectionString).Database} WITH (FORCE)", cancellationToken);
        }
        finally
        {
            if (startedHere)
                await _cluster!.StopAsync(CancellationToken.None);
        }
    }

    private async Task<bool> DatabaseExistsAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM pg_database WHERE datname = @name";
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    // Database-level statements run from the server's maintenance database, never from the one they change.
    private async Task AdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private string AdminConnectionString => Unpooled(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ToString());

    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString();

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    /// <summary>Starts a managed cluster if it is not running; returns true when this call started it.</summary>
    public async Task<bool> EnsureRunningAsync(CancellationToken cancellationToken) =>
        _cluster is not null && await _cluster.StartAsync(cancellationToken);

    private string Where()
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"{b.Host}:{b.Port}";
    }

    // The password never sits in db.config: it comes from DBPasswordFile or $FURROW_DB_PASSWORD.
    private string ExternalConnectionString()
    {
        if (string.IsNullOrWhiteSpace(_config.DBConnection))
            throw new StoreUnavailableException("db.config says DBMode external but gives no DBConnection") { IsTransient = false };
        var builder = new NpgsqlConnectionStringBuilder(_config.DBConnection);
        var password = _config.DBPasswordFile is { Length: > 0 } file
            ? File.ReadAllText(file).Trim()
            : Environment.GetEnvironmentVariable("FURROW_DB_PASSWORD");
        if (!string.IsNullOrEmpty(password))
            builder.Password = password;
        return builder.ToString();
    }
}
