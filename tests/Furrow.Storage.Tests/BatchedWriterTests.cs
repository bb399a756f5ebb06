using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Tests;

/// <summary>The store's one batching writer, through the real SQLite store.</summary>
public sealed class BatchedWriterTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task CommitAsync_IsDurableOnDisk_WhenReadByAnotherConnectionAfterTheStoreCloses()
    {
        await using var temp = new TempStore();
        await using (var store = await temp.OpenMigratedAsync())
            await Task.WhenAll(Enumerable.Range(1, 20).Select(jid => store.CommitAsync([TestJobs.Insert(jid)], None).AsTask()));
        temp.ClosePooledHandles();

        await using var connection = await temp.OpenRawConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*) FROM jobs";
        Assert.Equal(20L, await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*) FROM commands";
        Assert.Equal(20L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CommitAsync_FailsOnlyTheBadRequest_WhenItIsQueuedWithGoodOnes()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, title: "original"));

        // A big job keeps the writer busy while the rest queue up behind it, so they tend to share one batch.
        var bigScript = "Job -title {big} -subtasks {" +
            string.Concat(Enumerable.Range(1, 2000).Select(i => $" Task {{t{i}}} -cmds {{ RemoteCmd {{echo {i}}} }};")) + " }";
        var big = store.CommitAsync([TestJobs.Insert(2, bigScript)], None).AsTask();
        var good = Enumerable.Range(3, 60).Select(jid => (Jid: (long)jid, Commit: store.CommitAsync([TestJobs.Insert(jid)], None).AsTask())).ToList();
        // The bad request is atomic: its first write is fine, its second collides with job 1's primary key.
        var bad = store.CommitAsync([TestJobs.Insert(1000), TestJobs.Insert(1, title: "duplicate")], None).AsTask();
        good.AddRange(Enumerable.Range(63, 60).Select(jid => (Jid: (long)jid, Commit: store.CommitAsync([TestJobs.Insert(jid)], None).AsTask())));

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => bad);

        await big;
        await Task.WhenAll(good.Select(g => g.Commit));
        var cause = Assert.IsType<SqliteException>(error.InnerException);
        Assert.Equal(19, cause.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Contains("jobs.jid", error.Message);
        var jobs = await store.ListJobsAsync(includeDeleted: true, None);
        Assert.Equal(Enumerable.Range(1, 122).Select(i => (long)i), jobs.Select(j => j.Jid));
        Assert.Equal("original", jobs[0].Title);
        Assert.Empty(await store.ListTasksAsync(1000, None));
        Assert.Equal(2000, jobs[1].Counts.Total);
    }

    [Fact]
    public async Task CommitAsync_KeepsWorking_AfterARequestFailsAlone()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1));

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(TestJobs.Insert(1)));
        await store.CommitAsync(TestJobs.Insert(2));

        Assert.Equal([1L, 2], (await store.ListJobsAsync(includeDeleted: true, None)).Select(j => j.Jid));
    }

    [Fact]
    public async Task CommitAsync_CompletesAtOnce_WhenGivenNoWrites()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();

        await store.CommitAsync([], None);

        Assert.Empty(await store.ListJobsAsync(includeDeleted: true, None));
    }

    [Fact]
    public async Task CommitAsync_Refuses_AfterTheStoreIsDisposed()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        await store.DisposeAsync();

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(TestJobs.Insert(1)));

        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task WriteVersion_Rises_BeforeTheCallerIsTold_WhetherTheCommitWorkedOrNot()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        var before = store.WriteVersion;

        await store.CommitAsync(TestJobs.Insert(1));
        var afterGood = store.WriteVersion;
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(TestJobs.Insert(1)));
        var afterBad = store.WriteVersion;
        await store.CommitAsync([], None);

        Assert.True(afterGood > before);
        Assert.True(afterBad > afterGood);
        Assert.Equal(afterBad, store.WriteVersion); // no writes, no transaction
    }
}
