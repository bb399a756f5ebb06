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
        _cluster = new PostgresCluster(Path.Combine(_root, "data"), LoopbackPorts.Next());
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

    /// <summary>
    /// Version 10 takes the per-row key checks off the task and command rows (a large spool's COPY paid a query per row
    /// for them); version 9 puts them back, checking every row, and refuses, changing nothing, if a row names no job.
    /// </summary>
    [Fact]
    public async Task MigrateToAsync_OnPostgres_TenDropsTheTaskRowsJobKeys_NineRestoresThem_AndRefusesAnOrphanRow()
    {
        var none = CancellationToken.None;
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync([TestJobs.Insert(1, TestJobs.Shot)], none);
        await using var connection = await temp.OpenRawConnectionAsync();
        const string Keys = "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('tasks'::regclass, 'commands'::regclass) ORDER BY conname";
        Assert.Empty(await RawStringsAsync(connection, Keys));
        var tasks = (await store.ListTasksAsync(1, none)).Select(t => (t.Tid, t.Title, t.State, string.Join(',', t.InstanceOf))).ToList();
        Assert.Equal(5, tasks.Count);

        Assert.Equal(9, await store.MigrateToAsync(9, none));
        Assert.Equal(["commands_jid_fkey", "tasks_jid_fkey"], await RawStringsAsync(connection, Keys));
        // Below 16 the job cleanup task waits for the top tasks by being an Instance of them (M0016's way down).
        Assert.Equal(tasks.Select(t => t.Title == "job cleanup" ? t with { Item4 = "1,4" } : t),
            (await store.ListTasksAsync(1, none)).Select(t => (t.Tid, t.Title, t.State, string.Join(',', t.InstanceOf))));
        await using (var orphan = connection.CreateCommand())
        {
            orphan.CommandText = "INSERT INTO tasks (jid, tid, parent_tid, title, state, statetime) VALUES (99, 1, 0, 'orphan', 'blocked', 0)";
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => orphan.ExecuteNonQueryAsync());
            Assert.Equal("tasks_jid_fkey", refused.ConstraintName);
        }

        Assert.Equal(Storage.Migrations.MigrationCatalog.LatestVersion, await store.MigrateAsync(none));
        Assert.Empty(await RawStringsAsync(connection, Keys));
        await using (var orphan = connection.CreateCommand())
        {
            orphan.CommandText = "INSERT INTO tasks (jid, tid, parent_tid, title, state, statetime) VALUES (99, 1, 0, 'orphan', 'blocked', 0)";
            await orphan.ExecuteNonQueryAsync();
        }
        var down = await Assert.ThrowsAnyAsync<Exception>(async () => await store.MigrateToAsync(9, none));
        Assert.Contains("tasks_jid_fkey", down.ToString(), StringComparison.Ordinal);
        Assert.Equal(10, await store.SchemaVersionAsync(none));
        Assert.Empty(await RawStringsAsync(connection, Keys));
        Assert.Equal(tasks.Count + 1, (await store.ListTasksAsync(null, none)).Count);
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
