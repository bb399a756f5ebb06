using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>PostgreSQL job databases under load and on a full disk.</summary>
public sealed class PostgresLoadTests
{
    [Fact]
    public async Task Backup_WhileSpoolingAndDispatching_RestoresEverythingCommittedBefore_WholeJobsOnly()
    {
        await using var site = new TestSite();
        site.UsePostgres(LoopbackPorts.Next());
        await site.StartEngineAsync();
        await site.StartBladeAsync("busy", slots: 4);
        const string job = "Job -title {load} -subtasks { Task {a} -cmds { RemoteCmd {{true}} }; Task {b} -cmds { RemoteCmd {{true}} }; " +
            "Task {c} -subtasks { Task {d} -cmds { RemoteCmd {{echo} {d}} } } -cmds { RemoteCmd {{true}} } }";
        await using var load = new SpoolLoad(site, job);
        await load.WaitForAsync(20);
        var before = load.Acknowledged;
        var archive = Path.Combine(site.Root, "online-pg.tar.gz");
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--backup", archive);
        await load.StopAsync();
        Assert.True(code == 0, stderr);
        Assert.True(load.Acknowledged.Length > before.Length, "spooling went on while the backup ran");

        await using var copy = new TestSite();
        copy.UsePostgres(LoopbackPorts.Next());
        (code, _, stderr) = await Shims.DbctlAsync(copy, "--restore", archive);
        Assert.True(code == 0, stderr);
        await copy.StartEngineAsync();
        var jobs = await copy.Client.JobsAsync(archived: true);
        Assert.All(before, jid => Assert.Contains(jobs, j => j.Jid == jid));
        Assert.All(jobs, j => Assert.Equal(4, j.NumTasks)); // every job whole: no half-written spool
        var next = await copy.SpoolAsync(job);
        Assert.Equal(jobs.Max(j => j.Jid) + 1, next); // ids resume after the backup's last one
    }

    [Fact]
    public async Task Spool_WhenTheClustersDiskIsFull_IsRefusedCleanly_AndWorksAgainOnceThereIsRoom()
    {
        await using var site = new TestSite();
        var mount = Path.Combine(site.Root, "pgdisk");
        Directory.CreateDirectory(mount);
        await ProgramRun.RequireAsync("this test needs root to mount a small tmpfs", "mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", mount);
        try
        {
            var port = LoopbackPorts.Next();
            site.UsePostgres(port);
            await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "db.config"),
                $$"""{ "DBProvider": "postgresql", "DBPort": {{port}}, "DBDataDir": "{{mount}}" }""");
            await site.StartEngineAsync();
            var kept = await site.SpoolAsync("Job -title {kept} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");

            var filler = await DiskFill.FillAsync(mount);
            var big = "Job -title {refused} -subtasks {\n" +
                string.Concat(Enumerable.Range(1, 3000).Select(i => $"Task {{t{i}}} -cmds {{ RemoteCmd {{{{echo}} {{{i} {new string('x', 200)}}}}} }}\n")) + "}";
            var refused = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() => site.SpoolAsync(big));
            Assert.Equal(503, refused.StatusCode);
            Assert.Contains("full", refused.Message);

            File.Delete(filler);
            var after = await Eventually.WaitForAsync<object>(async () =>
                await site.SpoolAsync("Job -title {after} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }"),
                TimeSpan.FromSeconds(60), () => "a spool to work again once there is room");
            var jobs = await site.Client.JobsAsync(archived: true);
            Assert.Contains(jobs, j => j.Jid == kept);
            Assert.DoesNotContain(jobs, j => j.Title == "refused");
            Assert.All(jobs, j => Assert.Equal(1, j.NumTasks));
            await site.EngineProcess!.TerminateAsync();
        }
        finally
        {
            await FurrowProcess.RunAsync("dbctl", "--configdir", site.ConfigDir, "--stop");
            await ProgramRun.RequireAsync("unmounting the test tmpfs", "umount", "-l", mount);
        }
    }
}
