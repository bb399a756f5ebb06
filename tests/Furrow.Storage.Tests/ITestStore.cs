using System.Data.Common;

namespace Furrow.Storage.Tests;

/// <summary>A fresh, empty job database of one provider, for one test.</summary>
public interface ITestStore : IAsyncDisposable
{
    /// <summary>Opens the store without migrating it.</summary>
    IJobStore Open();

    /// <summary>Opens the store and brings its schema to the newest version.</summary>
    Task<IJobStore> OpenMigratedAsync();

    /// <summary>A connection of the test's own, to look at rows the store's API does not show.</summary>
    Task<DbConnection> OpenRawConnectionAsync();

    /// <summary>Makes the next open really reconnect (SQLite keeps file handles pooled).</summary>
    void ClosePooledHandles();
}
