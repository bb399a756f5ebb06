using Furrow.Core.Scheduling;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>Bad expressions come back as <see cref="ServiceKeyError"/> with the 1-based column and token, never as exceptions.</summary>
public sealed class ServiceKeyErrorTests
{
    [Theory]
    [InlineData("A &&", 5, "", "expected a service key or '(' after '&&', found end of text")]
    [InlineData("Nuke ||", 8, "", "expected a service key or '(' after '||', found end of text")]
    [InlineData("Nuke ,", 7, "", "expected a service key or '(' after ',', found end of text")]
    [InlineData("   A &&   ", 8, "", "expected a service key or '(' after '&&', found end of text")]
    [InlineData("&& A", 1, "&&", "expected a service key or '(', found '&&'")]
    [InlineData("A && && B", 6, "&&", "expected a service key or '(' after '&&', found '&&'")]
    [InlineData("!", 2, "", "expected a service key or '(' after '!', found end of text")]
    [InlineData("()", 2, ")", "expected a service key or '(' after '(', found ')'")]
    [InlineData("(A || B", 8, "", "expected ')' to close the '(' at column 1, found end of text")]
    [InlineData("A && ((B || C)", 15, "", "expected ')' to close the '(' at column 6, found end of text")]
    [InlineData("A)", 2, ")", "')' has no matching '('")]
    [InlineData("(A))", 4, ")", "')' has no matching '('")]
    [InlineData("A B", 3, "B", "expected '&&', '||' or ',' between conditions, found 'B'")]
    [InlineData("@.mem >", 8, "", "expected a number or blade metric after '>', found end of text")]
    [InlineData("@.mem > && A", 9, "&&", "expected a number or blade metric after '>', found '&&'")]
    [InlineData("2 * ", 4, "", "expected a number or blade metric after '*', found end of text")]
    [InlineData("@.foo > 3", 1, "@.foo", "unknown blade metric '@.foo' (expected @.mem, @.disk, @.nCPUs, @.cpu or @.load)")]
    [InlineData("@. > 3", 1, "@.", "unknown blade metric '@.' (expected @.mem, @.disk, @.nCPUs, @.cpu or @.load)")]
    [InlineData("@nCPUs > 4", 1, "@nCPUs", "expected '.' after '@' in a blade metric such as '@.mem', found 'n' (did you mean '@.nCPUs'?)")]
    [InlineData("@.mem", 1, "@.mem", "expected a condition, found @.mem with no comparison (e.g. '@.mem > 4')")]
    [InlineData("4", 1, "4", "expected a condition, found the number 4")]
    [InlineData("@.mem 4", 7, "4", "expected a comparison ('<', '<=', '>', '>=', '==' or '!=') after '@.mem', found '4'")]
    [InlineData("A > 4", 1, "A", "'>' works on numbers, found service key 'A'")]
    [InlineData("@.mem > A", 9, "A", "'>' works on numbers, found service key 'A'")]
    [InlineData("(A && B) > 1", 2, "A", "'>' works on numbers, found the condition A && B")]
    [InlineData("render*", 1, "render", "'*' works on numbers, found service key 'render' (a wildcard pattern needs quotes, e.g. \"render*\")")]
    [InlineData("4 && A", 1, "4", "expected a condition before '&&', found the number 4")]
    [InlineData("A && 4", 6, "4", "expected a condition after '&&', found the number 4")]
    [InlineData("A || @.mem", 6, "@.mem", "expected a condition after '||', found @.mem with no comparison (e.g. '@.mem > 4')")]
    [InlineData("!4", 2, "4", "expected a condition after '!', found the number 4")]
    [InlineData("-A > 1", 2, "A", "'-' works on numbers, found service key 'A'")]
    [InlineData("1 < @.mem < 8", 11, "<", "comparisons cannot be chained; join them with '&&', found '<'")]
    [InlineData("A & B", 3, "&", "'&' is not an operator; use '&&' (or ',') for and")]
    [InlineData("A | B", 3, "|", "'|' is not an operator; use '||' for or")]
    [InlineData("@.mem = 4", 7, "=", "'=' is not an operator; use '==' to compare")]
    [InlineData("rack-1?", 7, "?", "wildcard '?' needs quotes around its pattern, e.g. \"rack-1?\"")]
    [InlineData("A # B", 3, "#", "unexpected character '#'")]
    [InlineData("\"PixarRender", 1, "\"", "the quote \" is never closed")]
    [InlineData("A && 'B", 6, "'", "the quote ' is never closed")]
    [InlineData("\"a b\" && C", 1, "\"a b\"", "quotes may hold one service key or pattern (letters, digits, _ - . + / : * ?), found \"a b\"")]
    [InlineData("\"\" && C", 1, "\"\"", "quotes may hold one service key or pattern (letters, digits, _ - . + / : * ?), found \"\"")]
    [InlineData("\"A &&\"", 6, "", "expected a service key or '(' after '&&', found end of text")]
    // An emoji is one character: shown whole, and counted once in the columns after it.
    [InlineData("\U0001F3AC && b", 1, "\U0001F3AC", "unexpected character '\U0001F3AC'")]
    [InlineData("a && \U0001F3AC", 6, "\U0001F3AC", "unexpected character '\U0001F3AC'")]
    public void Parse_BadExpression_ReportsColumnTokenAndExpectation(string text, int column, string token, string problem)
    {
        var error = KeyError(text);

        Assert.Equal(problem, error.Problem);
        Assert.Equal(column, error.Column);
        Assert.Equal(token, error.Token);
        Assert.Equal($"column {column}: {problem}", error.Message);
        Assert.Equal(error.Message, error.ToString());
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("!", "")]
    [InlineData("-", " > 0")]
    [InlineData("!(", ")")]
    public void Parse_TenThousandNestedOpeners_IsRefusedAtTheLimitWithoutOverflow(string opener, string closer)
    {
        var depth = 10_000;
        var atom = opener.StartsWith('-') ? "1" : "A";
        var text = string.Concat(Enumerable.Repeat(opener, depth)) + atom + string.Concat(Enumerable.Repeat(closer, opener == "-" ? 1 : depth));

        var error = KeyError(text);

        Assert.Equal($"expression nested deeper than {ServiceKey.MaxDepth} levels", error.Problem);
        // The first opener past the limit is the 65th nesting level.
        var expectedColumn = opener.Length == 1 ? ServiceKey.MaxDepth + 1 : (ServiceKey.MaxDepth / 2 * opener.Length) + 1;
        Assert.Equal(expectedColumn, error.Column);
    }

    [Fact]
    public void Parse_OneLevelPastTheLimit_IsRefused()
    {
        var depth = ServiceKey.MaxDepth + 1;

        var error = KeyError(new string('(', depth) + "A" + new string(')', depth));

        Assert.Equal(depth, error.Column);
        Assert.Equal("(", error.Token);
    }

    [Fact]
    public void Parse_NeverThrows_OnArbitraryPunctuation()
    {
        var alphabet = "A1 ()!&|,<>=@.*?\"'-+/:#";
        var random = new Random(20240611);
        for (var i = 0; i < 5_000; i++)
        {
            var chars = new char[random.Next(0, 16)];
            for (var j = 0; j < chars.Length; j++)
                chars[j] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);

            var result = ServiceKey.Parse(text);

            if (result.Success)
                Assert.Equal(result.Key.Text, Key(result.Key.Text).Text);
            else
                Assert.InRange(result.Error.Column, 1, text.Length + 1);
        }
    }
}
