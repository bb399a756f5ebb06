using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>The PostgreSQL server dies under a running engine: nothing acknowledged is lost, and work goes on when it is back.</summary>
public sealed class PostgresFaultTests
{
    [Fact]
    public async Task PostmasterKilled_WhileACommandRuns_HoldsThenRefusesWrites_AndLosesNothingOnceTheServerIsBack()
    {
        await using var site = new TestSite();
        site.UsePostgres(LoopbackPorts.Next());
        await site.StartEngineAsync();
        await site.StartBladeAsync("survivor", slots: 1);
        var jid = await site.SpoolAsync("""
            Job -title {outlives the database} -subtasks {
                Task {long} -cmds { RemoteCmd {sh -c "echo before; sleep 3; echo after; exit 4"} }
            }
            """);
        await Eventually.WaitUntilAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).Any(i => i.StartTime is not null),
            TimeSpan.FromSeconds(30), () => "the command to start");

        var postmasterPid = int.Parse(File.ReadLines(Path.Combine(site.DataDir, "psql", "postmaster.pid")).First());
        var clusterDir = Path.GetFullPath(Path.Combine(site.DataDir, "psql"));
        await ProgramRun.RequireAsync("killing the postmaster", "kill", "-9", postmasterPid.ToString());
        // A backend outlives its postmaster until it notices; until then the engine's pooled connection still works.
        await Eventually.WaitUntilAsync(() => Task.FromResult(!ServerProcessesIn(clusterDir).Any()),
            TimeSpan.FromSeconds(30), () => "the server's backends to exit after their postmaster");

        // While the server is gone a spool is held, then refused with a clear error; the command's exit arrives meanwhile.
        const string refusedJob = "Job -title {refused} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }";
        var first = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() => site.SpoolAsync(refusedJob));
        Assert.Equal(503, first.StatusCode);
        Assert.Contains("job database", first.Message);
        var held = await Assert.ThrowsAsync<Furrow.Client.EngineException>(() => site.SpoolAsync(refusedJob));
        Assert.Equal(503, held.StatusCode);
        Assert.Contains("unreachable", held.Message);

        var (code, _, stderr) = await Shims.DbctlAsync(site, "--start");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(60), "finished with the command's exit code");

        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal(4, run.ExitCode);
        var log = await File.ReadAllTextAsync(site.LogPath("tester", jid, 1));
        Assert.Contains("before\n", log);
        Assert.Contains("after\n", log);
        Assert.Equal([jid], (await site.Client.JobsAsync(archived: true)).Select(j => j.Jid));
        var later = await site.SpoolAsync("Job -title {after} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        await site.WaitForJobAsync(later, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done once the server is back");
    }

    /// <summary>The PIDs of processes whose working directory is the cluster's data directory (the postmaster's children).</summary>
    private static IEnumerable<int> ServerProcessesIn(string clusterDir)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string? cwd;
            try { cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).ResolveLinkTarget(returnFinalTarget: false)?.FullName; }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cwd is not null && Path.TrimEndingDirectorySeparator(cwd) == Path.TrimEndingDirectorySeparator(clusterDir)) yield return pid;
        }
    }
}
