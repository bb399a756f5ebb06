using Furrow.Core.Jobs;
using Furrow.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Tests;

public sealed class MigrationTests
{
    private static readonly string[] SchemaTables = ["blade_keys", "blades", "blocklist", "commands", "invocations", "job_scripts", "jobs", "params", "sessions", "tasks"];

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

    [Fact]
    public async Task MigrateToAsync_DownToThreeAndBack_KeepsEveryRow_AndTheSchedulingColumnsComeBackWithDefaults()
    {
        await using var temp = new TempStore();
        await DownToThreeAndBackAsync(temp);
    }

    /// <summary>
    /// The latest version down to 3 and up again on a store with jobs in several states: every job, task, command and
    /// invocation row comes through; the scheduling columns, the blade nimby switch, the blocklist (version 4) and the
    /// tasks' progress (version 5), the invocations' usage figures (version 6), the argv an invocation was handed out
    /// with (version 8), a job's crews and editpolicy (version 15), a command's id and refersto (version 16) and its
    /// samehost (version 17) come back empty, at their defaults. Each job's
    /// script (version 9) waits in `jobs.spec` below 9 and comes back as it was spooled, in its own form.
    /// </summary>
    internal static async Task DownToThreeAndBackAsync(ITestStore temp)
    {
        var none = CancellationToken.None;
        var store = await temp.OpenMigratedAsync();
        Assert.Equal(18, MigrationCatalog.LatestVersion);
        var scheduled = TestJobs.Insert(1, TestJobs.Shot);
        scheduled = scheduled with
        {
            Job = scheduled.Job with
            {
                AfterTimeMs = 1_700_000_900_000, MaxActive = 2, AfterJids = [2], Tier = "rush", Projects = ["shot10"], Service = "linux", Tags = ["prman"],
                DirMaps = [new Core.Scripts.DirMap("X:/", "/net/x/", "NFS")], Crews = ["fx"], EditPolicy = "fxShared",
            },
        };
        var fromJson = TestJobs.Insert(2) with { Script = new JobScript(JobScript.Json, "\n  {\"title\": \"small\"}") };
        await store.CommitAsync(scheduled, fromJson, TestJobs.Insert(3));
        await store.CommitAsync(
            new SetTaskState(1, 2, TaskState.Done, 10),
            new SetCommandState(1, 1, CommandState.Done),
            new InsertInvocation(1, 1, 2, 1, "blade-a", 5, ["render", "/net/x/a.rib"]),
            new FinishInvocation(1, 9, 0, InvocationState.Done, new InvocationUsage(4.5, 3.25, 0.5, 512L << 20, 2L << 30, -3_600_000)),
            new InsertInvocation(2, 1, 1, 1, "blade-b", 6),
            new FinishInvocation(2, 8, null, InvocationState.Interrupted),
            new SetJobPaused(2, true),
            new SetJobDeleted(3, 40),
            new SetBlocklist(1, "blade-a", 2),
            new SetJobLock(1, "ana"),
            new UpsertBlade(new BladeRecord("blade-a", "rack1", 4, "0.1.0", "boot-1", 100, 200, "up") { Profile = "gpu", Nimby = true }));
        Assert.Equal(new InvocationUsage(4.5, 3.25, 0.5, 512L << 20, 2L << 30, -3_600_000), (await store.ListInvocationsAsync(1, none))[0].Usage);
        var jobsBefore = await store.ListJobsAsync(includeDeleted: true, none);
        Assert.Equal([new Core.Scripts.DirMap("X:/", "/net/x/", "NFS")], jobsBefore.Single(j => j.Jid == 1).DirMaps);
        await using var connection = await temp.OpenRawConnectionAsync();
        string[] tables = ["jobs", "tasks", "commands", "invocations", "blades", "params", "job_scripts"];
        var before = new Dictionary<string, List<string>>();
        foreach (var table in tables)
            before[table] = await RowsAsync(connection, table);
        Assert.Equal(
            [$"jid=1 | format=alfred | script={TestJobs.Shot}", "jid=2 | format=json | script=\n  {\"title\": \"small\"}", $"jid=3 | format=alfred | script={TestJobs.Small}"],
            before["job_scripts"]);
        Assert.All(before["jobs"], row => Assert.Contains("spec= |", row));
        // Version 11's task counts go on the way down, and are counted again from the tasks on the way up.
        string[] jobColumns = ["aftertime", "maxactive", "afterjids", "tier", "projects", "service", "tags", "atleast", "atmost", "envkey", "dirmap",
            "numtasks", "numblocked", "numready", "numactive", "numerror", "numdone", "lockedby", "crews", "editpolicy", "metadata"];
        string[] commandColumns = ["tags", "atleast", "atmost", "envkey", "cmd_id", "refersto", "msg", "metadata", "samehost"];
        string[] usageColumns = ["elapsedreal", "elapsedapp", "elapsedsys", "rss", "vsz", "clockskew", "argv"];
        Assert.Single(before["commands"], r => r.Contains("cmd_id=f1render", StringComparison.Ordinal));
        Assert.Single(before["commands"], r => r.Contains("refersto=f1render", StringComparison.Ordinal));
        Assert.Single(before["commands"], r => r.Contains("samehost=1", StringComparison.Ordinal));
        Assert.Contains("rss=536870912", before["invocations"][0]);
        Assert.Contains("argv=[\"render\",\"/net/x/a.rib\"]", before["invocations"][0]);
        // Runs a blade ended as it stopped are "interrupted" from version 6 on; an older build reads them as "blade restarted".
        Assert.Contains("status=interrupted", before["invocations"][1]);
        var olderInvocations = before["invocations"].Select(r => r.Replace("status=interrupted", "status=blade restarted", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, await store.MigrateToAsync(3, none));

        Assert.Equal(3, await store.SchemaVersionAsync(none));
        Assert.Equal(Without(before["jobs"], [.. jobColumns, "spec"]), Without(await RowsAsync(connection, "jobs"), ["spec"]));
        Assert.Equal([TestJobs.Shot, "\n  {\"title\": \"small\"}", TestJobs.Small], await JobStoreContractTests.RawStringsAsync(connection, "SELECT spec FROM jobs ORDER BY jid"));
        Assert.Equal(Without(before["blades"], ["nimby"]), await RowsAsync(connection, "blades"));
        Assert.Equal(Without(before["commands"], commandColumns), await RowsAsync(connection, "commands"));
        // Version 5's progress goes on the way down too; no task had any. The job cleanup task is an Instance of the top
        // tasks again, which is how versions before 16 make it wait for them.
        Assert.Equal(WithCleanupInstances(Without(before["tasks"], ["progress", "metadata", "preview", "chaser"])), await RowsAsync(connection, "tasks"));
        Assert.Equal(Without(olderInvocations, usageColumns), await RowsAsync(connection, "invocations"));
        foreach (var table in tables.Except(["jobs", "blades", "commands", "tasks", "invocations", "job_scripts"]))
            Assert.Equal(before[table], await RowsAsync(connection, table));

        Assert.Equal(MigrationCatalog.LatestVersion, await store.MigrateAsync(none));

        Assert.Equal(MigrationCatalog.LatestVersion, await store.SchemaVersionAsync(none));
        var defaults = new Dictionary<string, string>
        {
            ["aftertime"] = "NULL", ["maxactive"] = "NULL", ["afterjids"] = "[]", ["tier"] = "NULL", ["projects"] = "[]", ["service"] = "NULL", ["tags"] = "[]",
            ["atleast"] = "NULL", ["atmost"] = "NULL", ["envkey"] = "[]", ["dirmap"] = "[]", ["lockedby"] = "NULL", ["crews"] = "[]", ["editpolicy"] = "NULL", ["metadata"] = "NULL",
        };
        Assert.Equal(WithValues(before["jobs"], defaults), await RowsAsync(connection, "jobs"));
        Assert.Equal(WithValues(before["blades"], new() { ["nimby"] = "0" }), await RowsAsync(connection, "blades"));
        Assert.Equal(WithValues(before["commands"], new() { ["tags"] = "[]", ["atleast"] = "NULL", ["atmost"] = "NULL", ["envkey"] = "[]", ["cmd_id"] = "NULL", ["refersto"] = "NULL", ["msg"] = "NULL", ["metadata"] = "NULL", ["samehost"] = "0" }),
            await RowsAsync(connection, "commands"));
        Assert.Equal(WithValues(olderInvocations, usageColumns.ToDictionary(c => c, _ => "NULL")), await RowsAsync(connection, "invocations"));
        foreach (var table in tables.Except(["jobs", "blades", "commands", "invocations"]))
            Assert.Equal(before[table], await RowsAsync(connection, table));

        var jobsAfter = await store.ListJobsAsync(includeDeleted: true, none);
        Assert.Equal(jobsBefore.Count, jobsAfter.Count);
        foreach (var (job, after) in jobsBefore.Zip(jobsAfter))
            TestJobs.AssertSameJob(job with { AfterTimeMs = null, MaxActive = null, AfterJids = [], Tier = null, Projects = [], Service = null, Tags = [], AtLeast = null, AtMost = null, EnvKey = [], DirMaps = [], LockedBy = null, Crews = [], EditPolicy = null }, after);
        var liveJobs = new List<UnfinishedJob>();
        var live = await store.LoadLiveStateAsync(liveJobs.Add, none);
        Assert.Equal([1L, 2], liveJobs.Select(j => j.Job.Jid));
        Assert.Empty(live.Blocklist);
        Assert.Equal(("gpu", false), (live.Blades.Single().Profile, live.Blades.Single().Nimby));

        // The latest version works again: its new columns and table take writes.
        await store.CommitAsync(WithTier(TestJobs.Insert(4), "late"), new SetBlocklist(4, "blade-a", 1), new SetBladeNimby("blade-a", true));
        liveJobs.Clear();
        live = await store.LoadLiveStateAsync(liveJobs.Add, none);
        Assert.Equal("late", liveJobs.Single(j => j.Job.Jid == 4).Job.Tier);
        Assert.Equal([new BlocklistEntry(4, "blade-a", 1)], live.Blocklist);
        Assert.True(live.Blades.Single().Nimby);

        static InsertJob WithTier(InsertJob insert, string tier) => insert with { Job = insert.Job with { Tier = tier } };
    }

    [Fact]
    public async Task MigrateToAsync_DownToFourAndBack_KeepsEveryRow_AndProgressComesBackEmpty()
    {
        await using var temp = new TempStore();
        await DownToFourAndBackAsync(temp);
    }

    /// <summary>
    /// The latest version down to 4 and up again: every row comes through, the tasks' progress comes back null (none
    /// reported), and progress is taken again; the commands' id and refersto (version 16) come back null, their samehost
    /// (version 17) 0.
    /// </summary>
    internal static async Task DownToFourAndBackAsync(ITestStore temp)
    {
        var none = CancellationToken.None;
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot), TestJobs.Insert(2));
        await store.CommitAsync(new SetTaskProgress(1, 2, 45), new SetTaskProgress(2, 1, 100), new SetTaskState(1, 2, TaskState.Active, 10));
        var tasks = await store.ListTasksAsync(1, none);
        Assert.Equal((45, null), (tasks.Single(t => t.Tid == 2).Progress, tasks.Single(t => t.Tid == 1).Progress));
        await using var connection = await temp.OpenRawConnectionAsync();
        string[] tables = ["jobs", "tasks", "commands", "invocations", "blades", "params"];
        var before = new Dictionary<string, List<string>>();
        foreach (var table in tables)
            before[table] = await RowsAsync(connection, table);

        Assert.Equal(4, await store.MigrateToAsync(4, none));

        Assert.Equal(WithCleanupInstances(Without(before["tasks"], ["progress", "metadata", "preview", "chaser"])), await RowsAsync(connection, "tasks"));
        // On the way up, version 18 clears that list again, as it does for jobs spooled before 16.
        Assert.Equal(MigrationCatalog.LatestVersion, await store.MigrateAsync(none));
        Assert.Equal(WithValues(before["tasks"], new() { ["progress"] = "NULL", ["metadata"] = "NULL", ["preview"] = "[]", ["chaser"] = "[]" }),
            await RowsAsync(connection, "tasks"));
        Assert.Equal(WithValues(before["commands"], new() { ["cmd_id"] = "NULL", ["refersto"] = "NULL", ["msg"] = "NULL", ["metadata"] = "NULL", ["samehost"] = "0" }),
            await RowsAsync(connection, "commands"));
        foreach (var table in tables.Except(["tasks", "commands"]))
            Assert.Equal(before[table], await RowsAsync(connection, table));
        Assert.All(await store.ListTasksAsync(null, none), t => Assert.Null(t.Progress));

        await store.CommitAsync(new SetTaskProgress(1, 2, 72));
        Assert.Equal(72, (await store.ListTasksAsync(1, none)).Single(t => t.Tid == 2).Progress);
    }

    /// <summary>
    /// The task rows as a version before 16 keeps them: the job cleanup task of TestJobs.Shot (job 1, task 5) an Instance
    /// of the job's top tasks, 1 and 4.
    /// </summary>
    private static List<string> WithCleanupInstances(List<string> rows) =>
        [.. rows.Select(row => row.StartsWith("jid=1 | tid=5 | parent_tid=0 | title=job cleanup |", StringComparison.Ordinal)
            ? row.Replace("instance_of=[]", "instance_of=[1,4]", StringComparison.Ordinal) : row)];

    /// <summary>Every row of a table, in primary-key order, as "column=value" cells (NULL for null).</summary>
    private static async Task<List<string>> RowsAsync(System.Data.Common.DbConnection connection, string table)
    {
        var order = table switch
        {
            "jobs" or "job_scripts" => "jid", "tasks" => "jid, tid", "commands" => "jid, cid", "invocations" => "iid", _ => "name",
        };
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table} ORDER BY {order}";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i =>
                reader.GetName(i) + "=" + (reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)))));
        return rows;
    }

    private static List<string> Without(List<string> rows, string[] columns) =>
        [.. rows.Select(row => string.Join(" | ", row.Split(" | ").Where(cell => !columns.Contains(cell[..cell.IndexOf('=')]))))];

    private static List<string> WithValues(List<string> rows, Dictionary<string, string> values) =>
        [.. rows.Select(row => string.Join(" | ", row.Split(" | ").Select(cell =>
            values.TryGetValue(cell[..cell.IndexOf('=')], out var value) ? cell[..(cell.IndexOf('=') + 1)] + value : cell)))];

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
