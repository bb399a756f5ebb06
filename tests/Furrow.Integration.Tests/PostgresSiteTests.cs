using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>A managed PostgreSQL job database, looked after with Tractor's tractor-dbctl verbs, as the seed page describes.</summary>
public sealed class PostgresSiteTests
{
    private static Task<(int ExitCode, string Stdout, string Stderr)> Dbctl(TestSite site, params string[] args) =>
        Shims.RunAsync("tractor-dbctl", null, ["--configdir", site.ConfigDir, .. args]);

    [Fact]
    public async Task ManagedCluster_StartsStopsAndReports_AndTheEngineShutsItDownUnlessDBShutdownIsFalse()
    {
        await using var site = new TestSite();
        var dbPort = TestSite.FreePort();
        site.UsePostgres(dbPort);

        var (code, stdout, stderr) = await Dbctl(site, "--status");
        Assert.True(code == 0, stderr);
        Assert.Contains("no cluster yet", stdout);
        (code, stdout, stderr) = await Dbctl(site, "--start-for-engine");
        Assert.True(code == 0, stderr);
        Assert.Contains($"started: PostgreSQL cluster {Path.Combine(site.DataDir, "psql")} on 127.0.0.1:{dbPort}", stdout);
        (code, stdout, _) = await Dbctl(site, "--status");
        Assert.Contains("state: running", stdout);

        await site.StartEngineAsync();
        await site.StartBladeAsync("pg-blade");
        var jid = await site.SpoolAsync("Job -title {on postgres} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {stored in postgresql}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await site.EngineProcess!.TerminateAsync();
        (code, stdout, _) = await Dbctl(site, "--status");
        Assert.Contains("state: stopped", stdout); // DBShutdown defaults to true, as in Tractor

        (code, stdout, stderr) = await Dbctl(site, "--start");
        Assert.True(code == 0, stderr);
        (code, stdout, stderr) = await Dbctl(site, "--show-params");
        Assert.True(code == 0, stderr);
        Assert.Contains("last used job id: 1", stdout);
        Assert.Contains("provider: postgresql", stdout);
        (code, _, stderr) = await Dbctl(site, "--set-job-counter", "0");
        Assert.Equal(1, code);
        Assert.Contains("job 1 exists", stderr);
        (code, stdout, _) = await Dbctl(site, "--stop");
        Assert.Contains("stopped", stdout);

        site.UsePostgres(dbPort, shutdownWithEngine: false);
        await site.StartEngineAsync(); // starts the stopped cluster itself
        Assert.Equal(jid, (await site.Client.JobsAsync(archived: true)).Single().Jid);
        await site.EngineProcess!.TerminateAsync();
        (code, stdout, _) = await Dbctl(site, "--status");
        Assert.Contains("state: running", stdout); // DBShutdown false keeps the server up
        (code, stdout, _) = await Dbctl(site, "--backup", Path.Combine(site.Root, "pg.tar.gz"));
        Assert.Equal(1, code);
    }
}
