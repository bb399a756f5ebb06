using System.Net;
using System.Net.Sockets;
using Furrow.Storage.Postgres;
using Npgsql;

namespace Furrow.Storage.Tests;

/// <summary>
/// A real PostgreSQL server for the tests: the same managed cluster Furrow runs (the distribution's initdb and
/// pg_ctl) in a temp dir, listening on 127.0.0.1 on a free port. One per test run; each test gets its own database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "furrow-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresCluster? _cluster;

    public int Port => _cluster!.Port;

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(_cluster!.ConnectionString) { Database = database }.ToString();

    public async Task InitializeAsync()
    {
        _cluster = new PostgresCluster(Path.Combine(_root, "data"), FreePort());
        await _cluster.StartAsync(CancellationToken.None);
    }

    /// <summary>A new empty database on the server; its name is returned.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        await command.ExecuteNonQueryAsync();
        return name;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.StopAsync(CancellationToken.None);
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Tests that share the one PostgreSQL server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

/// <summary>A fresh database on the test server, used through the PostgreSQL store.</summary>
internal sealed class PostgresTempStore(PostgresServer server, string database) : ITestStore
{
    private readonly List<IJobStore> _opened = [];

    public IJobStore Open()
    {
        var store = JobStores.OpenPostgres(server.ConnectionString(database));
        _opened.Add(store);
        return store;
    }

    public async Task<IJobStore> OpenMigratedAsync()
    {
        var store = Open();
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public async Task<System.Data.Common.DbConnection> OpenRawConnectionAsync()
    {
        var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        return connection;
    }

    public void ClosePooledHandles() => NpgsqlConnection.ClearAllPools();

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
            await store.DisposeAsync();
    }
}

/// <summary>The contract on a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresServer server) : JobStoreContractTests
{
    protected override async Task<ITestStore> NewStoreAsync() => new PostgresTempStore(server, await server.CreateDatabaseAsync());

    [Fact]
    public async Task MigrateDownToZeroAndBackUp_OnPostgres_RebuildsEveryTable()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync([TestJobs.Insert(1)], CancellationToken.None);
        Assert.Equal(0, await store.MigrateToAsync(0, CancellationToken.None));
        Assert.Equal(0, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(Storage.Migrations.MigrationCatalog.LatestVersion, await store.MigrateAsync(CancellationToken.None));
        Assert.Empty(await store.ListJobsAsync(true, CancellationToken.None));
        await store.CommitAsync([TestJobs.Insert(1)], CancellationToken.None);
        Assert.Single(await store.ListJobsAsync(true, CancellationToken.None));
    }

    [Fact]
    public async Task MigrateToAsync_OnPostgres_DownToThreeAndBack_KeepsEveryRow_AndTheSchedulingColumnsComeBackWithDefaults()
    {
        await using var temp = await NewStoreAsync();
        await MigrationTests.DownToThreeAndBackAsync(temp);
    }

    [Fact]
    public async Task MigrateToAsync_OnPostgres_DownToFourAndBack_KeepsEveryRow_AndProgressComesBackEmpty()
    {
        await using var temp = await NewStoreAsync();
        await MigrationTests.DownToFourAndBackAsync(temp);
    }
}
