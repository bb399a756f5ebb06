using System.Text;
using CsCheck;
using Furrow.Core.Query;
using Furrow.Core.Scripts;
using Furrow.Core.Tests.Scripts;
using Xunit.Abstractions;

namespace Furrow.Core.Tests.Fuzz;

/// <summary>
/// Fuzzing of the parsers that read what users send: alfred scripts (as text and as raw bytes), the JSON job form and
/// search clauses. Each runs for <see cref="FuzzBudget.Seconds"/> on mutated real inputs and holds the parser to its
/// contract: it answers with a result or with an error that says where (never any other exception), and what it
/// accepts survives being written out and read back.
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] AlfredVocabulary =
    [
        "Job", "Task", "RemoteCmd", "Cmd", "Instance", "Iterate", "Assign", " -title ", " -subtasks ", " -cmds ", " -service ",
        " -serialsubtasks 1", " -envkey ", " -tags ", " -atleast ", " -atmost ", " -priority ", " -after ", " -afterjids ",
        " -metadata ", " -comment ", " -cleanup ", " -postscript ", " -id ", " -chaser ", " -preview ", " -retryrc ",
        " -resumewhile ", " -dirmaps ", " -from ", " -to ", " -by ", " -template ", "{", "}", "{}", "{{", "}}", "\\", "\\{",
        "\"", "$", "${", "%r", "[", "]", ";", "\n", "#", "-1", "1e308", "NaN", "99999999999999999999", "\u00e9", "\ud83c\udfac",
    ];

    private static readonly string[] ClauseVocabulary =
    [
        " and ", " or ", " not ", " && ", " || ", "!", "(", ")", "=", "==", "!=", "<", "<=", ">", ">=", " like ", " in ", " is ",
        "~", "\"", "'", "\\", "mine", "done", "error", "active", "ready", "blocked", "paused", "-1d", "+2h", "10pm", "3/15|4pm",
        "2025-03-20T10:00", "1700000000", "1e308", "-0", "NaN", "Job.", "job.owner", "Task.", ".", "*", "%", "_", "[a-z]",
        "user", "owner", "jid", "tid", "title", "priority", "state", "spooltime", "projects", "tags", "service", "crews",
    ];

    private static readonly string[] ClauseSeeds =
    [
        "mine and not done", "title like cars and \"priority >= 400\"", "owner=louise and error", "jid=10795593 and tid=23",
        "spooltime > -1d", "active and slots like u3701", "not (state=done or state=error) and priority in [1 2 3]",
        "Job.owner=bob and title like 'shot 42'", "statetime >= 3pm", "numactive > 0 || numerror > 0", "user=alice and not paused",
    ];

    private static readonly QueryContext Context = new("bob", new DateTimeOffset(2025, 3, 20, 15, 30, 0, TimeSpan.Zero));

    private static string[] AlfredSeeds() =>
    [
        .. CorpusFiles.All.Select(CorpusFiles.Read),
        "Job -title {t} -subtasks { Task {a} -cmds { RemoteCmd {echo a} } }",
        "Job -title {x} -serialsubtasks 1 -subtasks { Task -id a {a} -cmds { Cmd {sh -c \"exit 3\"} }; Instance a }",
        "Job -title {it} -subtasks { Iterate i -from 1 -to 3 -by 1 -template { Task {f$i} -cmds { RemoteCmd {render $i} } } }",
    ];

    [Fact]
    public void AlfredParser_MutatedScripts_AnswerWithAJobOrAPlacedError_AndWhatItAcceptsReadsBackTheSame()
    {
        var runs = 0L;
        Mutations.Of(AlfredSeeds(), AlfredVocabulary).Sample(text =>
        {
            Interlocked.Increment(ref runs);
            CheckAlfred(text);
        }, time: FuzzBudget.Seconds, threads: 1, print: Escape);
        output.WriteLine($"alfred parser: {runs} inputs in {FuzzBudget.Seconds} s, 0 failures");
    }

    [Fact]
    public void AlfredParser_MutatedBytes_AnswerWithAJobOrAPlacedError()
    {
        var runs = 0L;
        Mutations.OfBytes(AlfredSeeds()).Sample(bytes =>
        {
            Interlocked.Increment(ref runs);
            var result = AlfredParser.Parse(bytes, "fuzz.alf", ScriptLimits.Default);
            if (!result.Succeeded)
                CheckPlaced(result.Error, Encoding.UTF8.GetString(bytes));
        }, time: FuzzBudget.Seconds, threads: 1, print: bytes => Convert.ToHexString(bytes));
        output.WriteLine($"alfred parser (bytes): {runs} inputs in {FuzzBudget.Seconds} s, 0 failures");
    }

    [Fact]
    public void JobJson_MutatedJobs_AnswerWithAJobOrAPlacedError_AndWhatItAcceptsReadsBackTheSame()
    {
        var seeds = AlfredSeeds().Select(s => AlfredParser.Parse(s, "seed.alf")).Where(r => r.Succeeded)
            .Select(r => JobJson.Serialize(r.GetJobOrThrow())).ToArray();
        string[] vocabulary =
        [
            "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "0", "-1", "1e308", "\"\\u0000\"", "\"\\ud800\"",
            "\"title\":", "\"subtasks\":", "\"cmds\":", "\"argv\":", "\"service\":", "\"priority\":", "\"id\":", "\"instance\":",
            "{\"title\":\"t\"}", "[[[[", "]]]]",
        ];
        var runs = 0L;
        Mutations.Of(seeds, vocabulary).Sample(json =>
        {
            Interlocked.Increment(ref runs);
            CheckJobJson(json);
        }, time: FuzzBudget.Seconds, threads: 1, print: Escape);
        output.WriteLine($"JSON job form: {runs} inputs in {FuzzBudget.Seconds} s, 0 failures");
    }

    [Fact]
    public void Clauses_Mutated_AnswerWithAQueryOrAnErrorAtAToken_AndTestAnyRow()
    {
        var runs = 0L;
        Gen.Select(Mutations.Of(ClauseSeeds, ClauseVocabulary, maxEdits: 6), Gen.Int[0, QuerySchema.All.Count - 1]).Sample((clause, table) =>
        {
            Interlocked.Increment(ref runs);
            CheckClause(clause, (QueryTable)table);
        }, time: FuzzBudget.Seconds, threads: 1, print: t => $"{(QueryTable)t.Item2}: {Escape(t.Item1)}");
        output.WriteLine($"clauses: {runs} inputs in {FuzzBudget.Seconds} s, 0 failures");
    }

    // Found by the fuzzer: a backslash sequence that makes a NUL was accepted, then what the writer wrote for the job was
    // refused (a raw NUL). A NUL cannot be in an argv string, a title or a value, so it is refused where it is written.
    [Theory]
    [InlineData("Job -title {t} -pbias 10.\\0 -subtasks { Task {a} -cmds { RemoteCmd {echo a} } }", 1, 26)]
    [InlineData("Job -title \"a\\x00b\" -subtasks { Task {a} -cmds { RemoteCmd {echo a} } }", 1, 14)]
    [InlineData("Job -title t -subtasks { Task \"a\\u0000\" -cmds { RemoteCmd {echo a} } }", 1, 33)]
    [InlineData("Job -title t -tags {a\\0b} -subtasks { Task {a} -cmds { RemoteCmd {echo a} } }", 1, 0)]
    public void AlfredParser_ABackslashSequenceThatMakesANul_IsRefusedWhereItIsWritten(string script, int line, int column)
    {
        var result = AlfredParser.Parse(script, "nul.alf");

        Assert.False(result.Succeeded, $"accepted: {(result.Succeeded ? Escape(AlfredWriter.Write(result.GetJobOrThrow())) : "")}");
        Assert.Contains("NUL", result.Error.Message);
        Assert.Equal(line, result.Error.Line);
        if (column > 0)
            Assert.Equal(column, result.Error.Column);
        CheckAlfred(script);
    }

    internal static void CheckAlfred(string text) => CheckScript(text, AlfredParser.Parse, AlfredWriter.Write);

    internal static void CheckJobJson(string json) => CheckScript(json, JobJson.Deserialize, JobJson.Serialize);

    // A script form's contract: an error that says where, or a job whose written form reads back to the same text.
    private static void CheckScript(string text, Func<string, string, ScriptParseResult> parse, Func<JobSpec, string> write)
    {
        var result = parse(text, "fuzz");
        if (!result.Succeeded)
        {
            CheckPlaced(result.Error, text);
            return;
        }
        var written = write(result.GetJobOrThrow());
        var again = parse(written, "written");
        Assert.True(again.Succeeded, $"what the writer wrote does not read back: {again.Error}\n{Escape(written)}");
        Assert.Equal(written, write(again.GetJobOrThrow()));
    }

    internal static void CheckClause(string clause, QueryTable table)
    {
        var result = TractorQuery.Parse(clause, table, Context);
        if (!result.Success)
        {
            Assert.InRange(result.Error.Column, 1, clause.Length + 1);
            Assert.NotNull(result.Error.Token);
            Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
            return;
        }
        // The canonical form is for display (shorthands such as `done` show as column-to-column comparisons, which
        // clauses cannot write), but where it is a clause it means the same: a fixed point.
        var canonical = result.Query.ToString();
        if (TractorQuery.Parse(canonical, table, Context) is { Success: true } again)
            Assert.Equal(canonical, again.Query.ToString());
        // Testing a row never throws, whatever the row holds: nothing, text, numbers, or the wrong kind.
        foreach (var value in new object?[] { null, "", "x", 0L, -1.5, double.NaN, DateTimeOffset.UnixEpoch, true })
            result.Query.Matches(QueryRow.From(result.Query.Columns.ToDictionary(c => c, _ => value)));
    }

    private static void CheckPlaced(ScriptError error, string text)
    {
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.InRange(error.Line, 1, text.Count(c => c == '\n') + 2);
        Assert.True(error.Column >= 1, $"column {error.Column}");
    }

    private static string Escape(string text)
    {
        var escaped = new StringBuilder("\"");
        foreach (var c in text)
            escaped.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        return escaped.Append('"').ToString();
    }
}
