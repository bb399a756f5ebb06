using Furrow.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Tests;

public sealed class MigrationTests
{
    private static readonly string[] SchemaTables = ["blades", "commands", "invocations", "jobs", "params", "tasks"];

    [Fact]
    public async Task MigrateAsync_BringsAFreshDatabaseToTheLatestVersion_WithJobCounterAtZero()
    {
        await using var temp = new TempStore();
        var store = temp.Open();

        var version = await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(MigrationCatalog.LatestVersion, version);
        Assert.Equal("0", await store.GetParamAsync("jidcounter", CancellationToken.None));
        await using var connection = await temp.OpenRawConnectionAsync();
        Assert.Equal(SchemaTables, await TablesAsync(connection));
        Assert.Equal(
            MigrationCatalog.All.Select(m => (long)m.Version),
            await ColumnAsync<long>(connection, "SELECT version FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task MigrateAsync_ChangesNothing_WhenRunTwice()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1));
        await using var connection = await temp.OpenRawConnectionAsync();
        var recordedBefore = await ColumnAsync<string>(connection, "SELECT version || ' ' || name || ' ' || applied_at FROM schema_migrations");

        var version = await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(MigrationCatalog.LatestVersion, version);
        Assert.Equal(recordedBefore, await ColumnAsync<string>(connection, "SELECT version || ' ' || name || ' ' || applied_at FROM schema_migrations"));
        Assert.Equal([1L], (await store.ListJobsAsync(includeDeleted: true, CancellationToken.None)).Select(j => j.Jid));
        Assert.Equal("1", await store.GetParamAsync("jidcounter", CancellationToken.None));
    }

    [Fact]
    public async Task MigrateToAsync_DropsEveryTableAtZero_AndRebuildsThemOnTheWayBackUp()
    {
        await using var temp = new TempStore();
        await using (var store = await temp.OpenMigratedAsync())
            await store.CommitAsync(TestJobs.Insert(7));
        await using var connection = await temp.OpenRawConnectionAsync();
        var runner = new MigrationRunner(connection, SqlDialect.Sqlite);

        Assert.Equal(0, await runner.MigrateToAsync(0, CancellationToken.None));

        Assert.Equal(0, await runner.CurrentVersionAsync(CancellationToken.None));
        Assert.Empty(await TablesAsync(connection));
        Assert.Empty(await ColumnAsync<long>(connection, "SELECT version FROM schema_migrations"));

        Assert.Equal(MigrationCatalog.LatestVersion, await runner.MigrateToAsync(MigrationCatalog.LatestVersion, CancellationToken.None));

        Assert.Equal(MigrationCatalog.LatestVersion, await runner.CurrentVersionAsync(CancellationToken.None));
        Assert.Equal(SchemaTables, await TablesAsync(connection));
        var reopened = temp.Open();
        Assert.Empty(await reopened.ListJobsAsync(includeDeleted: true, CancellationToken.None));
        Assert.Equal("0", await reopened.GetParamAsync("jidcounter", CancellationToken.None));
        await reopened.CommitAsync(TestJobs.Insert(1));
        Assert.Single(await reopened.ListJobsAsync(includeDeleted: true, CancellationToken.None));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public async Task MigrateToAsync_Refuses_WhenTargetIsUnknown(int target)
    {
        await using var temp = new TempStore();
        await temp.OpenMigratedAsync();
        await using var connection = await temp.OpenRawConnectionAsync();

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(
            () => new MigrationRunner(connection, SqlDialect.Sqlite).MigrateToAsync(target, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Contains($"schema version {target} is unknown", error.Message);
        Assert.Equal(MigrationCatalog.LatestVersion, await new MigrationRunner(connection, SqlDialect.Sqlite).CurrentVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MigrateAsync_RefusesADatabaseFromANewerBuild_NamingBothVersionsAndMigrateTo()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        var newer = MigrationCatalog.LatestVersion + 41;
        await using var connection = await temp.OpenRawConnectionAsync();
        await ExecAsync(connection, $"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({newer}, 'from a newer build', 'later')");

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync(CancellationToken.None).AsTask());

        Assert.False(error.IsTransient);
        Assert.Contains($"schema version {newer}", error.Message);
        Assert.Contains($"only up to {MigrationCatalog.LatestVersion}", error.Message);
        Assert.Contains($"--migrate-to {MigrationCatalog.LatestVersion}", error.Message);
        Assert.Equal(newer, await new MigrationRunner(connection, SqlDialect.Sqlite).CurrentVersionAsync(CancellationToken.None));
        Assert.Equal(SchemaTables, await TablesAsync(connection));
    }

    private static async Task<List<string>> TablesAsync(SqliteConnection connection) =>
        await ColumnAsync<string>(connection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' AND name NOT LIKE 'sqlite_%' ORDER BY name");

    private static async Task<List<T>> ColumnAsync<T>(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
            values.Add(reader.GetFieldValue<T>(0));
        return values;
    }

    private static async Task ExecAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
