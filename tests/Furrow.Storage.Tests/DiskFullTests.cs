using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Tests;

/// <summary>
/// A full database without root or a small filesystem: `PRAGMA max_page_count` caps a SQLite handle's file, and pooled
/// Microsoft.Data.Sqlite handles keep it between opens. With the store's pool reduced to one idle handle, a connection
/// opened with the store's own connection string sets the cap on the very handle the store's writer opens next.
/// </summary>
public sealed class DiskFullTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task CommitAsync_ReportsAFullDatabase_WritesNothing_AndWorksAgainOnceThereIsRoom()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        temp.ClosePooledHandles();
        var pageCount = await WithPooledHandleAsync(temp, "PRAGMA page_count");
        Assert.Equal(pageCount, await WithPooledHandleAsync(temp, $"PRAGMA max_page_count = {pageCount}"));
        Assert.Equal(pageCount, await WithPooledHandleAsync(temp, "PRAGMA max_page_count")); // the cap stays with the pooled handle
        var big = TestJobs.Insert(1, "Job -title {big} -subtasks {" +
            string.Concat(Enumerable.Range(1, 500).Select(i => $" Task {{frame {i}}} -cmds {{ RemoteCmd {{render --frame {i}}} }};")) + " }");

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(big));

        Assert.Contains("full", error.Message);
        Assert.True(error.IsTransient);
        Assert.Equal(13, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode); // SQLITE_FULL
        Assert.Empty(await store.ListJobsAsync(includeDeleted: true, None));
        Assert.Empty(await store.ListTasksAsync(null, None));
        Assert.Empty(await store.ListCommandsAsync(null, None));
        Assert.Equal("0", await store.GetParamAsync("jidcounter", None));
        Assert.Equal(pageCount, await WithPooledHandleAsync(temp, "PRAGMA max_page_count")); // still capped: the failure was real

        await WithPooledHandleAsync(temp, "PRAGMA max_page_count = 1073741823");
        await store.CommitAsync(big);

        var job = Assert.Single(await store.ListJobsAsync(includeDeleted: true, None));
        Assert.Equal(500, job.Counts.Total);
        Assert.Equal(500, (await store.ListCommandsAsync(1, None)).Count);
        Assert.Equal("1", await store.GetParamAsync("jidcounter", None));
    }

    private static async Task<long> WithPooledHandleAsync(TempStore temp, string pragma)
    {
        await using var connection = new SqliteConnection(temp.PooledConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = pragma;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
