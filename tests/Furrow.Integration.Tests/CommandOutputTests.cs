using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Furrow.Client.Protocol;
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
        // The command waits at each gate, so the test reads each value while the task still runs. printf's "%%" is written
        // "%%%%" as in Tractor, whose command lines take "%%" for one "%".
        var jid = await site.SpoolAsync($$$"""
            Job -title {progress} -subtasks { Task {render} -cmds { RemoteCmd {sh -c {
                printf 'R90000  4' >&2; sleep 0.2; printf '5%%%%\r' >&2;
                while [ ! -e {{{gate}}}1 ]; do sleep 0.05; done;
                printf 'frame 1 done\nTR_PROG'; sleep 0.2; printf 'RESS 72%%%%\n'; printf 'TR_PROGRESS 180%%%%\nR90000 x%%%%\r';
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
                printf 'TR_PROGRESS 50%%%%\nTask {child} -cmds {RemoteCmd {true}}\r\nR90000 100%%%%\rTR_EXIT_STATUS 0\n'}} -expand 1 } }
            """);
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done with its expanded task");

        Assert.Equal(["child", "gen"], (await site.Client.TasksAsync($"jid={jid}")).Select(t => t.Title).Order());
    }

    private static Task WaitForProgressAsync(TestSite site, long jid, int progress) =>
        Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={jid}")).Single().Progress == progress,
            TimeSpan.FromSeconds(30), () => $"J{jid} T1 progress {progress}");

    [Fact]
    public async Task ManyBladesReportingMuchOutputAtOnce_SizedOrChunked_AreAllTaken_AndEachLogHoldsItsBytesInOrder()
    {
        // More reports over the engine's size threshold than it processes at once: the rest wait, none is refused.
        const int Blades = 40, Chunks = 20, ChunkBytes = 16 * 1024;
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {chatty} -subtasks {\n" + string.Concat(Enumerable.Range(1, Blades).Select(i => $"Task {{t{i}}} -cmds {{ RemoteCmd {{true}} }}\n")) + "}\n");
        using var raw = await site.HttpAsync();
        var assignments = new List<(string Name, string Boot, Assignment Work)>();
        for (var b = 0; b < Blades; b++)
        {
            var name = $"chatty-{b:D2}";
            var boot = Guid.NewGuid().ToString("N");
            await site.Client.RegisterBladeAsync(new BladeRegistration(name, name, 1, "test", boot, 1));
            assignments.Add((name, boot, Assert.Single((await site.Client.PollWorkAsync(name, new WorkRequest(boot, 1, 5000))).Assignments)));
        }

        byte[] ChunkOf(int blade, int chunk)
        {
            var data = new byte[ChunkBytes];
            Array.Fill(data, (byte)('A' + (blade + chunk) % 26));
            data[^1] = (byte)'\n';
            return data;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var replies = await Task.WhenAll(assignments.Select(async (a, b) =>
        {
            var iid = a.Work.Iid;
            List<InvocationEvent> events = [new(1, iid, InvocationEventTypes.Started, now, Pid: 1000 + b)];
            for (var c = 0; c < Chunks; c++)
                events.Add(new(2 + c, iid, InvocationEventTypes.Output, now, Offset: (long)c * ChunkBytes, Data: ChunkOf(b, c)));
            events.Add(new(2 + Chunks, iid, InvocationEventTypes.Exited, now + 1, ExitCode: 0));
            var report = new BladeReport(a.Boot, events, [], 1, SentMs: now + 1);
            if (b % 2 == 0)
                return await site.Client.ReportAsync(a.Name, report);
            // A body of no stated length (chunked), as another client may send it.
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/blades/{a.Name}/report")
            {
                Content = JsonContent.Create(report, FurrowJsonContext.Default.BladeReport),
            };
            request.Headers.Add(BladeCredentialHeaders.Key, site.Client.BladeKey(a.Name));
            using var response = await raw.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{a.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Null(response.RequestMessage!.Content!.Headers.ContentLength);
            return (await response.Content.ReadFromJsonAsync(FurrowJsonContext.Default.ReportReply))!;
        }));

        Assert.All(replies, r => Assert.Equal(2 + Chunks, r.AckedSeq));
        await site.WaitForJobAsync(jid, j => j.NumDone == Blades, TimeSpan.FromSeconds(30), "every task done");
        var tids = (await site.Client.InvocationsAsync($"jid={jid}")).ToDictionary(r => r.Iid, r => r.Tid);
        for (var b = 0; b < Blades; b++)
        {
            var log = await File.ReadAllBytesAsync(site.LogPath("tester", jid, tids[assignments[b].Work.Iid]));
            var start = Array.IndexOf(log, (byte)'\n') + 1; // after the header line
            byte[] expected = [.. Enumerable.Range(0, Chunks).SelectMany(c => ChunkOf(b, c))];
            Assert.True(log.AsSpan(start).StartsWith(expected), $"blade {b}'s output is not in its log whole and in order");
        }
    }
}
