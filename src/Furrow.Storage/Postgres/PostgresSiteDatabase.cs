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

    public Task<BackupManifest> BackupAsync(string archivePath, string furrowVersion, CancellationToken cancellationToken) =>
        throw NotBuilt("--backup");

    public Task<BackupManifest> RestoreAsync(string archivePath, CancellationToken cancellationToken) => throw NotBuilt("--restore");

    public Task DestroyAsync(CancellationToken cancellationToken) => throw NotBuilt("--destroy");

    /// <summary>Starts a managed cluster if it is not running; returns true when this call started it.</summary>
    public async Task<bool> EnsureRunningAsync(CancellationToken cancellationToken) =>
        _cluster is not null && await _cluster.StartAsync(cancellationToken);

    private static StoreUnavailableException NotBuilt(string verb) =>
        new($"{verb} on a PostgreSQL job database is not built yet (SQLite sites have it)") { IsTransient = false };

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
