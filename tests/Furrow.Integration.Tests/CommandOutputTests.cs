using System.Globalization;
using System.Text;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>What commands print, end to end on real blades: logs kept byte for byte, and the output directives for progress.</summary>
public sealed class CommandOutputTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task OutputThatIsNotUtf8_IsLoggedAndPrintedByTqLog_ByteForByte_AndTheApiSaysWhichEncodingItDecodedWith()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        // Latin-1 (or cp1251) bytes, with 0xff that is not text in UTF-8 at all, then a line of UTF-8.
        byte[] printed = [0xe9, 0xff, (byte)' ', (byte)'c', (byte)'a', (byte)'f', 0xe9, (byte)'\n', .. "naïve\n"u8];

        var jid = await site.SpoolAsync("""
            Job -title {bytes} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {printf '\351\377 caf\351\n'; printf 'na\303\257ve\n'}} } }
            """);
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");

        var onDisk = await File.ReadAllBytesAsync(site.LogPath("tester", jid, 1));
        var header = Array.IndexOf(onDisk, (byte)'\n') + 1;
        Assert.StartsWith("====[", Encoding.UTF8.GetString(onDisk, 0, header));
        Assert.Equal([.. printed, .. "====[exit code 0]====\n"u8], onDisk[header..]);

        var (code, stdout, stderr) = await Shims.RunBytesAsync("tq", "--engine", site.Engine, "log", jid.ToString(CultureInfo.InvariantCulture), "1");
        Assert.True(code == 0, stderr);
        Assert.Equal(onDisk, stdout);

        var utf8 = await site.Client.TaskLogTextAsync(jid, 1);
        Assert.Equal(("utf-8", onDisk.Length, false), (utf8.Encoding, (int)utf8.Bytes, utf8.Lossless));
        Assert.Contains("\uFFFD\uFFFD caf\uFFFD\nnaïve\n====[exit code 0]", utf8.Text);
        var latin1 = await site.Client.TaskLogTextAsync(jid, 1, "latin1");
        Assert.Equal(("iso-8859-1", true), (latin1.Encoding, latin1.Lossless));
        Assert.Contains("éÿ café\nna\u00c3\u00afve\n", latin1.Text);
        var cyrillic = await site.Client.TaskLogTextAsync(jid, 1, "windows-1251");
        Assert.Equal("windows-1251", cyrillic.Encoding);
        Assert.Contains("йя cafй\n", cyrillic.Text);
        (code, var json, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "--json", "log", jid.ToString(CultureInfo.InvariantCulture), "1",
            "--encoding", "windows-1251");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"encoding\":\"windows-1251\"", json);
        var unknown = await Assert.ThrowsAsync<Client.EngineException>(() => site.Client.TaskLogTextAsync(jid, 1, "no-such-encoding"));
        Assert.Contains("unknown encoding 'no-such-encoding'", unknown.Message);
    }

    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ProgressDirectives_SplitAcrossWritesAndEndedByCarriageReturns_SetTheTaskProgress_ShownByTheApiAndTqTasks()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);
        var gate = Path.Combine(site.Root, "gate");
        // prman's progress on stderr, cut in the middle of its number; then Tractor's own, cut in its keyword, on stdout.
        // The command waits at each gate, so the test reads each value while the task still runs.
        var jid = await site.SpoolAsync($$$"""
            Job -title {progress} -subtasks { Task {render} -cmds { RemoteCmd {sh -c {
                printf 'R90000  4' >&2; sleep 0.2; printf '5%%\r' >&2;
                while [ ! -e {{{gate}}}1 ]; do sleep 0.05; done;
                printf 'frame 1 done\nTR_PROG'; sleep 0.2; printf 'RESS 72%%\n'; printf 'TR_PROGRESS 180%%\nR90000 x%%\r';
                while [ ! -e {{{gate}}}2 ]; do sleep 0.05; done }} } }
            """);

        await WaitForProgressAsync(site, jid, 45);
        await File.WriteAllTextAsync(gate + "1", "");
        await WaitForProgressAsync(site, jid, 72);

        var task = (await site.Client.TasksAsync($"jid={jid}")).Single();
        Assert.Equal(("active", 72), (task.State, task.Progress));
        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "tasks", $"jid={jid}");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var columns = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("72", lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[Array.IndexOf(columns, "progress")]);
        Assert.Single(await site.Client.TasksAsync($"jid={jid} and progress > 50"));
        Assert.Empty(await site.Client.TasksAsync($"jid={jid} and progress > 72"));

        await File.WriteAllTextAsync(gate + "2", "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        Assert.Equal(100, (await site.Client.TasksAsync($"jid={jid}")).Single().Progress);
        // The directives stay in the log as the command printed them.
        Assert.Contains("R90000  45%\rframe 1 done\nTR_PROGRESS 72%\n", await site.Client.TaskLogAsync(jid, 1));
    }

    [Fact]
    public async Task AnExpandCommandsDirectiveLines_AreNotReadAsScript_AndItsTasksJoinTheJob()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("b1", slots: 1);

        var jid = await site.SpoolAsync("""
            Job -title {expand} -subtasks { Task {gen} -cmds { RemoteCmd {sh -c {
                printf 'TR_PROGRESS 50%%\nTask {child} -cmds {RemoteCmd {true}}\r\nR90000 100%%\rTR_EXIT_STATUS 0\n'}} -expand 1 } }
            """);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done with its expanded task");

        Assert.Equal(["child", "gen"], (await site.Client.TasksAsync($"jid={jid}")).Select(t => t.Title).Order());
    }

    private static Task WaitForProgressAsync(TestSite site, long jid, int progress) =>
        Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={jid}")).Single().Progress == progress,
            TimeSpan.FromSeconds(30), () => $"J{jid} T1 progress {progress}");
}
