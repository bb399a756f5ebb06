using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>The seed page's procedures, run verbatim through the Tractor-named shims.</summary>
public sealed class SeedPageTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task Downgrade_TheNineSteps_RestoreTheBackup_ResumeJobIds_AndNeverAppendToAReusedIdsLogs()
    {
        await using var site = new TestSite(bladeSilenceTimeoutSecs: 5);
        await site.StartEngineAsync();
        await site.StartBladeAsync("blade", slots: 2);
        var done = await site.SpoolAsync("Job -title {before backup} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {job one}} } }");
        await site.WaitForJobAsync(done, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        // Job two runs until the test lets it finish, so it is surely active when the backup is taken, however slow the machine.
        var gate = Path.Combine(site.Root, "job-two-may-finish");
        var active = await site.SpoolAsync($$"""Job -title {active at backup} -subtasks { Task {t} -cmds { RemoteCmd {sh -c "while [ ! -e {{gate}} ]; do sleep 0.1; done; echo job two finished"} } }""");
        await Eventually.WaitUntilAsync(async () => (await site.Client.TasksAsync($"jid={active}")).Single().State == "active",
            TimeSpan.FromSeconds(30), () => "job two to be active");

        // Backing up while the engine runs (Tractor needs it stopped; Furrow takes a consistent online snapshot).
        var backup = Path.Combine(site.Root, "before-upgrade.tar.gz");
        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--backup", backup);
        Assert.True(code == 0, stderr);
        Assert.Contains("last job id 2", stdout);

        var later = await site.SpoolAsync("Job -title {after backup} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {job three, gone after the restore}} } }");
        Assert.Equal(3, later);
        await site.WaitForJobAsync(later, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        Assert.True(File.Exists(site.LogPath("tester", 3, 1)));

        // 1. Pause dispatching.  2. tq --force --yes retry active.  3. Kill the engine.
        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "pause-dispatch");
        Assert.True(code == 0, stderr);
        await site.WaitForJobAsync(active, j => j.NumActive == 1 || j.NumDone == 1, TimeSpan.FromSeconds(5), "still active or done");
        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "--force", "--yes", "retry", "active");
        Assert.True(code == 0, stderr);
        site.EngineProcess!.KillHard();

        // 4. tractor-dbctl --destroy (it asks; we answer yes).
        (code, _, stderr) = await Shims.RunAsync("tractor-dbctl", "y\n", "--configdir", site.ConfigDir, "--destroy");
        Assert.True(code == 0, stderr);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--status");
        Assert.Contains("state: absent: no job database", stdout);
        // 5. tractor-dbctl --restore <file>.  6. --start-for-engine.
        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--restore", backup);
        Assert.True(code == 0, stderr);
        Assert.Contains("job ids resume after 2", stdout);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--start-for-engine");
        Assert.True(code == 0, stderr);
        // 7. --show-params: the last used job id, and the logs of higher ids.
        (code, stdout, stderr) = await Shims.DbctlAsync(site, "--show-params");
        Assert.True(code == 0, stderr);
        Assert.Contains("last used job id: 2", stdout);
        Assert.Contains(Path.Combine("tester", "J3"), stdout);
        // 8. --set-job-counter: below an existing job is refused; at it is accepted.
        (code, _, stderr) = await Shims.DbctlAsync(site, "--set-job-counter", "1");
        Assert.Equal(1, code);
        Assert.Contains("job 2 exists", stderr);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--set-job-counter", "2");
        Assert.True(code == 0, stderr);
        // 9. Start the engine.
        await site.StartEngineAsync();

        var jobs = await site.Client.JobsAsync(archived: true);
        Assert.Equal([done, active], jobs.Select(j => j.Jid).Order());
        // The operator's pause of step 1 is site state: the restore did not undo it, and tq says so. Job two is queued
        // again but waits until the operator resumes.
        var (listed, _, said) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "jobs");
        Assert.True(listed == 0, said);
        Assert.Contains("dispatching is paused", said);
        Assert.True((await site.Client.StatusAsync()).DispatchPaused);
        // The restored database has job two active on the blade; it is queued again once the blade reports that it no
        // longer runs it (the retry of step 2 ended it), and it does not start while dispatching stays paused.
        var requeued = await site.WaitForJobAsync(active, j => j.NumReady == 1, TimeSpan.FromSeconds(30), "queued again");
        Assert.Equal(0, requeued.NumDone);
        Assert.True((await site.Client.StatusAsync()).DispatchPaused);
        (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "resume-dispatch");
        Assert.True(code == 0, stderr);
        await File.WriteAllTextAsync(gate, "");
        await site.WaitForJobAsync(active, j => j.NumDone == 1, TimeSpan.FromSeconds(40), "rescheduled and done after the restore");
        Assert.Contains("job two finished", await File.ReadAllTextAsync(site.LogPath("tester", active, 1)));

        var reused = await site.SpoolAsync("Job -title {new three} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {the new job three}} } }");
        Assert.Equal(3, reused);
        await site.WaitForJobAsync(reused, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        var log = await File.ReadAllTextAsync(site.LogPath("tester", 3, 1));
        Assert.Contains("the new job three", log);
        Assert.DoesNotContain("gone after the restore", log);
        var aside = Assert.Single(Directory.GetDirectories(Path.Combine(site.DataDir, "logs", "tester"), "J3.replaced-*"));
        Assert.Contains("gone after the restore", await File.ReadAllTextAsync(Path.Combine(aside, "T1.log")));
    }

    [Fact]
    public async Task Downgrade_StepTwo_OnAQuietFarm_SaysNothingMatches_AndIsNoFailure()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var done = await site.SpoolAsync("Job -title {finished} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        await site.StartBladeAsync("blade");
        await site.WaitForJobAsync(done, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");

        // 1. Pause dispatching.  2. Retry all active tasks: there are none, so the step has nothing to do.
        var (code, _, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "pause-dispatch");
        Assert.True(code == 0, stderr);
        (code, var stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "--force", "--yes", "retry", "active");
        Assert.True(code == 0, stderr);
        Assert.Equal("", stdout);
        Assert.Contains("no tasks match 'active'; nothing done", stderr);
        Assert.Single(await site.Client.InvocationsAsync($"jid={done}"));
    }

    [Fact]
    public async Task Restore_OfCorruptTruncatedOrForeignArchives_IsRefused_AndTheDatabaseIsUntouched()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {precious} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        var good = Path.Combine(site.Root, "good.tar.gz");
        var (code, _, stderr) = await Shims.DbctlAsync(site, "--backup", good);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--destroy", "--yes");
        Assert.Equal(1, code);
        Assert.Contains("stop that engine first", stderr);
        await site.EngineProcess!.TerminateAsync();

        var offline = Path.Combine(site.Root, "offline.tar.gz");
        (code, var stdout, stderr) = await Shims.DbctlAsync(site, "--backup", offline);
        Assert.True(code == 0, stderr); // with the engine stopped too
        Assert.Contains($"last job id {jid}", stdout);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", good);
        Assert.True(code == 0, stderr); // the good archive restores fine once the engine is stopped
        var dbFile = Path.Combine(site.DataDir, "db", "furrow.db");
        var before = await File.ReadAllBytesAsync(dbFile);

        var bytes = await File.ReadAllBytesAsync(good);
        var truncated = Path.Combine(site.Root, "truncated.tar.gz");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);
        // A flipped byte in the compressed stream. Not any byte: deflate can copy a run of zeros from more than one
        // distance, so some flips leave what comes out unchanged (and such an archive rightly restores). This one is the
        // first from the middle on that changes or breaks what comes out.
        var corrupt = Path.Combine(site.Root, "corrupt.tar.gz");
        await File.WriteAllBytesAsync(corrupt, FlipAByteThatMatters(bytes));
        var foreign = Path.Combine(site.Root, "foreign.tar.gz");
        await ProgramRun.RequireAsync("making a foreign archive", "tar", "czf", foreign, "-C", site.ConfigDir, "tractor.config");
        // The gzip trailer: its last 10 bytes cut off, a byte of its CRC-32 flipped, a byte of its length flipped.
        var cutShort = Path.Combine(site.Root, "cut-short.tar.gz");
        await File.WriteAllBytesAsync(cutShort, bytes[..^10]);
        var badCrc = Path.Combine(site.Root, "bad-crc.tar.gz");
        var crcFlipped = (byte[])bytes.Clone();
        crcFlipped[^8] ^= 0x01;
        await File.WriteAllBytesAsync(badCrc, crcFlipped);
        var badLength = Path.Combine(site.Root, "bad-length.tar.gz");
        var lengthFlipped = (byte[])bytes.Clone();
        lengthFlipped[^2] ^= 0x01;
        await File.WriteAllBytesAsync(badLength, lengthFlipped);
        // A bomb: the good archive's manifest, then a database member of 300 MB of zeros that it does not declare.
        var bombDir = Directory.CreateDirectory(Path.Combine(site.Root, "bomb")).FullName;
        await ProgramRun.RequireAsync("taking the manifest out", "tar", "xzf", good, "-C", bombDir, "manifest.json");
        Directory.CreateDirectory(Path.Combine(bombDir, "db"));
        await using (var zeros = File.Create(Path.Combine(bombDir, "db", "furrow.db")))
            zeros.SetLength(300L << 20);
        var bomb = Path.Combine(site.Root, "bomb.tar.gz");
        await ProgramRun.RequireAsync("making a bomb archive", "tar", "czf", bomb, "-C", bombDir, "manifest.json", "db/furrow.db");
        Directory.Delete(bombDir, recursive: true);
        // A well-formed archive whose database is not the one its manifest describes: one byte of it changed, same size.
        var alteredDir = Directory.CreateDirectory(Path.Combine(site.Root, "altered")).FullName;
        await ProgramRun.RequireAsync("unpacking the good archive", "tar", "xzf", good, "-C", alteredDir);
        var alteredDb = Path.Combine(alteredDir, "db", "furrow.db");
        var dbBytes = await File.ReadAllBytesAsync(alteredDb);
        dbBytes[dbBytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(alteredDb, dbBytes);
        var altered = Path.Combine(site.Root, "altered.tar.gz");
        await ProgramRun.RequireAsync("making an altered archive", "tar", "czf", altered, "-C", alteredDir, "manifest.json", "db/furrow.db");
        Directory.Delete(alteredDir, recursive: true);

        foreach (var (archive, why) in new[]
        {
            (truncated, "truncated or corrupt"), (corrupt, "corrupt"), (foreign, "not a Furrow backup"), (cutShort, "truncated or corrupt"),
            (badCrc, "truncated or corrupt"), (badLength, "truncated or corrupt"), (bomb, "its manifest does not declare"),
            (altered, "fails its SHA-256 check"),
        })
        {
            (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", archive);
            Assert.True(code == 1, $"{Path.GetFileName(archive)} was not refused: {stderr}");
            Assert.Contains(why, stderr);
            Assert.Equal(before, await File.ReadAllBytesAsync(dbFile));
        }

        await site.StartEngineAsync();
        Assert.Equal(jid, (await site.Client.JobsAsync()).Single().Jid);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--restore", good);
        Assert.Equal(1, code);
        Assert.Contains("stop that engine first", stderr);
    }

    // A copy of a gzip file with one byte flipped, the first from the middle on whose flip makes the file fail to
    // decompress or decompress to something else.
    private static byte[] FlipAByteThatMatters(byte[] gzip)
    {
        var original = Gunzip(gzip);
        for (var at = gzip.Length / 2; at < gzip.Length; at++)
        {
            var flipped = (byte[])gzip.Clone();
            flipped[at] ^= 0xFF;
            try
            {
                if (!Gunzip(flipped).AsSpan().SequenceEqual(original))
                    return flipped;
            }
            catch (Exception error) when (error is InvalidDataException or EndOfStreamException or IOException)
            {
                return flipped;
            }
        }
        throw new InvalidOperationException("no byte of the archive's second half matters, which cannot be");
    }

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(gzip), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public async Task MigrateDownAndUp_KeepsEveryJob_AndANewerSchemaIsRefusedByTheEngine()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("blade");
        var jid = await site.SpoolAsync("Job -title {kept} -subtasks { Task {a} -cmds { RemoteCmd {{echo} {a}} }; Task {b} -cmds { RemoteCmd {{echo} {b}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(30), "done");
        var jobsBefore = await site.Client.JobsAsync(archived: true);
        var tasksBefore = await site.Client.TasksAsync();
        var runsBefore = await site.Client.InvocationsAsync();
        await site.EngineProcess!.TerminateAsync();

        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--schema-version");
        Assert.True(code == 0, stderr);
        var latest = int.Parse(stdout.Trim());
        Assert.True(latest >= 3);
        (code, _, stderr) = await Shims.DbctlAsync(site, "--migrate-to", "1");
        Assert.True(code == 0, stderr);
        (code, stdout, _) = await Shims.DbctlAsync(site, "--schema-version");
        Assert.Equal("1", stdout.Trim());
        (code, _, stderr) = await Shims.DbctlAsync(site, "--migrate-to", latest.ToString());
        Assert.True(code == 0, stderr);

        await site.StartEngineAsync();
        Assert.Equal(jobsBefore, await site.Client.JobsAsync(archived: true));
        Assert.Equal(tasksBefore.Select(t => t with { HasLog = true }), (await site.Client.TasksAsync()).Select(t => t with { HasLog = true }));
        // What the runs' process trees used (schema version 6) goes on the way down to 1; everything else comes back.
        // An echo can start and stop within one millisecond, so its elapsed time may be 0: its peak memory never is.
        Assert.All(runsBefore, r => Assert.True(r.PeakRss > 0, $"run {r.Iid} has no peak memory recorded"));
        Assert.Equal(runsBefore.Select(WithoutUsage), await site.Client.InvocationsAsync());
        await site.EngineProcess!.TerminateAsync();

        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(site.DataDir, "db", "furrow.db")}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 'now')";
            await command.ExecuteNonQueryAsync();
        }
        (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, code);
        Assert.Contains("schema version 99", stderr);
        Assert.Contains($"--migrate-to {latest}", stderr);

        static Client.Protocol.InvocationRow WithoutUsage(Client.Protocol.InvocationRow r) =>
            r with { ElapsedReal = null, UserSecs = null, SystemSecs = null, PeakRss = null, PeakVsz = null, Cpu = null, ClockSkewMs = null };
    }
}
