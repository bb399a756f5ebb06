using Furrow.Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Furrow.Integration.Tests;

/// <summary>A backup taken while the engine spools and dispatches is a consistent copy of what was committed.</summary>
public sealed class OnlineBackupTests
{
    [Fact]
    public async Task Backup_WhileSpoolingAndDispatching_RestoresToAnIntactCopyOfEverythingCommittedBefore()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("busy", slots: 4);
        const string job = "Job -title {load} -subtasks { Task {a} -cmds { RemoteCmd {{true}} }; Task {b} -cmds { RemoteCmd {{true}} }; " +
            "Task {c} -subtasks { Task {d} -cmds { RemoteCmd {{echo} {d}} } } -cmds { RemoteCmd {{true}} } }";

        await using var load = new SpoolLoad(site, job);
        await load.WaitForAsync(30);

        var before = load.Acknowledged;
        var archive = Path.Combine(site.Root, "online.tar.gz");
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--backup", archive);
        await load.StopAsync();
        Assert.True(code == 0, stderr);
        Assert.True(load.Acknowledged.Length > before.Length, "spooling went on while the backup ran");

        await using var copy = new TestSite();
        (code, _, stderr) = await Shims.DbctlAsync(copy, "--restore", archive);
        Assert.True(code == 0, stderr);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(copy.DataDir, "db", "furrow.db")};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await command.ExecuteScalarAsync());
        command.CommandText = "SELECT jid, (SELECT COUNT(*) FROM tasks t WHERE t.jid = j.jid), (SELECT COUNT(*) FROM commands c WHERE c.jid = j.jid) FROM jobs j";
        var restored = new Dictionary<long, (long Tasks, long Commands)>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                restored[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        Assert.All(before, jid => Assert.True(restored.ContainsKey(jid), $"J{jid} was acknowledged before the backup began"));
        Assert.All(restored.Values, r => Assert.Equal((4L, 4L), r)); // every job whole: no half-written spool
        command.CommandText = "SELECT value FROM params WHERE name = 'jidcounter'";
        Assert.Equal(restored.Keys.Max().ToString(), await command.ExecuteScalarAsync());
    }
}
