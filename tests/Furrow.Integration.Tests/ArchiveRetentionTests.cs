using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>tractor.config's ArchiveRetentionDays: a deleted job is purged with its logs once it is older; nothing else is.</summary>
public sealed class ArchiveRetentionTests
{
    [Fact]
    public async Task ADeletedJobPastTheRetention_IsPurgedWithItsLogs_AndAKeptJobIsNot()
    {
        await using var site = new TestSite();
        // Two seconds, in days.
        await site.AddEngineSettingsAsync("\"ArchiveRetentionDays\": 0.0000231");
        await site.StartEngineAsync();
        await site.StartBladeAsync("worker");
        var gone = await site.SpoolAsync("Job -title {goes} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {purge me}} } }");
        var kept = await site.SpoolAsync("Job -title {stays} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {keep me}} } }");
        await site.WaitForJobAsync(gone, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await site.WaitForJobAsync(kept, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        Assert.True(File.Exists(site.LogPath("tester", gone, 1)));

        var (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "--user", "tester", "delete", $"jid={gone}");
        Assert.True(code == 0, stderr);
        Assert.Single(await site.Client.JobsAsync($"jid={gone}", archived: true));

        // The purger deletes the rows, then the logs: wait for both.
        await Eventually.WaitUntilAsync(async () => (await site.Client.JobsAsync($"jid={gone}", archived: true)).Count == 0
            && !Directory.Exists(Path.GetDirectoryName(site.LogPath("tester", gone, 1))), TimeSpan.FromSeconds(30),
            () => "the deleted job and its logs to be purged");
        Assert.Empty(await site.Client.TasksAsync($"jid={gone}", null, new Client.ListOptions(Archived: true)));
        Assert.Empty(await site.Client.InvocationsAsync($"jid={gone}", null, new Client.ListOptions(Archived: true)));
        Assert.Contains("keep me", await site.Client.TaskLogAsync(kept, 1));
        Assert.Single(await site.Client.JobsAsync($"jid={kept}"));
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("1e9")]
    public async Task ARetentionOutOfRange_StopsTheEngine_NamingTheSetting(string days)
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync($"\"ArchiveRetentionDays\": {days}");

        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.NotEqual(0, code);
        Assert.Contains("tractor.config:2:29: ArchiveRetentionDays ", stderr);
        Assert.Contains(": expected 0 (keep deleted jobs forever) or a number of days up to 100000", stderr);
    }
}
