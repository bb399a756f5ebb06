using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// `tractor-dbctl --move-to` between SQLite and a managed PostgreSQL cluster: every row copied and verified before
/// db.config switches, and a move killed halfway leaves the old store live. A class of its own so that it runs beside
/// <see cref="PostgresSiteTests"/>, each test making its clusters, rather than after them.
/// </summary>
public sealed class PostgresMoveTests
{
    [Fact]
    public async Task MoveTo_PostgresAndBack_CopiesEveryRow_VerifiesIt_AndOnlyThenSwitchesDbConfig()
    {
        await using var site = new TestSite();
        var dbPort = LoopbackPorts.Next();
        File.WriteAllText(Path.Combine(site.ConfigDir, "db.config"), $$"""{ "DBProvider": "sqlite", "DBPort": {{dbPort}} }""");
        await site.StartEngineAsync();
        await site.StartBladeAsync("mover");
        var ok = await site.SpoolAsync("Job -title {fine} -subtasks { Task {a} -cmds { RemoteCmd {{echo} {a}} }; Task {b} -cmds { RemoteCmd {{echo} {b}} } }");
        var bad = await site.SpoolAsync("""Job -title {broken} -subtasks { Task {x} -cmds { RemoteCmd {sh -c "exit 2"} } }""");
        await site.WaitForJobAsync(ok, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done");
        await site.WaitForJobAsync(bad, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error");
        var before = await SnapshotAsync(site);
        await site.EngineProcess!.TerminateAsync();

        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--move-to", "postgresql");
        Assert.True(code == 0, stderr);
        Assert.Contains("invocations: 3 rows", stdout);
        Assert.Contains("\"DBProvider\": \"postgresql\"", await File.ReadAllTextAsync(Path.Combine(site.ConfigDir, "db.config")));
        site.UsePostgres(dbPort); // the same settings, so the test stops the cluster when it ends

        await site.StartEngineAsync();
        Assert.Equal(before, await SnapshotAsync(site));
        var third = await site.SpoolAsync("Job -title {after the move} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {moved}} } }");
        Assert.Equal(bad + 1, third);
        await site.WaitForJobAsync(third, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done on postgresql");
        var onPostgres = await SnapshotAsync(site);
        await site.EngineProcess!.TerminateAsync();

        // The old SQLite file still holds the first two jobs: moving back into it is refused and nothing switches.
        (code, _, stderr) = await Shims.DbctlAsync(site, "--move-to", "sqlite");
        Assert.Equal(1, code);
        Assert.Contains("already holds jobs", stderr);
        Assert.Contains("\"DBProvider\": \"postgresql\"", await File.ReadAllTextAsync(Path.Combine(site.ConfigDir, "db.config")));

        Directory.Delete(Path.Combine(site.DataDir, "db"), recursive: true);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--move-to", "sqlite");
        Assert.True(code == 0, stderr);
        await site.StartEngineAsync();
        Assert.Equal(onPostgres, await SnapshotAsync(site));
        Assert.True(File.Exists(Path.Combine(site.DataDir, "db", "furrow.db")));
    }

    [Fact]
    public async Task MoveTo_KilledHalfway_LeavesTheOldStoreLive_AndTheTargetEmpty()
    {
        await using var site = new TestSite();
        var dbPort = LoopbackPorts.Next();
        File.WriteAllText(Path.Combine(site.ConfigDir, "db.config"), $$"""{ "DBProvider": "sqlite", "DBPort": {{dbPort}} }""");
        await site.StartEngineAsync();
        var wide = "Job -title {wide} -subtasks {\n" + string.Concat(Enumerable.Range(1, 400).Select(i => $"Task {{t{i}}} -cmds {{ RemoteCmd {{{{true}}}} }}\n")) + "}";
        for (var j = 0; j < 50; j++)
            await site.SpoolAsync(wide);
        var before = await SnapshotAsync(site);
        await site.EngineProcess!.TerminateAsync();

        await using var move = FurrowProcess.Start("dbctl", "--configdir", site.ConfigDir, "--move-to", "postgresql");
        // Wait until rows are going into the target, then kill the move as a crash would.
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                await using var probe = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={dbPort};Username=furrow;Database=postgres;Pooling=false");
                await probe.OpenAsync();
                await using var command = probe.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'furrow' AND query LIKE 'INSERT INTO tasks%'";
                return (long)(await command.ExecuteScalarAsync())! > 0;
            }
            catch (Npgsql.NpgsqlException)
            {
                return false; // the cluster is still being made
            }
        }, TimeSpan.FromSeconds(60), () => "the move to start copying tasks; its output:\n" + move.Output);
        move.KillHard();

        Assert.Contains("\"DBProvider\": \"sqlite\"", await File.ReadAllTextAsync(Path.Combine(site.ConfigDir, "db.config")));
        await site.StartEngineAsync();
        Assert.Equal(before, await SnapshotAsync(site));
        await using var target = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={dbPort};Username=furrow;Database=furrow;Pooling=false");
        await target.OpenAsync();
        await using var count = target.CreateCommand();
        count.CommandText = "SELECT (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM tasks)";
        Assert.Equal(0L, await count.ExecuteScalarAsync()); // the half-done copy was never committed

        // The cluster the interrupted move made is still up: stop it through a db.config that names it.
        await site.EngineProcess!.TerminateAsync();
        site.UsePostgres(dbPort);
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--stop");
        Assert.True(code == 0, stderr);
    }

    // Every row the API shows, as JSON (so list columns such as argv are compared by content).
    private static async Task<string> SnapshotAsync(TestSite site)
    {
        var json = Furrow.Client.Protocol.FurrowJsonContext.Default;
        return string.Join("\n",
            System.Text.Json.JsonSerializer.Serialize(await site.Client.JobsAsync(archived: true), json.ListJobRow),
            System.Text.Json.JsonSerializer.Serialize((await site.Client.TasksAsync()).Select(t => t with { HasLog = false }).ToList(), json.ListTaskRow),
            System.Text.Json.JsonSerializer.Serialize(await site.Client.CommandsAsync(), json.ListCommandRow),
            System.Text.Json.JsonSerializer.Serialize(await site.Client.InvocationsAsync(), json.ListInvocationRow));
    }
}
