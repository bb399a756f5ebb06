using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>A managed PostgreSQL job database, looked after with Tractor's tractor-dbctl verbs, as the seed page describes.</summary>
public sealed class PostgresSiteTests
{
    [Fact]
    public async Task ManagedCluster_StartsStopsAndReports_AndTheEngineShutsItDownUnlessDBShutdownIsFalse()
    {
        await using var site = new TestSite();
        var dbPort = LoopbackPorts.Next();
        site.UsePostgres(dbPort);

        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--status");
        Assert.True(code == 0, stderr);
        Assert.Contains("no cluster yet", stdout);
        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--start-for-engine");
        Assert.True(code == 0, stderr);
        Assert.Contains($"started: PostgreSQL cluster {Path.Combine(site.DataDir, "psql")} on 127.0.0.1:{dbPort}", stdout);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--status");
        Assert.Contains("state: running", stdout);

        await site.StartEngineAsync();
        await site.StartBladeAsync("pg-blade");
        var jid = await site.SpoolAsync("Job -title {on postgres} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {stored in postgresql}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await site.EngineProcess!.TerminateAsync();
        (code, stdout, _) = await Shims.DbctlAsync(site, "--status");
        Assert.Contains("state: stopped", stdout); // DBShutdown defaults to true, as in Tractor

        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--start");
        Assert.True(code == 0, stderr);
        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--show-params");
        Assert.True(code == 0, stderr);
        Assert.Contains("last used job id: 1", stdout);
        Assert.Contains("provider: postgresql", stdout);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--set-job-counter", "0");
        Assert.Equal(1, code);
        Assert.Contains("job 1 exists", stderr);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--stop");
        Assert.Contains("stopped", stdout);

        site.UsePostgres(dbPort, shutdownWithEngine: false);
        await site.StartEngineAsync(); // starts the stopped cluster itself
        Assert.Equal(jid, (await site.Client.JobsAsync(archived: true)).Single().Jid);
        await site.EngineProcess!.TerminateAsync();
        (code, stdout, _) = await Shims.DbctlAsync(site, "--status");
        Assert.Contains("state: running", stdout); // DBShutdown false keeps the server up
        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--backup", Path.Combine(site.Root, "pg.tar.gz"));
        Assert.True(code == 0, stderr); // pg_dump of the running cluster
        Assert.Contains($"last job id {jid}", stdout);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ManagedCluster_UnderADirectoryOnlyRootMayEnter_IsRefusedBeforeInitdb_WithThePathAndTheFix()
    {
        await using var site = new TestSite();
        var dbPort = LoopbackPorts.Next();
        site.UsePostgres(dbPort);
        // A site under a directory made by `mktemp -d` (mode 0700), as root.
        var locked = Directory.CreateDirectory(Path.Combine(site.Root, "locked")).FullName;
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var cluster = Path.Combine(locked, "site", "psql");
        File.WriteAllText(Path.Combine(site.ConfigDir, "db.config"), $$"""
            { "DBProvider": "postgresql", "DBPort": {{dbPort}}, "DBDataDir": "{{cluster}}" }
            """);

        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--start-for-engine");
        if (Environment.UserName == "root")
        {
            // The cluster runs as the postgres user, which cannot get through the locked directory.
            Assert.True(code != 0, stdout);
            Assert.Contains($"which cannot enter {locked} (mode 0700)", stderr);
            Assert.Contains($"setfacl -m u:postgres:x {locked}", stderr);
            Assert.Contains("DBDataDir", stderr);
            Assert.False(File.Exists(Path.Combine(cluster, "PG_VERSION")), "refused before initdb");
            // The engine says the same and does not start.
            var (engineCode, engineOut, engineErr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
            Assert.True(engineCode != 0, engineOut);
            Assert.Contains($"which cannot enter {locked}", engineOut + engineErr);

            // The fix the message gives works.
            File.SetUnixFileMode(locked, File.GetUnixFileMode(locked) | UnixFileMode.OtherExecute);
            (code, stdout, stderr) = await Shims.DbctlAsync(site, "--start-for-engine");
        }
        Assert.True(code == 0, stderr);
        Assert.Contains($"started: PostgreSQL cluster {cluster} on 127.0.0.1:{dbPort}", stdout);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--stop");
        Assert.True(code == 0, stdout);
    }

    [Fact]
    public async Task Backup_OfAStoppedCluster_Works_AndBadArchivesAreRefusedWithTheDatabaseUntouched()
    {
        await using var site = new TestSite();
        site.UsePostgres(LoopbackPorts.Next());
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {precious} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        await site.EngineProcess!.TerminateAsync(); // stops the cluster too (DBShutdown defaults to true)

        var good = Path.Combine(site.Root, "offline.tar.gz");
        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--backup", good);
        Assert.True(code == 0, stderr);
        Assert.Contains($"last job id {jid}", stdout);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--status");
        Assert.Contains("state: stopped", stdout); // started only for the dump, stopped again

        var bytes = await File.ReadAllBytesAsync(good);
        var truncated = Path.Combine(site.Root, "truncated.tar.gz");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);
        var sqliteSite = new TestSite();
        await using (sqliteSite)
        {
            await sqliteSite.StartEngineAsync();
            await sqliteSite.SpoolAsync("Job -title {other provider} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
            var foreign = Path.Combine(site.Root, "sqlite.tar.gz");
            (code, _, stderr) = await Shims.DbctlAsync(sqliteSite, "--backup", foreign);
            Assert.True(code == 0, stderr);

            (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", truncated);
            Assert.Equal(1, code);
            Assert.Contains("truncated or corrupt", stderr);
            (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", foreign);
            Assert.Equal(1, code);
            Assert.Contains("cannot be restored into a postgresql site", stderr);
        }

        await site.StartEngineAsync();
        Assert.Equal([jid], (await site.Client.JobsAsync(archived: true)).Select(j => j.Jid));
    }

    [Fact]
    public async Task ExternalServer_IsUsedButNeverStartedOrStopped_AndItsPasswordNeverShows()
    {
        // Some other site's managed cluster stands in for a server the studio already runs.
        await using var owner = new TestSite();
        var port = LoopbackPorts.Next();
        owner.UsePostgres(port);
        var (code, _, stderr) = await Shims.DbctlAsync(owner, "--start");
        Assert.True(code == 0, stderr);
        await using (var admin = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=furrow;Database=postgres;Pooling=false"))
        {
            await admin.OpenAsync();
            await using var create = admin.CreateCommand();
            create.CommandText = "CREATE DATABASE studio_jobs";
            await create.ExecuteNonQueryAsync();
        }

        await using var site = new TestSite();
        const string secret = "s3cret-never-printed";
        var passwordFile = Path.Combine(site.Root, "db.password");
        await File.WriteAllTextAsync(passwordFile, secret + "\n");
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "db.config"), $$"""
            { "DBProvider": "postgresql", "DBMode": "external",
              "DBConnection": "Host=127.0.0.1;Port={{port}};Username=furrow;Database=studio_jobs", "DBPasswordFile": "{{passwordFile}}" }
            """);

        (code, var stdout, stderr) = await Shims.DbctlAsync(site, "--start");
        Assert.True(code == 0, stderr);
        Assert.Contains("not Furrow's to start", stdout);
        var engine = await site.StartEngineAsync();
        await site.StartBladeAsync("external");
        var jid = await site.SpoolAsync("Job -title {external} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {stored elsewhere}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await engine.TerminateAsync();

        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--status");
        Assert.True(code == 0, stderr);
        Assert.Contains("external (not Furrow's to start or stop)", stdout);
        Assert.Contains("state: running", stdout); // the engine's shutdown left the external server alone
        Assert.Contains("jobs: 1", stdout);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--stop");
        Assert.Contains("not Furrow's to stop", stdout);
        Assert.DoesNotContain(secret, engine.Output + stdout + stderr);
        await Shims.DbctlAsync(owner, "--stop");
    }
}
