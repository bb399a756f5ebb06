using System.Diagnostics;
using System.Text;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>Hostile and broken input: huge, deep, binary or mis-encoded scripts are refused with a position, never a crash or a hang.</summary>
public sealed class AlfredParserLimitsTests
{
    private const int Deep = 10_000;

    [Fact]
    public void Parse_RefusesDeepTaskNesting_WithErrorNotCrash()
    {
        var text = new StringBuilder("Job -title {deep}");
        for (var i = 0; i < Deep; i++)
        {
            text.Append(" -subtasks {\nTask {t} ");
        }

        text.Append('}', Deep);

        var error = ScriptAssert.Refuses(text.ToString());

        // Brace k opens on line k, so line 257's `{t}` is the 257th level: the first one too deep.
        ScriptAssert.At(error, 257, 6);
        Assert.Contains("nested more than 256 deep", error.Message);
    }

    [Fact]
    public void Parse_RefusesDeepPlainBraces_WithErrorNotCrash()
    {
        var error = ScriptAssert.Refuses("Job -title " + new string('{', Deep) + new string('}', Deep));

        ScriptAssert.At(error, 1, 12 + 256);
        Assert.Contains("braces nested more than 256 deep", error.Message);
    }

    [Fact]
    public void Parse_RefusesDeepCommandSubstitution_WithErrorNotCrash()
    {
        var nested = string.Concat(Enumerable.Repeat("[expr ", Deep)) + "1" + new string(']', Deep);

        var error = ScriptAssert.Refuses($"Job -title \"{nested}\"");

        Assert.Contains("nested more than 256 deep", error.Message);
    }

    [Fact]
    public void Parse_RefusesDeepParentheses_WithErrorNotCrash()
    {
        var error = ScriptAssert.Refuses($"Job -title [expr {{{new string('(', Deep)}1{new string(')', Deep)}}}]");

        Assert.Contains("expression nested more than 256 deep", error.Message);
    }

    [Fact]
    public void Parse_RefusesDeepUnarySigns_WithErrorNotCrash()
    {
        var error = ScriptAssert.Refuses($"Job -title [expr {{{new string('-', Deep)}1}}]");

        Assert.Contains("expression nested more than 256 deep", error.Message);
    }

    [Fact]
    public void Parse_HonoursCustomMaxDepth()
    {
        var limits = new ScriptLimits { MaxDepth = 2 };

        Assert.True(AlfredParser.Parse("Job -subtasks {Task a -subtasks {Task b}}", "x.alf", limits).Succeeded);
        var error = AlfredParser.Parse("Job -subtasks {Task a -subtasks {Task b -subtasks {Task c}}}", "x.alf", limits).Error;

        Assert.NotNull(error);
        ScriptAssert.At(error, 1, 51);
    }

    [Fact]
    public void Parse_Refuses100MegabyteScript_BySize()
    {
        var text = "Job -title {big} -comment {" + new string('x', 100 * 1024 * 1024) + "}";
        var bytes = Encoding.UTF8.GetBytes(text);

        var fromText = AlfredParser.Parse(text, "big.alf", ScriptLimits.Default);
        var fromBytes = AlfredParser.Parse(bytes, "big.alf", ScriptLimits.Default);

        Assert.False(fromText.Succeeded);
        Assert.False(fromBytes.Succeeded);
        Assert.Contains("too large", fromText.Error.Message);
        Assert.Contains("limit is 67108864 bytes", fromBytes.Error.Message);
    }

    [Fact]
    public void Parse_RefusesScriptOverMaxBytesCountedInUtf8()
    {
        var limits = new ScriptLimits { MaxBytes = 20 };

        // 18 chars but 23 UTF-8 bytes: the limit is on bytes.
        var error = AlfredParser.Parse("Job -title {ééééé}", "x.alf", limits).Error;

        Assert.NotNull(error);
        Assert.Contains("23 bytes", error.Message);
    }

    [Fact]
    public void Parse_RefusesNulCharacter_WithPosition()
    {
        var error = ScriptAssert.Refuses("Job -title {a}\n  -comment {b\0c}");

        ScriptAssert.At(error, 2, 14);
        Assert.Contains("NUL", error.Message);
    }

    [Fact]
    public void Parse_ReadsBytesThatAreNotUtf8_AsLatin1_ByteForByte()
    {
        // "Szène" as an older pipeline wrote it: è is the one byte 0xE8, which no UTF-8 sequence starts with.
        byte[] bytes = [.. "Job -title {Sz"u8, 0xE8, .. "ne} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {"u8, 0xE9, 0xE9, .. "}} } }"u8];

        var result = AlfredParser.Parse(bytes, "latin1.alf", ScriptLimits.Default);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("Sz\u00e8ne", result.Job.Title);
        Assert.Equal(["echo", "\u00e9\u00e9"], ((TaskSpec)result.Job.Subtasks[0]).Commands[0].Argv);
    }

    [Theory]
    [InlineData(new byte[] { 0x53, 0xC3, 0xA9 }, "S\u00e9")] // valid UTF-8 is UTF-8
    [InlineData(new byte[] { 0x53, 0xC3, 0x28 }, "S\u00c3(")] // a broken sequence makes the whole text Latin-1
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 }, "a\u00e2\u0082")] // so does one cut off at the end
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x53, 0xC3, 0xA9 }, "S\u00e9")] // a UTF-8 byte-order mark is dropped
    [InlineData(new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0xE9, 0x00 }, "S\u00e9")] // UTF-16 LE with its mark
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x53, 0x00, 0xE9 }, "S\u00e9")] // UTF-16 BE with its mark
    // Tractor's transport strips white space bytes from a body's ends and appends CR LF as two bytes; after UTF-16 text
    // they are dropped, not read as U+0A0D or U+0D0A, as is an odd byte left over.
    [InlineData(new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0xE9, 0x00, 0x0D, 0x0A }, "S\u00e9")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x53, 0x00, 0xE9, 0x0D, 0x0A }, "S\u00e9")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0xE9, 0x00, 0x0A }, "S\u00e9")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x53, 0x00, 0xE9, 0x00, 0x0D, 0x0A }, "S\u00e9")] // the sender's strip() took the 0A of 00 0A
    // A line end written in UTF-16 is text, and stays.
    [InlineData(new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0x0D, 0x00, 0x0A, 0x00 }, "S\r\n")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x53, 0x00, 0x0D, 0x00, 0x0A }, "S\r\n")]
    public void Decode_ReadsUtf8_ElseLatin1_AndHonoursAByteOrderMark(byte[] bytes, string expected) =>
        Assert.Equal(expected, ScriptText.Decode(bytes));

    [Fact]
    public void Parse_ReadsUtf8BytesWithByteOrderMark()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "Job -title {caf\u00e9 \u65e5\u672c}"u8];

        var result = AlfredParser.Parse(bytes, "bom.alf", ScriptLimits.Default);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("caf\u00e9 \u65e5\u672c", result.Job.Title);
    }

    [Fact]
    public void ScriptText_TryDecode_ReportsNulInBytes()
    {
        byte[] bytes = [.. "Job\n -title {a"u8, 0, .. "}"u8];

        Assert.False(ScriptText.TryDecode(bytes, "nul.alf", ScriptLimits.Default, out _, out var error));
        ScriptAssert.At(error, 2, 11);
    }

    [Fact]
    public void Parse_RefusesIterateMakingTooManyTasks_Quickly()
    {
        var clock = Stopwatch.StartNew();

        var error = ScriptAssert.Refuses("Job -subtasks {Iterate f -from 1 -to 1000000000 -template {Task \"f $f\"}}");

        Assert.Contains("at most 1000000 tasks", error.Message);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Parse_RefusesMoreTasksThanMaxTasks()
    {
        var result = AlfredParser.Parse("Job -subtasks {Task a; Task b; Task c}", "x.alf", new ScriptLimits { MaxTasks = 2 });

        Assert.False(result.Succeeded);
        ScriptAssert.At(result.Error, 1, 32);
    }

    [Fact]
    public void Parse_ReadsTwentyThousandTasks()
    {
        var text = new StringBuilder("##AlfredToDo 3.0\nJob -title {big} -subtasks {\n  Task {all} -subtasks {\n");
        for (var i = 1; i <= 20_000; i++)
        {
            text.Append("    Task {Frame ").Append(i).Append("} -cmds {\n      RemoteCmd {prman -Progress \"frame ")
                .Append(i).Append(".rib\"} -service {PixarRender} -tags {{a} {b}}\n    } -preview {sho frame.").Append(i).Append(".exr}\n");
        }

        text.Append("  }\n}\n");
        var script = text.ToString();
        var job = ScriptAssert.Parses(script);

        // How fast is the bench's business; here, that every task arrives whole.
        var tasks = ScriptAssert.OnlyTask(job).Subtasks.Cast<TaskSpec>().ToList();
        Assert.Equal(20_000, tasks.Count);
        Assert.Equal("Frame 20000", tasks[^1].Title);
        Assert.Equal(["a", "b"], tasks[^1].Commands.Single().Tags);
    }
}
