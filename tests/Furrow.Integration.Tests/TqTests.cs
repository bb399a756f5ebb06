using System.Text.Json;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// tq as wranglers' scripts use it, against a real engine (no blade: the jobs wait, so their rows hold still): chosen
/// columns without a header, JSON keyed by column names, id shorthands, sorting and limits done by the engine, archives,
/// the one-line usage errors with exit code 2, and values that must not reach the terminal raw.
/// </summary>
public sealed class TqTests : IAsyncLifetime
{
    private readonly TestSite _site = new();
    private long _ana;
    private long _bob;
    private long _hostile;

    public async Task InitializeAsync()
    {
        await _site.StartEngineAsync();
        _ana = await _site.SpoolAsync("""
            Job -title {ana shot} -priority 300 -projects {fx comp} -subtasks {
                Task {f1} -cmds { RemoteCmd {{echo} {1}} }
                Task {f2} -cmds { RemoteCmd {{echo} {2}} }
            }
            """, "ana");
        _bob = await _site.SpoolAsync("Job -title {bob shot} -priority 50 -subtasks { Task {only} -cmds { RemoteCmd {{echo} {b}} } }", "bob");
        // ESC [2J clears a terminal, BEL rings it, CR rewrites the line: none may reach a wrangler's terminal as it is.
        _hostile = await _site.SpoolAsync(
            "Job -title \"evil\\033\\[2J\\007\\rtitle\" -priority 10 -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "eve");
    }

    public async Task DisposeAsync() => await _site.DisposeAsync();

    private static string Words(string text) => string.Join(' ', text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private Task<(int Code, string Stdout, string Stderr)> Tq(params string[] args) =>
        FurrowProcess.RunAsync(["tq", "--engine", _site.Engine, "--user", "ana", .. args]);

    [Fact]
    public async Task ChosenColumns_WithoutAHeader_AreTheRowsValuesInOrder_AsAScriptReadsThem()
    {
        var (code, stdout, stderr) = await Tq("jobs", "not done", "-c", "jid,owner,pri,numtasks", "--nh", "-s", "-priority");

        Assert.True(code == 0, stderr);
        Assert.Equal([$"{_ana} ana 300 2", $"{_bob} bob 50 1", $"{_hostile} eve 10 1"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        // A value after an operator is the clause's, even one that starts with a dash.
        (code, _, stderr) = await Tq("jobs", "title", "=", "-draft", "-c", "jid");
        Assert.Equal(0, code);
        Assert.Contains("no jobs match 'title = -draft'", stderr);
        (code, stdout, _) = await Tq("jobs", "-c", "jid", "--nh", "-s", "-priority", "--limit", "1");
        Assert.Equal(0, code);
        Assert.Equal(_ana.ToString(), stdout.Trim());
        // A task search sees its job's columns: by dot notation, by a job column's own name, and by Tractor's user alias.
        (code, stdout, stderr) = await Tq("tasks", "Job.title like ana and user=ana and priority > 100", "-c", "tid,title,job.title", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.EndsWith("ana shot", l));
    }

    [Fact]
    public async Task Json_IsKeyedByTheColumnNames_WithTimesAndListsAsTheyAre()
    {
        var (code, stdout, stderr) = await Tq("--json", "jobs", $"jid={_ana}", "-c", "jid,title,projects,spooltime,numdone");

        Assert.True(code == 0, stderr);
        var row = Assert.Single(JsonDocument.Parse(stdout).RootElement.EnumerateArray());
        Assert.Equal(_ana, row.GetProperty("jid").GetInt64());
        Assert.Equal("ana shot", row.GetProperty("title").GetString());
        Assert.Equal(["fx", "comp"], row.GetProperty("projects").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(0, row.GetProperty("numdone").GetInt32());
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$", row.GetProperty("spooltime").GetString());
    }

    [Fact]
    public async Task TaskAndCommandColumnsFurrowDerives_HaveTheirValues_InListingsAndClauses()
    {
        // Depth-first tids: a=1, b=2, c=3; b holds an Instance of a, so a has two parents: the job (0) and b.
        var jid = await _site.SpoolAsync("""
            Job -title {graph} -atleast 1 -metadata {show=demo} -subtasks {
                Task {a} -atleast 2 -atmost 4 -metadata {shot=10} -preview {sho a.exr} -cmds {
                    RemoteCmd {{echo} {a1}} -id {first} -msg {hello} -metadata {pass=beauty}
                    RemoteCmd {{echo} {a2}} -refersto {first} -atmost 3
                }
                Task {b} -subtasks {
                    Task {c} -cmds { RemoteCmd {{echo} {c}} }
                    Instance {a}
                }
            }
            """, "ana");

        var (code, stdout, stderr) = await Tq("--json", "tasks", $"jid={jid}", "-c", "tid,cids,ptids,minslots,maxslots,activetime,currcid", "-s", "tid");

        Assert.True(code == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        string Cell(int row, string column) => rows[row].GetProperty(column).GetRawText();
        Assert.Equal(["[1,2]", "[]", "[3]"], rows.Select((_, i) => Cell(i, "cids")));
        Assert.Equal(["[0,2]", "[0]", "[2]"], rows.Select((_, i) => Cell(i, "ptids")));
        // A task's slots are its commands' (each falling back to its task's, then its job's, then Tractor's: at least 1,
        // at most what it needs at least); a task without commands has none.
        Assert.Equal(["2", "null", "1"], rows.Select((_, i) => Cell(i, "minslots")));
        Assert.Equal(["4", "null", "1"], rows.Select((_, i) => Cell(i, "maxslots")));
        // Nothing has run (this site has no blade).
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("activetime").ValueKind));
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("currcid").ValueKind));

        (code, stdout, stderr) = await Tq("tasks", $"jid={jid} and ptids=2 and cids", "-c", "tid", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal(["1", "3"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        (code, stdout, stderr) = await Tq("tasks", $"jid={jid} and minslots >= 2", "-c", "tid", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal("1", stdout.Trim());

        (code, stdout, stderr) = await Tq("--json", "commands", $"jid={jid}", "-c", "cid,id,refersto", "-s", "cid");
        Assert.True(code == 0, stderr);
        Assert.Equal(["first|null", "null|first", "null|null"], JsonDocument.Parse(stdout).RootElement.EnumerateArray()
            .Select(r => $"{r.GetProperty("id").GetString() ?? "null"}|{r.GetProperty("refersto").GetString() ?? "null"}"));
        (code, stdout, stderr) = await Tq("--json", "commands", $"jid={jid} and msg=hello and metadata like beauty", "-c", "cid,msg,metadata");
        Assert.True(code == 0, stderr);
        Assert.Equal("1|hello|pass=beauty", string.Join('|', JsonDocument.Parse(stdout).RootElement.EnumerateArray().Single().EnumerateObject().Select(p => p.Value.ToString())));
        (code, stdout, stderr) = await Tq("--json", "tasks", $"jid={jid} and preview", "-c", "tid,metadata,preview,chaser");
        Assert.True(code == 0, stderr);
        Assert.Equal("""[{"tid":1,"metadata":"shot=10","preview":["sho","a.exr"],"chaser":[]}]""",
            JsonSerializer.Serialize(JsonDocument.Parse(stdout).RootElement));
        (code, stdout, stderr) = await Tq("commands", "refersto=first", "-c", "jid,cid", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal($"{jid} 2", Words(stdout));
        // The job's own -metadata is kept too, and a task search reaches it as job.metadata.
        (code, stdout, stderr) = await Tq("jobs", "metadata like demo", "-c", "jid,metadata", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal($"{jid} show=demo", Words(stdout));
        (code, stdout, stderr) = await Tq("tasks", $"jid={jid} and job.metadata like demo and metadata", "-c", "tid", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal("1", stdout.Trim());
    }

    [Fact]
    public async Task ATasksBlade_IsWhereItRanLast_OnceItIsDone_InListingsAndClauses()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("ran-it", slots: 1);
        var jid = await site.SpoolAsync("Job -title {where} -subtasks {\n Task {one} -cmds { RemoteCmd {true} }\n Task {two} -cmds { RemoteCmd {true} }\n}", "ana");
        await site.WaitForJobAsync(jid, j => j.NumDone == 2, TimeSpan.FromSeconds(60), "both tasks done");

        async Task<string[]> Lines(params string[] args)
        {
            var (code, stdout, stderr) = await FurrowProcess.RunAsync(["tq", "--engine", site.Engine, "--user", "ana", .. args]);
            Assert.True(code == 0, stderr);
            return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))];
        }

        Assert.Equal(["1 done ran-it", "2 done ran-it"], await Lines("tasks", $"jid={jid}", "-c", "tid,state,blade", "--nh", "-s", "tid"));
        // The default listing shows it too, and it can be searched.
        Assert.All((await Lines("tasks", $"jid={jid}", "--nh")), l => Assert.Contains(" ran-it ", l));
        Assert.Equal(["1", "2"], await Lines("tasks", $"jid={jid} and blade=ran-it", "-c", "tid", "--nh", "-s", "tid"));
        Assert.Empty(await Lines("tasks", $"jid={jid} and blade=elsewhere", "-c", "tid", "--nh"));
    }

    [Fact]
    public async Task IdShorthands_Distinct_AndArchives()
    {
        var (code, stdout, stderr) = await Tq("jobs", _ana.ToString(), _bob.ToString(), "-c", "jid", "--nh");
        Assert.True(code == 0, stderr);
        Assert.Equal([_ana, _bob], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).Order());
        (code, stdout, _) = await Tq("tasks", _ana.ToString(), "2", "-c", "jid,tid,title", "--nh");
        Assert.Equal(0, code);
        Assert.Equal($"{_ana} 2 f2", Words(stdout));
        (code, stdout, _) = await Tq("tasks", _ana.ToString(), "1", "2", "-c", "tid", "--nh", "-s", "tid");
        Assert.Equal(0, code);
        Assert.Equal("1 2", Words(stdout));
        (code, stdout, _) = await Tq("tasks", "-c", "owner", "-d", "--nh", "-s", "owner");
        Assert.Equal(0, code);
        Assert.Equal(["ana", "bob", "eve"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        (code, _, stderr) = await Tq("--yes", "--force", "delete", $"jid={_bob}");
        Assert.True(code == 0, stderr);
        (code, stdout, stderr) = await Tq("jobs", $"jid={_bob}", "-c", "jid");
        Assert.Equal(0, code);
        Assert.Contains($"no jobs match 'jid={_bob}'", stderr);
        (code, stdout, _) = await Tq("jobs", $"jid={_bob}", "-c", "jid,state", "--nh", "--archives");
        Assert.Equal(0, code);
        Assert.Equal($"{_bob} deleted", Words(stdout));
    }

    [Theory]
    [InlineData(new[] { "jobs", "--colz", "jid" }, "unknown option '--colz' (did you mean '--cols'?)")]
    [InlineData(new[] { "jbos" }, "unknown command 'jbos' (did you mean 'jobs'?)")]
    [InlineData(new[] { "jattr", "1", "-k", "comment", "-v", "x", "--limit", "1" }, "jattr: --limit applies to listings only")]
    [InlineData(new[] { "pause", "1", "-c", "jid" }, "pause: --cols applies to listings only")]
    [InlineData(new[] { "jobs", "--limit", "-1" }, "--limit takes a whole number from 0 up, not '-1'")]
    [InlineData(new[] { "jobs", "-c", "jid,,title" }, "-c 'jid,,title': it has two commas with nothing between them")]
    [InlineData(new[] { "pause", "0" }, "'0' is not a job or task id: ids are whole numbers from 1")]
    [InlineData(new[] { "pause", "12,13" }, "'12,13': give ids as words of their own (tq pause 12 13), not joined by commas or spaces")]
    [InlineData(new[] { "trace", "x", "--jobs", "0" }, "trace: --jobs must be 1 or more")]
    [InlineData(new[] { "jobs", "--limit", "many" }, "many")]
    [InlineData(new[] { "jobs", "99999999999999999999" }, "'99999999999999999999' is not a job or task id: too large")]
    [InlineData(new[] { "blades", "3" }, "blades are not named by ids (ids are jobs' and tasks'): give a search clause, e.g. tq blades name=NAME")]
    [InlineData(new[] { "params", "3", "4" }, "params are not named by ids")]
    // An option a command does not act on is refused by name, never parsed and ignored.
    [InlineData(new[] { "jobs", "--force" }, "--force applies to operations only")]
    [InlineData(new[] { "--yes", "tasks" }, "--yes applies to operations only")]
    [InlineData(new[] { "why", "1", "--limit", "3" }, "why: --limit applies to listings only")]
    [InlineData(new[] { "log", "1", "1", "-c", "jid" }, "log: --cols applies to listings only")]
    [InlineData(new[] { "blades", "--archives" }, "--archives: blades are never deleted")]
    [InlineData(new[] { "pause-dispatch", "--force" }, "--force applies to operations only")]
    [InlineData(new[] { "--json", "jobs", "--nh" }, "--nh: --json output has no header line")]
    [InlineData(new[] { "help", "--json" }, "--json: help writes text only")]
    // A value refused before anything is sent is a usage error, whichever command takes it.
    [InlineData(new[] { "why", "abc" }, "expected JID, JID TID or JID/TID, got 'abc'")]
    [InlineData(new[] { "log", "abc", "1" }, "abc")]
    [InlineData(new[] { "log", "2" }, "log: log needs tid")]
    [InlineData(new[] { "chpri", "1", "--pri", "2000000" }, "priority 2000000 is out of range: expected a number from -1000000 to 1000000")]
    [InlineData(new[] { "jattr", "1", "-k", "priority", "-v", "-5000000" }, "out of range: expected a number from -1000000 to 1000000")]
    [InlineData(new[] { "jattr", "1", "-k", "priority", "-v", "-5e6" }, "priority '-5e6' is not a number")]
    [InlineData(new[] { "jattr", "1", "-k", "maxactive", "-v", " 3" }, "maxactive: expected a whole number of at least 0, got ' 3'")]
    [InlineData(new[] { "jattr", "1", "-k", "tier", "-v", " " }, "tier: expected a tier name")]
    public async Task AMistypedCommandOrOption_IsOneLineNamingIt_WithExitCode2(string[] args, string expected)
    {
        var (code, stdout, stderr) = await Tq(args);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public async Task AnEmptyUser_IsAUsageError_NotAnOwnerCalledUnknown()
    {
        var (code, stdout, stderr) = await FurrowProcess.RunAsync(["tq", "--engine", _site.Engine, "--user", "", "pause", _ana.ToString()]);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains("--user: the name is empty", stderr);
        Assert.False((await _site.Client.JobsAsync($"jid={_ana}")).Single().Paused);
    }

    [Fact]
    public async Task WhatOnlyTheEngineCanRefuse_IsAnError_WithExitCode1_SayingWhatIsMissing()
    {
        // The site's tiers are the engine's to know: an unknown one is its refusal, not a usage error.
        var (code, _, stderr) = await Tq("jattr", _ana.ToString(), "-k", "tier", "-v", "nosuchtier");
        Assert.True(code == 1, stderr);
        Assert.Contains("nosuchtier", stderr);

        (code, _, stderr) = await Tq("log", _ana.ToString(), "99");
        Assert.Equal(1, code);
        Assert.Contains($"job {_ana} has no task 99", stderr);
        (code, _, stderr) = await Tq("log", "99999", "1");
        Assert.Equal(1, code);
        Assert.Contains("there is no job 99999", stderr);
        (code, _, stderr) = await Tq("log", _ana.ToString(), "1");
        Assert.Equal(1, code);
        Assert.Contains($"no log for job {_ana} task 1: the task has not run yet", stderr);
        (code, _, stderr) = await Tq("why", "99999");
        Assert.Equal(1, code);
        Assert.Contains("there is no job 99999", stderr);
    }

    [Fact]
    public async Task Json_IsJson_OnEveryCommandThatPrints()
    {
        await _site.Client.RegisterBladeAsync(new Furrow.Client.Protocol.BladeRegistration("json-blade", "localhost", 2, "0.1.0", "boot-json", 1));

        var (code, stdout, stderr) = await Tq("--json", "pause-dispatch");
        Assert.True(code == 0, stderr);
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("dispatchPaused").GetBoolean());
        (code, stdout, _) = await Tq("resume-dispatch", "--json");
        Assert.False(JsonDocument.Parse(stdout).RootElement.GetProperty("dispatchPaused").GetBoolean());

        (code, stdout, stderr) = await Tq("--json", "nimby", "json-blade");
        Assert.True(code == 0, stderr);
        using (var nimby = JsonDocument.Parse(stdout))
            Assert.Equal(1, nimby.RootElement.GetProperty("affected").GetInt32());
        (code, stdout, _) = await Tq("--json", "unnimby", "json-blade");
        Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("affected").GetInt32());

        (code, stdout, stderr) = await Tq("--json", "trace", "json-blade");
        Assert.True(code == 0, stderr);
        using (var trace = JsonDocument.Parse(stdout))
        {
            Assert.Equal("json-blade", trace.RootElement.GetProperty("blade").GetString());
            Assert.StartsWith("blade json-blade", trace.RootElement.GetProperty("lines")[0].GetString());
        }
        // A job no blade has failed has nothing to clear: refused as operations refuse, and exit 1.
        (code, stdout, _) = await Tq("--json", "unblock", _ana.ToString());
        using (var unblock = JsonDocument.Parse(stdout))
        {
            Assert.Equal((1, 0, 0), (code, unblock.RootElement.GetProperty("affected").GetInt32(), unblock.RootElement.GetProperty("items").GetArrayLength()));
            Assert.Contains($"J{_ana} has no blocklist", unblock.RootElement.GetProperty("refused")[0].GetString());
        }
        (code, stdout, _) = await Tq("--json", "params", "-c", "name");
        Assert.Contains(JsonDocument.Parse(stdout).RootElement.EnumerateArray(), r => r.GetProperty("name").GetString() == "jidcounter");
    }

    [Fact]
    public async Task ATimeInAnotherYear_IsShownWithItsYear_AndOneThisYearAsTractorPrintsIt()
    {
        var (code, _, stderr) = await Tq("delay", _ana.ToString(), "-t", $"{DateTime.Now.Year + 2}-01-15T10:00");
        Assert.True(code == 0, stderr);

        var (_, stdout, _) = await Tq("jobs", $"jid={_ana}", "-c", "aftertime,spooltime", "--nh");

        var cells = stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"01/15/{DateTime.Now.Year + 2}|10:00:00", cells[0]);
        Assert.Matches(@"^\d\d/\d\d\|\d\d:\d\d:\d\d$", cells[1]);
        // As printed, it is a time the clause language reads back.
        (_, stdout, _) = await Tq("jobs", $"aftertime = {cells[0]}", "-c", "jid", "--nh");
        Assert.Equal(_ana.ToString(), stdout.Trim());
    }

    [Theory]
    [InlineData("jobs", "etalevel > 1", "not recorded by Furrow: etalevel")]
    [InlineData("jobs", "prority > 3", "did you mean 'priority'?")]
    [InlineData("invocations", "numslots > 1", "not recorded by Furrow: numslots")]
    [InlineData("tasks", "blade.name = x", "a tasks search cannot use blade columns")]
    public async Task AClauseOnAColumnFurrowDoesNotFill_IsRefusedByName_NotAnsweredEmpty(string table, string clause, string expected)
    {
        var (code, stdout, stderr) = await Tq(table, clause);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains(expected, stderr);
        (code, _, stderr) = await Tq("jobs", "-c", "jid,esttotalsecs");
        Assert.Equal(1, code);
        Assert.Contains("not recorded by Furrow: esttotalsecs", stderr);
    }

    [Fact]
    public async Task HelpColumns_OffersAnAliasOnlyForARecordedColumn_AndNamesTheOthersBesideTheirColumn()
    {
        var (code, stdout, stderr) = await Tq("help", "columns");
        Assert.True(code == 0, stderr);
        Assert.Contains("elapsedsecs (elapsed)", stdout);
        // Each alias offered names a column its table lists as recorded (the line above its aliases).
        var lines = stdout.Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("  aliases: ", StringComparison.Ordinal))
                continue;
            var recorded = lines[i - 1][(lines[i - 1].IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            foreach (var alias in lines[i]["  aliases: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.True(recorded.Contains(alias[(alias.IndexOf('=') + 1)..]), $"{alias} is offered but its column is not recorded:\n{lines[i - 1]}");
        }
    }

    [Fact]
    public async Task TheNativeTq_AnswersAsTheOneOnTheRuntime_ForListingsJsonAndErrors()
    {
        var native = Path.Combine(Path.GetDirectoryName(FurrowProcess.FurrowDll)!, "furrow-client");
        Assert.True(File.Exists(native), $"the test run publishes the native tq beside furrow.dll ({native})");
        string[][] calls =
        [
            ["jobs", "-s", "-priority"], ["--json", "tasks", "-c", "jid,tid,title,job.title,statetime"], ["jobs", "prority=3"], ["jbos"],
            ["jobs", "--colz"], ["help", "columns"], ["params"],
        ];
        foreach (var call in calls)
        {
            var direct = await ProgramRun.RunAsync(new System.Diagnostics.ProcessStartInfo(native, ["tq", "--engine", _site.Engine, "--user", "ana", .. call]));
            var runtime = new System.Diagnostics.ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "tq", "--engine", _site.Engine, "--user", "ana", .. call]);
            runtime.Environment["FURROW_TQ_NATIVE"] = "0";
            var managed = await ProgramRun.RunAsync(runtime);
            Assert.Equal(managed, direct);
        }
    }

    [Fact]
    public async Task ControlCharactersInATitle_AreShownEscaped_NeverSentToTheTerminal()
    {
        var (code, stdout, stderr) = await Tq("jobs", $"jid={_hostile}");

        Assert.True(code == 0, stderr);
        Assert.DoesNotContain(stdout, c => c is '\u001b' or '\u0007' or '\r');
        Assert.Contains(@"evil\x1b[2J\x07\rtitle", stdout);
        // JSON carries the title as it is, escaped by JSON's own rules.
        (code, stdout, _) = await Tq("--json", "jobs", $"jid={_hostile}", "-c", "title");
        Assert.Equal("evil\u001b[2J\u0007\rtitle", JsonDocument.Parse(stdout).RootElement[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task ControlCharactersInATitle_ReachTheEnginesLogEscaped()
    {
        // The engine logs each spool with its title: whoever runs the engine (or furrow up) reads it on a terminal.
        var output = await Eventually.WaitForAsync(() => Task.FromResult(_site.EngineProcess!.Output is var o && o.Contains($"Spooled job {_hostile} ") ? o : null),
            TimeSpan.FromSeconds(10), () => $"the engine to log J{_hostile}'s spool");
        Assert.Contains(@"evil\x1b[2J\x07\rtitle", output);
        Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\r');
    }

    [Theory]
    [InlineData("bad host:x")]
    [InlineData("localhost:99999")]
    [InlineData("localhost:abc")]
    [InlineData(":5600")]
    [InlineData("http://127.0.0.1:5600/api")]
    public async Task AnEngineAddressThatIsNoAddress_IsAUsageErrorNamingIt(string engine)
    {
        var script = Path.Combine(_site.Root, "address.alf");
        await File.WriteAllTextAsync(script, "Job -title {x} -subtasks { Task {t} -cmds { RemoteCmd {true} } }");
        foreach (var command in new[] { "tq", "spool" })
        {
            var (code, _, stderr) = await FurrowProcess.RunAsync(command == "tq" ? ["tq", "--engine", engine, "jobs"] : ["spool", "--engine", engine, script]);

            Assert.True(code == 2, $"{command} --engine '{engine}': exit {code}, {stderr}");
            Assert.Contains($"engine '{engine}': expected HOST, HOST:PORT", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
    }

    // The search language takes at most 20,000 values in a list: tq refuses one id more before sending anything (a
    // task listing's first id is the job's, the rest its tasks'), and takes the limit itself.
    [Fact]
    public async Task MoreIdsThanAListTakes_AreRefusedNamingTheLimit_AndTheLimitItselfIsTaken()
    {
        var most = Furrow.Core.Query.TractorQuery.MaxListItems;
        var ids = Enumerable.Range(1, most + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        var (code, stdout, stderr) = await Tq(["jobs", .. ids]);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Contains($"{most + 1} ids given: tq takes at most {most} in one command; give them in several", stderr);
        (code, _, stderr) = await Tq(["tasks", _ana.ToString(), .. ids]);
        Assert.Equal(2, code);
        Assert.Contains($"{most + 2} ids given: tq takes at most {most}", stderr);

        (code, stdout, stderr) = await Tq(["jobs", "-c", "jid", "--nh", .. ids[..(most - 1)].Append(_ana.ToString())]);
        Assert.True(code == 0, stderr);
        Assert.Contains(_ana.ToString(), stdout.Split('\n', StringSplitOptions.TrimEntries));
        (code, stdout, stderr) = await Tq(["tasks", "-c", "tid", "--nh", _ana.ToString(), .. ids[..most]]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["1", "2"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order());
    }
}
