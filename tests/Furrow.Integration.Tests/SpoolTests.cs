using System.Diagnostics;
using Furrow.Core.Scripts;
using Furrow.Integration.Tests.Support;
using Furrow.Client;

namespace Furrow.Integration.Tests;

/// <summary>
/// tractor-spool compiled to native code (furrow-client) against the same command on the .NET runtime
/// (FURROW_SPOOL_NATIVE=0), on a real engine: the jobs they spool, what they print, their errors and their exit codes.
/// </summary>
public sealed class SpoolTests : IAsyncLifetime
{
    private readonly TestSite _site = new();

    public Task InitializeAsync() => _site.StartEngineAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    private static string NativeClient => Path.Combine(Path.GetDirectoryName(FurrowProcess.FurrowDll)!, "furrow-client");

    // The same command line and standard input through furrow-client, then through furrow.dll kept on the runtime.
    private static async Task<((int Code, string Stdout, string Stderr) Native, (int Code, string Stdout, string Stderr) Runtime)> BothAsync(
        string? stdin, IDictionary<string, string>? environment, params string[] args)
    {
        var direct = new ProcessStartInfo(NativeClient, ["spool", .. args]);
        var runtime = new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "spool", .. args]);
        runtime.Environment["FURROW_SPOOL_NATIVE"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            direct.Environment[key] = value;
            runtime.Environment[key] = value;
        }
        return (await ProgramRun.RunAsync(direct, stdin), await ProgramRun.RunAsync(runtime, stdin));
    }

    [Fact]
    public async Task TheNativeSpool_SpoolsTheSameJob_AsTheOneOnTheRuntime()
    {
        Assert.True(File.Exists(NativeClient), $"the test run publishes the native client beside furrow.dll ({NativeClient})");
        var file = Path.Combine(_site.Root, "shot.alf");
        await File.WriteAllTextAsync(file, "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--user", "ana", "--priority", "250", "--paused", file);

        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        Assert.Equal("", native.Stderr + runtime.Stderr);
        var jids = new[] { long.Parse(native.Stdout), long.Parse(runtime.Stdout) };
        Assert.Equal(new[] { $"{jids[0]}\n", $"{jids[1]}\n" }, new[] { native.Stdout, runtime.Stdout });
        var jobs = await _site.Client.JobsAsync($"jid in [{jids[0]}, {jids[1]}]");
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal((250.0, "ana", true, file), (j.Priority, j.Owner, j.Paused, j.SpoolFile)));
        Assert.Equal(jobs[0] with { Jid = 0, SpoolTime = 0 }, jobs[1] with { Jid = 0, SpoolTime = 0 });

        // From standard input, with --json.
        (native, runtime) = await BothAsync("Job -title {piped} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {2}} } }", null, "--engine", _site.Engine, "--json", "-");

        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        var piped = await _site.Client.JobsAsync("title=piped");
        Assert.Equal(piped.Select(j => $"{{\"jid\": {j.Jid}}}\n").Order(), new[] { native.Stdout, runtime.Stdout }.Order());
        Assert.All(piped, j => Assert.Equal("stdin", j.SpoolFile));
    }

    [Fact]
    public async Task ALatin1Script_KeepsItsAccents_ThroughTheSpoolCommand_TheEnginesSpool_AndTqJobs()
    {
        // An older pipeline's script: "Szène" with è as the one Latin-1 byte 0xE8, which is not UTF-8.
        var latin1 = System.Text.Encoding.Latin1.GetBytes("Job -title {Sz\u00e8ne} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {\u00e9t\u00e9}} } }");
        var file = Path.Combine(_site.Root, "latin1.alf");
        await File.WriteAllBytesAsync(file, latin1);

        // The command's source is the native client's too (it reads the file's bytes and decodes them by the engine's rule).
        var spooled = await FurrowProcess.RunAsync("spool", "--engine", _site.Engine, "--paused", file);
        Assert.True(spooled.ExitCode == 0, spooled.Stderr);
        // The same bytes posted to the engine itself, as a pipeline tool (or Tractor's /spool, which hands the body on) sends them.
        using var http = await _site.HttpAsync();
        using var posted = await http.PostAsync("api/v1/jobs?user=tester&file=raw.alf&paused=1", new ByteArrayContent(latin1));
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());

        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", _site.Engine, "jobs", "jid > 0", "-c", "title", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal(["Sz\u00e8ne", "Sz\u00e8ne"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        var commands = await _site.Client.CommandsAsync("jid > 0");
        Assert.Equal(2, commands.Count);
        Assert.All(commands, c => Assert.Equal(["echo", "\u00e9t\u00e9"], c.Argv));
    }

    [Fact]
    public async Task TheNativeSpool_RefusesAMalformedScript_WithFileLineAndColumn_AsTheOneOnTheRuntime()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Corpus", "utsdab__usr__MAYA_MR_v001.alf");
        var expected = AlfredParser.Parse(await File.ReadAllTextAsync(path), path).Error;
        Assert.NotNull(expected);

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, path);

        Assert.Equal(runtime, native);
        Assert.Equal(1, native.Code);
        Assert.Equal("", native.Stdout);
        Assert.StartsWith($"furrow spool: {path}:{expected.Line}:{expected.Column}: ", native.Stderr);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    [Theory]
    [InlineData(1, "cannot read", "--engine", "{engine}", "{root}/missing.alf")]
    [InlineData(1, "cannot reach the engine at", "--engine", "127.0.0.1:1", "{root}/shot.alf")]
    [InlineData(2, "unknown option '--pausd' (did you mean '--paused'?)", "--engine", "{engine}", "{root}/shot.alf", "--pausd")]
    [InlineData(2, "see furrow spool --help", "--engine", "{engine}")]
    [InlineData(2, "see furrow spool --help", "--engine", "{engine}", "--priority", "high", "{root}/shot.alf")]
    [InlineData(0, "", "--help")]
    // A mistyped option is named, not the value after it.
    [InlineData(2, "unknown option '--prority' (did you mean '--priority'?)", "--engine", "{engine}", "--prority", "5", "{root}/shot.alf")]
    [InlineData(2, "--user: the name is empty", "--engine", "{engine}", "--user", "", "{root}/shot.alf")]
    [InlineData(2, "--priority: priority 2000000 is out of range: expected a number from -1000000 to 1000000", "--engine", "{engine}", "--priority", "2000000", "{root}/shot.alf")]
    [InlineData(2, "--priority takes a number such as 100 or -2.5, not '1e308'", "--engine", "{engine}", "--priority", "1e308", "{root}/shot.alf")]
    [InlineData(1, "cannot read {root}/missing.alf: no such file", "--engine", "{engine}", "{root}/missing.alf")]
    [InlineData(1, "{root} is a directory, not a job script", "--engine", "{engine}", "{root}")]
    [InlineData(1, "priority 1E+308 is out of range", "--engine", "{engine}", "{root}/huge.alf")]
    public async Task TheNativeSpool_FailsAndHelpsAsTheOneOnTheRuntime_WithTheSameExitCode(int code, string expected, params string[] args)
    {
        await File.WriteAllTextAsync(Path.Combine(_site.Root, "shot.alf"), "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");
        await File.WriteAllTextAsync(Path.Combine(_site.Root, "huge.alf"), "Job -title {huge} -priority 1e308 -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        args = [.. args.Select(a => a.Replace("{engine}", _site.Engine).Replace("{root}", _site.Root))];
        expected = expected.Replace("{root}", _site.Root);
        // A German locale on both: neither translates the parser's messages (furrow runs with invariant globalization).
        var (native, runtime) = await BothAsync(null, new Dictionary<string, string> { ["LANG"] = "de_DE.UTF-8" }, args);

        Assert.Equal(runtime, native);
        Assert.Equal(code, native.Code);
        Assert.Contains(expected, native.Stderr);
        if (code == 0)
            Assert.Contains("furrow spool [<file>...] [options]", native.Stdout);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    [Fact]
    public async Task ThroughTheShims_HelpAndMessages_NameTheCommandAsTyped()
    {
        var (code, stdout, _) = await Shims.RunAsync("tractor-spool", null, "--help");
        Assert.Equal(0, code);
        Assert.Contains("tractor-spool [<file>...] [options]", stdout);
        Assert.DoesNotContain("furrow spool", stdout);

        var (_, _, stderr) = await Shims.RunAsync("tractor-spool", null, "--engine", _site.Engine, "--prority", "5", "x.alf");
        Assert.StartsWith("tractor-spool: unknown option '--prority' (did you mean '--priority'?); see tractor-spool --help", stderr);

        (code, stdout, _) = await Shims.RunAsync("tq", null, "--help");
        Assert.Equal(0, code);
        Assert.Contains("tq [command] [options]", stdout);
        Assert.Contains("Exit codes: 0 done", stdout);
        (_, _, stderr) = await Shims.RunAsync("tq", null, "--engine", _site.Engine, "jobs", "--force");
        Assert.StartsWith("tq jobs: --force applies to operations only", stderr);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    // Tractor's tractor-spool spellings (and its script parser's: --owner, --cwd, --jtier, --paused 1), both --opt=value
    // and --opt value, each checked for its effect on the spooled job through the engine's API.
    [Fact]
    public async Task TractorsOptions_SetTheJob_TheSameThroughTheNativeClientAndTheRuntime()
    {
        var file = Path.Combine(_site.Root, "tractor.alf");
        await File.WriteAllTextAsync(file, "Job -title {orig} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} -service {linux} } }");

        var (native, runtime) = await BothAsync(null, null, "--engine=" + _site.Engine, "--owner", "ana", "--priority=100", "--paused", "1",
            "--hname=spoolhost7", "--cwd", "/srv/shots", "--jtier", "rush", "--projects=fx,comp", "--title", "relit", "--maxactive=3",
            "--svckey", "prman", file);

        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        var jids = $"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]";
        var jobs = await _site.Client.QueryColumnsAsync("jobs", ["owner", "priority", "paused", "spoolhost", "spoolcwd", "tier", "projects", "title", "maxactive"],
            jids, null, new ListOptions());
        Assert.Equal(2, jobs.Rows.Count);
        Assert.All(jobs.Rows, row => Assert.Equal("[\"ana\",100,true,\"spoolhost7\",\"/srv/shots\",\"rush\",[\"fx\",\"comp\"],\"relit\",3]",
            System.Text.Json.JsonSerializer.Serialize(row)));
        // --svckey is ANDed with the script's own keys, as Tractor's parser does.
        var commands = await _site.Client.CommandsAsync(jids, null, new ListOptions());
        Assert.All(commands, c => Assert.Equal("(linux) && (prman)", c.Service));

        // --paused alone (the flag form) before the file, and --paused 0.
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--paused", file);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        Assert.All(await _site.Client.JobsAsync($"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]"), j => Assert.True(j.Paused));
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--paused", "0", file);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        Assert.All(await _site.Client.JobsAsync($"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]"), j => Assert.False(j.Paused));
    }

    [Fact]
    public async Task DashC_SpoolsAJobOfOneCommand_AndRangeATaskForEachNumber()
    {
        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--title", "greeting", "-c", "echo", "hi", "-n");

        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        foreach (var jid in new[] { native.Stdout.Trim(), runtime.Stdout.Trim() })
        {
            var job = Assert.Single(await _site.Client.JobsAsync($"jid={jid}"));
            Assert.Equal(("greeting", 1), (job.Title, job.NumTasks));
            var command = Assert.Single(await _site.Client.CommandsAsync($"jid={jid}", null, new ListOptions()));
            Assert.Equal(["echo", "hi", "-n"], command.Argv);
        }

        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--range", "1-3", "-c", "render", "frame.RANGE.rib");
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        var argv = (await _site.Client.CommandsAsync($"jid={native.Stdout.Trim()}", null, new ListOptions())).Select(c => string.Join(' ', c.Argv));
        Assert.Equal(["render frame.1.rib", "render frame.2.rib", "render frame.3.rib"], argv.Order());
        Assert.Equal("render", Assert.Single(await _site.Client.JobsAsync($"jid={runtime.Stdout.Trim()}")).Title);
    }

    // A Tractor option whose effect Furrow cannot give is refused by name (exit 2) and nothing is spooled; a misplaced
    // option after -c and a password refused by the engine say so.
    [Theory]
    [InlineData(2, "--alfescape is not supported", "--alfescape", "{root}/shot.alf")]
    [InlineData(2, "--haddr is not supported", "--haddr", "10.0.0.9", "{root}/shot.alf")]
    [InlineData(2, "--remotecleankey is not supported", "--remotecleankey", "linux", "{root}/shot.alf")]
    [InlineData(2, "-O is not supported", "-O", "{root}/shot.alf")]
    [InlineData(2, "--print-jobjson is not supported", "--print-jobjson", "{root}/shot.alf")]
    [InlineData(2, "--priority after -c: -c ends the options, so furrow spool's go before it; to pass --priority to the command, put -- after -c", "-c", "echo", "--priority", "5")]
    [InlineData(2, "--range goes with -c or -C", "--range", "1-3", "{root}/shot.alf")]
    [InlineData(2, "--range: 'x' is not a number or FIRST-LAST", "--range", "x", "-c", "echo")]
    [InlineData(1, "afterjids: 'abc' is no job id", "--afterjid", "abc", "{root}/shot.alf")]
    [InlineData(1, "cannot log in as", "-p", "100", "{root}/shot.alf")]
    public async Task AnOptionFurrowCannotHonour_IsRefusedByName(int code, string expected, params string[] args)
    {
        await File.WriteAllTextAsync(Path.Combine(_site.Root, "shot.alf"), "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");
        args = ["--engine", _site.Engine, .. args.Select(a => a.Replace("{root}", _site.Root, StringComparison.Ordinal))];

        var (native, runtime) = await BothAsync(null, null, args);

        Assert.Equal(runtime, native);
        Assert.Equal(code, native.Code);
        Assert.Contains(expected, native.Stderr);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    [Fact]
    public async Task Review_PrintsTheGeneratedScript_AndSpoolsNothing()
    {
        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "-o", "-c", "echo", "two words");

        Assert.Equal(runtime, native);
        Assert.True(native.Code == 0, native.Stderr);
        Assert.Contains("echo", native.Stdout);
        Assert.Contains("{two words}", native.Stdout);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    // An empty list is a value: it empties the script's, as the engine's projects=, envkey= and afterjids= do.
    [Fact]
    public async Task AnEmptyList_EmptiesTheScripts()
    {
        var file = Path.Combine(_site.Root, "listed.alf");
        await File.WriteAllTextAsync(file, "Job -title {listed} -projects {a b} -envkey {k} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--projects=", "--envkey", "", "--afterjid=", file);

        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        var rows = await _site.Client.QueryColumnsAsync("jobs", ["projects", "envkey", "afterjids"], "title=listed", null, new ListOptions());
        Assert.Equal("""[[[],[],[]],[[],[],[]]]""", System.Text.Json.JsonSerializer.Serialize(rows.Rows));
    }

    // `--opt=` is an empty value, never the next word; an empty value is refused by the option's name, whichever spelling.
    [Theory]
    [InlineData("--title")]
    [InlineData("--tier")]
    [InlineData("--jtier")]
    [InlineData("--aftertime")]
    [InlineData("--svckey")]
    [InlineData("--hname")]
    [InlineData("--cwd")]
    [InlineData("--jobcwd")]
    [InlineData("--owner")]
    [InlineData("--user")]
    [InlineData("--passwd")]
    public async Task AnEmptyValue_IsRefusedByTheOptionsName_AndNeverTakesTheNextWord(string option)
    {
        var a = Path.Combine(_site.Root, "a.alf");
        var b = Path.Combine(_site.Root, "b.alf");
        await File.WriteAllTextAsync(a, "Job -title {a} -subtasks {}");
        await File.WriteAllTextAsync(b, "Job -title {b} -subtasks {}");
        foreach (string[] given in new[] { new[] { option + "=" }, [option, ""], [option, " "] })
        {
            var (native, runtime) = await BothAsync(null, null, ["--engine", _site.Engine, .. given, a, b]);

            Assert.Equal(runtime, native);
            Assert.Equal(2, native.Code);
            Assert.Equal("", native.Stdout);
            Assert.StartsWith($"furrow spool: {option}", native.Stderr);
            Assert.Contains(option is "--user" or "--owner" ? "the name is empty" : "is given an empty value", native.Stderr);
        }
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    // --paused takes the switch words the engine's paused= takes, attached or as the next word, before -c too.
    [Fact]
    public async Task Paused_TakesEverySwitchWord()
    {
        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--paused", "on", "-c", "echo", "hi");
        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--paused=YES", "-c", "echo", "hi");
        Assert.True(native.Code == 0, native.Stderr);
        Assert.True(runtime.Code == 0, runtime.Stderr);

        var jobs = await _site.Client.JobsAsync(archived: true);
        Assert.Equal(4, jobs.Count);
        Assert.All(jobs, j => Assert.True(j.Paused, $"J{j.Jid} {j.Title}"));
    }

    // Each refused before anything is sent, naming what was typed and what is wrong; the same through both programs.
    [Theory]
    [InlineData("--paused takes no value, or one of 1, 0, true, false, yes, no, on or off; not 'maybe'", "--paused=maybe", "{shot}")]
    [InlineData("--json takes no value, or one of 1, 0, true, false, yes, no, on or off; not 'x'", "--json=x", "{shot}")]
    [InlineData("cannot read 2: no such file; it follows --paused, which takes no value or one of 1, 0, true, false, yes, no, on or off", "--paused", "2", "{shot}")]
    [InlineData("--paused is given twice: give it once", "--paused", "1", "--paused", "1", "{shot}")]
    [InlineData("--paused is given twice: give it once", "--paused", "--paused", "{shot}")]
    [InlineData("--title is given twice: give it once", "--title", "a", "--title=b", "{shot}")]
    [InlineData("--owner is given twice (as --user and --owner): give it once", "--user", "ana", "--owner", "bob", "{shot}")]
    [InlineData("-q and --status-json: give one", "-q", "--status-json", "{shot}")]
    [InlineData("--range: '3-1' goes down; write it from the lower number up (1-3)", "--range", "3-1", "-c", "echo")]
    [InlineData("--range '1-1000000' makes more than 100000 tasks", "--range", "1-1000000", "-c", "echo")]
    [InlineData("--range is given no value: -c after it is an option", "--range", "-c", "echo")]
    [InlineData("--itervalues 'a,b,': value 3 is empty", "--itervalues", "a,b,", "-c", "echo")]
    [InlineData("--hname: 'ws 12' is no host name", "--hname", "ws 12", "{shot}")]
    [InlineData("--cwd: 'shots/010' is a relative directory", "--cwd", "shots/010", "{shot}")]
    // A mistyped option before -c is named as such, not taken for a job file that -c does not allow.
    [InlineData("unknown option '--bogus'", "--paused", "--bogus", "-c", "echo", "hi")]
    [InlineData("unknown option '--bogus=1'", "--bogus=1", "-c", "echo", "hi")]
    [InlineData("is no account name: it holds the character U+00FC, which is none of an account name's: ASCII letters and digits", "--owner", "ünï", "{shot}")]
    public async Task AMistakenValue_IsRefusedSayingWhatIsWrong(string expected, params string[] args)
    {
        var shot = Path.Combine(_site.Root, "shot.alf");
        await File.WriteAllTextAsync(shot, "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");

        var (native, runtime) = await BothAsync(null, null, ["--engine", _site.Engine, .. args.Select(a => a.Replace("{shot}", shot, StringComparison.Ordinal))]);

        Assert.Equal(runtime, native);
        Assert.Equal(2, native.Code);
        Assert.Equal("", native.Stdout);
        Assert.Contains(expected, native.Stderr);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));
    }

    [Fact]
    public async Task Version_PrintsFurrowsVersion_ThroughTheShimAndBothPrograms()
    {
        var furrow = await ProgramRun.RunAsync(new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "--version"]));
        Assert.Equal(0, furrow.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+\S*\n$", furrow.Stdout);

        var (native, runtime) = await BothAsync(null, null, "--version");
        var shim = await Shims.RunAsync("tractor-spool", null, "--version");

        Assert.Equal((0, furrow.Stdout, ""), native);
        Assert.Equal((0, furrow.Stdout, ""), runtime);
        Assert.Equal((0, furrow.Stdout, ""), shim);
    }

    // -o prints what would be spooled: the script with the job-wide values over it, as the engine applies them at spool.
    [Fact]
    public async Task Review_AppliesTheJobWideOptions_AsTheSpoolDoes()
    {
        var file = Path.Combine(_site.Root, "keys.alf");
        await File.WriteAllTextAsync(file, "Job -title {orig} -subtasks { Task {t} -service {linux} -cmds { RemoteCmd {{echo} {1}} -service {gpu} } }");
        string[] wide = ["--title", "relit", "--svckey", "prman", "--priority", "7", "--paused", "--projects", "fx,comp", file];

        var (native, runtime) = await BothAsync(null, null, ["--engine", _site.Engine, "-o", .. wide]);

        Assert.Equal(runtime, native);
        Assert.True(native.Code == 0, native.Stderr);
        Assert.Contains("Job -title {relit} -projects {{fx} {comp}} -paused 1 -priority {7.0} -service {prman}", native.Stdout);
        Assert.Contains("Task {t} -service {(linux) && (prman)}", native.Stdout);
        Assert.Contains("-service {(gpu) && (prman)}", native.Stdout);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));

        // The job spooled with the same options is the one printed.
        var spooled = await _site.SpoolAsync(native.Stdout);
        (native, runtime) = await BothAsync(null, null, ["--engine", _site.Engine, .. wide]);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        var jobs = await _site.Client.QueryColumnsAsync("jobs", ["title", "priority", "paused", "projects"],
            $"jid in [{spooled}, {native.Stdout.Trim()}]", null, new ListOptions());
        Assert.Equal(2, jobs.Rows.Count);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(jobs.Rows[0]), System.Text.Json.JsonSerializer.Serialize(jobs.Rows[1]));
        var services = (await _site.Client.CommandsAsync($"jid in [{spooled}, {native.Stdout.Trim()}]", null, new ListOptions())).Select(c => c.Service).Distinct();
        Assert.Equal(["(gpu) && (prman)"], services);
    }

    // --iterfile: a task for each line as written (spaces kept), blank lines skipped.
    [Fact]
    public async Task IterFile_KeepsEachLineAsWritten_AndSkipsBlankOnes()
    {
        var values = Path.Combine(_site.Root, "values.txt");
        await File.WriteAllTextAsync(values, "a\n  b \n\n   \nc\r\n");

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--iterfile", values, "-c", "echo", "ITER");

        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        var argv = (await _site.Client.CommandsAsync($"jid={native.Stdout.Trim()}", null, new ListOptions())).Select(c => c.Argv[1]);
        Assert.Equal(["  b ", "a", "c"], argv.Order(StringComparer.Ordinal));
    }

    // --status-json's error object: rc and msg, no jid, apostrophes written plainly.
    [Fact]
    public async Task StatusJson_WritesAnErrorAsRcAndMsg_WithItsApostrophes()
    {
        var shot = Path.Combine(_site.Root, "shot.alf");
        await File.WriteAllTextAsync(shot, "Job -title {shot} -subtasks {}");

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--status-json", "--afterjid", "abc", shot);

        Assert.Equal(runtime, native);
        Assert.Equal(1, native.Code);
        Assert.Equal("{\"rc\":1,\"msg\":\"afterjids: 'abc' is no job id (expected job ids, separated by spaces or commas)\"}\n", native.Stdout);

        // A job file that cannot be read fails before the engine is asked: the same shape on standard output.
        var missing = Path.Combine(_site.Root, "no-such-shot.alf");
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--status-json", missing);
        Assert.Equal(runtime, native);
        Assert.Equal(1, native.Code);
        Assert.Equal($"{{\"rc\":1,\"msg\":\"cannot read {missing}: no such file\"}}\n", native.Stdout);
    }

    // --configfile logs in as the file's user; --owner then names the job's owner, which the engine allows an
    // administrator only: a plain user acting as another is refused.
    [Fact]
    public async Task ConfigFile_LogsInAsItsUser_AndOwnerNamesTheJobsOwner()
    {
        var password = _site.AddAccount("ana");
        var boss = await AccountAsync("boss", administrator: true);
        var shot = Path.Combine(_site.Root, "shot.alf");
        await File.WriteAllTextAsync(shot, "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");
        string Config(string user, string passwd)
        {
            var path = Path.Combine(_site.Root, $"{user}.config.json");
            File.WriteAllText(path, $"{{\"tractorconfig\": {{\"user\": \"{user}\", \"passwd\": \"{passwd}\"}}}}");
            return path;
        }

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--configfile", Config("ana", password), shot);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        Assert.All(await _site.Client.JobsAsync($"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]"), j => Assert.Equal("ana", j.Owner));

        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--configfile", Config("ana", password), "--owner", "root", shot);
        Assert.Equal(runtime, native);
        Assert.Equal(1, native.Code);
        Assert.DoesNotContain("cannot log in", native.Stderr);
        Assert.Contains("root", native.Stderr);

        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--configfile", Config("boss", boss), "--user", "bob", shot);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        Assert.All(await _site.Client.JobsAsync($"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]"), j => Assert.Equal("bob", j.Owner));
    }

    // An account the engine has taken (it reads changed account files at most once a second), and its password.
    private async Task<string> AccountAsync(string user, bool administrator = false)
    {
        var password = _site.AddAccount(user, administrator);
        await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await _site.LoginAsync(user, password);
            }
            catch (EngineException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(10), () => $"the engine to take the account {user}");
        return password;
    }

    // -p (Tractor's --passwd) logs in as --user, the job's owner, and spools as that user.
    [Fact]
    public async Task Passwd_LogsInAsTheUser_AndSpoolsTheJobAsTheirs()
    {
        var password = await AccountAsync("ana");
        var shot = Path.Combine(_site.Root, "shot.alf");
        await File.WriteAllTextAsync(shot, "Job -title {shot} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }");

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--user", "ana", "-p", password, "-v", shot);

        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        Assert.Contains("logged in as ana", native.Stderr);
        Assert.Contains("logged in as ana", runtime.Stderr);
        Assert.All(await _site.Client.JobsAsync($"jid in [{native.Stdout.Trim()}, {runtime.Stdout.Trim()}]"), j => Assert.Equal("ana", j.Owner));
        Assert.Equal(2, (await _site.Client.JobsAsync()).Count);
    }

    // --jdelete (and Tractor's other spelling, --jretire) deletes the job as --user instead of spooling, as Tractor's
    // does: the job moves to the archive. A job that is not in the queue, or another user's, is an error naming it.
    [Fact]
    public async Task JDelete_DeletesTheJobAsTheUser_AndSpoolsNothing()
    {
        const string Script = "Job -title {doomed} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {1}} } }";
        var ana = await _site.SpoolAsync(Script, "ana");
        var other = await _site.SpoolAsync(Script, "ana");
        var bob = await _site.SpoolAsync(Script, "bob");

        // The native client deletes it; the runtime's run after it finds no job to delete.
        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--user", "ana", "--jdelete", ana.ToString());
        Assert.Equal((0, $"J{ana} delete OK\n"), (native.Code, native.Stdout));
        Assert.Equal(1, runtime.Code);
        Assert.Contains($"{ana}", runtime.Stderr);
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--user", "ana", $"--jretire={bob}");
        Assert.Equal(runtime, native);
        Assert.Equal(1, native.Code);

        Assert.Equal([other, bob], (await _site.Client.JobsAsync()).Select(j => j.Jid).Order());
        Assert.Contains(ana, (await _site.Client.JobsAsync(archived: true)).Select(j => j.Jid));
        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "--user", "ana", "--jdelete", "x1");
        Assert.Equal(runtime, native);
        Assert.Equal(2, native.Code);
        Assert.Contains("--jdelete: 'x1' is no job id", native.Stderr);
    }

    // --ribs: a prman task for each RIB file; --rib: one prman command for them all; --nrm: netrender from the spool
    // host's blade (a local Cmd) instead.
    [Fact]
    public async Task RibFiles_AreRenderedByPrman_OneTaskEach_OrOneCommand_OrByNetrenderWithNrm()
    {
        async Task<List<Furrow.Client.Protocol.CommandRow>> SpooledAsync(params string[] args)
        {
            var (native, runtime) = await BothAsync(null, null, ["--engine", _site.Engine, .. args]);
            Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
            var commands = await _site.Client.CommandsAsync($"jid={native.Stdout.Trim()}", null, new ListOptions());
            var again = await _site.Client.CommandsAsync($"jid={runtime.Stdout.Trim()}", null, new ListOptions());
            Assert.Equal(commands.Select(c => (string.Join(' ', c.Argv), c.Kind, c.Tid)), again.Select(c => (string.Join(' ', c.Argv), c.Kind, c.Tid)));
            return commands;
        }

        var ribs = await SpooledAsync("--ribs", "/show/a.rib", "/show/b.rib");
        Assert.Equal(["prman -Progress /show/a.rib", "prman -Progress /show/b.rib"], ribs.Select(c => string.Join(' ', c.Argv)).Order());
        Assert.Equal(2, ribs.Select(c => c.Tid).Distinct().Count());
        Assert.All(ribs, c => Assert.Equal("remote", c.Kind));

        var rib = Assert.Single(await SpooledAsync("--rib", "/show/a.rib", "/show/b.rib"));
        Assert.Equal(["prman", "-Progress", "/show/a.rib", "/show/b.rib"], rib.Argv);

        var nrm = Assert.Single(await SpooledAsync("--nrm", "--ribs", "/show/a.rib"));
        Assert.Equal(["netrender", "%H", "-f", "-Progress", "/show/a.rib"], nrm.Argv);
        Assert.Equal("local", nrm.Kind);

        var (code, _, stderr) = (await BothAsync(null, null, "--engine", _site.Engine, "--nrm", "-c", "echo")).Native;
        Assert.Equal(2, code);
        Assert.Contains("--nrm goes with --rib or --ribs", stderr);
    }

    // After -c every word is the command's, so one of tractor-spool's own options there is refused by its name, whether
    // it has a value, an empty one or none, rather than read as an option missing its value; after -c -- it is the
    // command's.
    [Theory]
    [InlineData("--title=")]
    [InlineData("--title")]
    [InlineData("--title=x")]
    [InlineData("--paused")]
    [InlineData("-q")]
    public async Task OneOfOurOptionsAfterDashC_IsRefusedByName_UnlessDoubleDashFollowsDashC(string word)
    {
        var name = word.Split('=')[0];

        var (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "-c", "echo", word);

        Assert.Equal(runtime, native);
        Assert.Equal(2, native.Code);
        Assert.StartsWith($"furrow spool: {name} after -c: -c ends the options, so furrow spool's go before it; to pass {name} to the command, put -- after -c", native.Stderr);
        Assert.Empty(await _site.Client.JobsAsync(archived: true));

        (native, runtime) = await BothAsync(null, null, "--engine", _site.Engine, "-c", "--", "echo", word);
        Assert.True(native.Code == 0 && runtime.Code == 0, native.Stderr + runtime.Stderr);
        var command = Assert.Single(await _site.Client.CommandsAsync($"jid={native.Stdout.Trim()}", null, new ListOptions()));
        Assert.Equal(["echo", word], command.Argv);
    }
}
