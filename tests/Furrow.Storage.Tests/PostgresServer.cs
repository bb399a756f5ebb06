using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Furrow.Storage.Tests;

/// <summary>
/// A real PostgreSQL server for the tests: Debian's binaries, a cluster made with initdb in a temp dir, listening on
/// 127.0.0.1 on a free port. One per test run; each test gets its own database on it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _root = "";
    private string _bin = "";
    private bool _asPostgresUser;

    public int Port { get; private set; }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "furrow", Database = database, Pooling = true }.ToString();

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _root = Path.Combine(Path.GetTempPath(), "furrow-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        // initdb refuses to run as root; CI runs as root, so the cluster belongs to the distribution's postgres user.
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser)
            await RunAsync("chown", "postgres", _root);
        Port = FreePort();
        var data = Path.Combine(_root, "data");
        await RunPgAsync("initdb", "-D", data, "-U", "furrow", "--auth=trust", "-E", "UTF8", "--no-sync");
        await RunPgAsync("pg_ctl", "-D", data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1", "start");
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
        if (_bin.Length > 0 && Directory.Exists(Path.Combine(_root, "data")))
            await RunPgAsync("pg_ctl", "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop");
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static string FindBinaries()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return debian ?? throw new InvalidOperationException(
            "PostgreSQL's server binaries were not found under /usr/lib/postgresql/*/bin: install the 'postgresql' package (apt-get install -y postgresql)");
    }

    private Task RunPgAsync(string tool, params string[] args) =>
        _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
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
}
