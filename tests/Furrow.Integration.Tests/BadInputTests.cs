using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Core.Scripts;
using Furrow.Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Furrow.Integration.Tests;

/// <summary>Malformed and hostile scripts, and a full disk: refused clearly, and nothing already accepted is lost.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("utsdab__usr__MAYA_MR_v001.alf")]
    [InlineData("LRongeart__.nuke__working_format_test_INVALID_service_test.alf")]
    public async Task Spool_MalformedCorpusScript_IsRefusedWithFileLineAndColumn(string file)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var path = Path.Combine(AppContext.BaseDirectory, "Corpus", file);
        var expected = AlfredParser.Parse(await File.ReadAllTextAsync(path), path).Error;
        Assert.NotNull(expected);

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("spool", "--engine", site.Engine, path);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains($"{path}:{expected.Line}:{expected.Column}: ", stderr);
        Assert.Empty(await site.Client.JobsAsync(archived: true));
    }

    [Fact]
    public async Task Spool_RefusalsAfterParsing_NameFileLineAndColumn_InBothForms()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var options = new SpoolOptions("tester", "shot.alf");
        async Task<string> Refused(string script, SpoolOptions? given = null) =>
            (await Assert.ThrowsAsync<EngineException>(() => site.Client.SpoolAsync(script, given ?? options))).Message;
        const string Tasks = "-subtasks {\n  Task {t} -cmds { RemoteCmd {true} }\n}";

        // The spool's own checks: start time, tier, jobs waited for and priority, each at its option.
        Assert.Contains("shot.alf:2:3: -after {whenever}: ", await Refused("Job -title {j}\\\n  -after {whenever} " + Tasks));
        Assert.Contains("shot.alf:1:16: -tier nosuch: not one of this site's DispatchTiers", await Refused("Job -title {j} -tier nosuch " + Tasks));
        Assert.Contains("shot.alf:1:16: -afterjids names job(s) 4242, which do not exist", await Refused("Job -title {j} -afterjids {4242} " + Tasks));
        Assert.Contains("shot.alf:1:16: priority 1E+200 is out of range", await Refused("Job -title {j} -priority 1e200 " + Tasks));
        // The same options given beside the script (tractor-spool's --jtier, --aftertime, ...) are no place in it: the refusal
        // names the file and says where the value came from, even when the script has that option too.
        foreach (var (given, expected) in new (SpoolOptions, string)[]
        {
            (options with { Tier = "nosuch" }, "-tier nosuch: not one of this site's DispatchTiers"),
            (options with { After = "whenever" }, "-after {whenever}: "),
            (options with { AfterJids = "4242" }, "-afterjids names job(s) 4242, which do not exist"),
            (options with { Priority = 1e200 }, "priority 1E+200 is out of range"),
        })
        {
            var refused = await Refused("Job -title {j} -tier default -priority 5\\\n  -maxactive 2 " + Tasks, given);
            Assert.StartsWith("shot.alf: " + expected, refused, StringComparison.Ordinal);
            Assert.Contains("(given to the spool, not in the script)", refused, StringComparison.Ordinal);
        }
        // The compiler's and the unsupported options', at their words.
        Assert.Contains("shot.alf:2:12: bad service key {a &&} on task \"t\"", await Refused("Job -title {j} -subtasks {\n  Task {t} -service {a &&} -cmds { RemoteCmd {true} } }"));
        Assert.Contains("shot.alf:3:5: Instance {x} refers to no task", await Refused("Job -title {j} -subtasks {\n  Task {t} -cmds { RemoteCmd {true} } -subtasks {\n    Instance {x} } }"));
        Assert.Contains("shot.alf:2:30: not supported yet: -maxrunsecs", await Refused("Job -title {j} -subtasks {\n  Task {t} -cmds { RemoteCmd -maxrunsecs 5 {true} } }"));
        // The JSON form names the JSON path too.
        var json = await Refused("{\"title\": \"j\",\n \"tier\": \"nosuch\", \"subtasks\": [{\"kind\": \"task\", \"title\": \"t\", \"commands\": [{\"argv\": [\"true\"]}]}]}",
            options with { FileName = "shot.json", IsJson = true });
        Assert.Contains("shot.json:2:2: -tier nosuch: not one of this site's DispatchTiers", json);
        Assert.Contains("(at $.tier)", json);
        Assert.Empty(await site.Client.JobsAsync(archived: true));
    }

    [Fact]
    public async Task Spool_HostileScripts_AreRefused_AndTheEngineKeepsServing()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var options = new SpoolOptions("tester", "hostile.alf");

        var huge = new string('#', 100 * 1024 * 1024);
        var tooBig = await Assert.ThrowsAsync<EngineException>(() => site.Client.SpoolAsync(huge, options));
        Assert.Equal(413, tooBig.StatusCode);
        Assert.Contains("ScriptMaxBytes", tooBig.Message);

        var deep = "Job -title {deep} -subtasks " + string.Concat(Enumerable.Repeat("{Task {t} -subtasks ", 10_000)) + new string('}', 10_000);
        var tooDeep = await Assert.ThrowsAsync<EngineException>(() => site.Client.SpoolAsync(deep, options));
        Assert.Equal(400, tooDeep.StatusCode);
        Assert.Matches(@"hostile\.alf:1:\d+: ", tooDeep.Message);

        var nul = await Assert.ThrowsAsync<EngineException>(() => site.Client.SpoolAsync("Job -title {a\0b} -subtasks {}", options));
        Assert.Matches(@"hostile\.alf:1:\d+: .*NUL", nul.Message);

        var jid = await site.SpoolAsync("Job -title {fine} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
        Assert.Equal(1, jid);
    }

    [Fact]
    public async Task Spool_OnAFullDisk_IsRefusedCleanly_AndTheDatabaseIsIntact()
    {
        var mount = Path.Combine(Path.GetTempPath(), "furrow-full-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        await ProgramRun.RequireAsync("this test needs root to mount a small tmpfs", "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount);
        try
        {
            await using (var site = new TestSite(dataDirectory: Path.Combine(mount, "data")))
            {
                await site.StartEngineAsync();
                var kept = await site.SpoolAsync("Job -title {kept} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");

                var filler = await DiskFill.FillAsync(mount);

                var big = "Job -title {refused} -subtasks {\n" +
                    string.Concat(Enumerable.Range(1, 2000).Select(i => $"Task {{t{i}}} -cmds {{ RemoteCmd {{{{echo}} {{{i}}}}} }}\n")) + "}";
                var refused = await Assert.ThrowsAsync<EngineException>(() => site.SpoolAsync(big));
                Assert.Equal(503, refused.StatusCode);
                Assert.Contains("full", refused.Message);

                File.Delete(filler);
                var jobs = await site.Client.JobsAsync(archived: true);
                Assert.Equal([kept], jobs.Select(j => j.Jid));
                var after = await site.SpoolAsync("Job -title {after} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }");
                Assert.True(after > kept);
                await site.EngineProcess!.TerminateAsync();

                await using var connection = new SqliteConnection($"Data Source={Path.Combine(site.DataDir, "db", "furrow.db")}");
                await connection.OpenAsync();
                await using var check = connection.CreateCommand();
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", await check.ExecuteScalarAsync());
                check.CommandText = "SELECT COUNT(*) FROM tasks WHERE jid NOT IN (" + kept + "," + after + ")";
                Assert.Equal(0L, await check.ExecuteScalarAsync());
            }
        }
        finally
        {
            await ProgramRun.RequireAsync("unmounting the test tmpfs", "umount", "-l", mount);
            Directory.Delete(mount);
        }
    }
}
