using Furrow.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Tests;

/// <summary>A real SQLite job database in its own temporary directory, removed with everything in it afterwards.</summary>
internal sealed class TempStore : ITestStore
{
    private readonly List<IJobStore> _opened = [];

    public TempStore()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "furrow-store-" + Guid.NewGuid().ToString("N")[..12]);
        Path = System.IO.Path.Combine(Directory, "db", "furrow.db");
    }

    public string Directory { get; }

    public string Path { get; }

    /// <summary>The connection string the store itself uses, so a test connection shares its connection pool.</summary>
    public string PooledConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Opens the store on this directory's database without migrating it.</summary>
    public IJobStore Open()
    {
        var store = new SqliteJobStore(Path);
        _opened.Add(store);
        return store;
    }

    /// <summary>Opens the store and brings its schema to the newest version.</summary>
    public async Task<IJobStore> OpenMigratedAsync()
    {
        var store = Open();
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A connection of the test's own, outside the store's pool.</summary>
    public async Task<SqliteConnection> OpenRawConnectionAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    async Task<System.Data.Common.DbConnection> ITestStore.OpenRawConnectionAsync() => await OpenRawConnectionAsync();

    /// <summary>Closes the idle pooled handles of the store's file, so the next open really opens the file again.</summary>
    public void ClosePooledHandles()
    {
        using var connection = new SqliteConnection(PooledConnectionString);
        SqliteConnection.ClearPool(connection);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
            await store.DisposeAsync();
        ClosePooledHandles();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }
}
