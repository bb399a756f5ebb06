using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Tests.Scripts.Tcl;

/// <summary>Tcl list splitting and quoting, in both backslash modes.</summary>
public sealed class TclListTests
{
    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData(" {a b} {} {{c}} ", new[] { "a b", "", "{c}" })]
    [InlineData("\"a b\" c\\ d", new[] { "a b", "c d" })]
    [InlineData("{a\\\n   b}", new[] { "a b" })]
    [InlineData("a\\tb \"\\x41\"", new[] { "a\tb", "A" })]
    [InlineData("\n\t", new string[0])]
    [InlineData("pre\\tpost \"ab\\\"c\" plain", new[] { "pre\tpost", "ab\"c", "plain" })]
    [InlineData("x\\ y z \"p\\nq\" r \"s\"", new[] { "x y", "z", "p\nq", "r", "s" })]
    public void TrySplit_FollowsTclListRules(string list, string[] expected)
    {
        Assert.True(TclList.TrySplit(list, TclBackslash.Mode.Tcl, out var items, out var error), error);
        Assert.Equal(expected, items);
    }

    [Theory]
    [InlineData("{a", "unmatched open brace")]
    [InlineData("\"a", "unmatched open quote")]
    [InlineData("{a}b", "followed by `b` instead of space")]
    [InlineData("\"a\"b", "followed by `b` instead of space")]
    // An emoji counts once in the character the error names.
    [InlineData("echo \U0001F3AC \"unterminated", "unmatched open quote in list (element 3, at character 8)")]
    public void TrySplit_RefusesMalformedList(string list, string message)
    {
        Assert.False(TclList.TrySplit(list, TclBackslash.Mode.Tcl, out _, out var error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void TrySplit_LenientMode_KeepsBackslashesOfWindowsPaths()
    {
        Assert.True(TclList.TrySplit("\"C:\\Program Files\\new\\nuke.exe\" \\{x\\} a\\ b", TclBackslash.Mode.Lenient, out var items, out _));

        Assert.Equal([@"C:\Program Files\new\nuke.exe", "{x}", "a b"], items);
    }

    [Theory]
    [InlineData("plain", "{plain}")]
    [InlineData("", "{}")]
    [InlineData("a {b} c", "{a {b} c}")]
    [InlineData("a}", "\"a\\}\"")]
    [InlineData("end\\", "\"end\\\\\"")]
    [InlineData("$x [y]", "{$x [y]}")]
    public void QuoteElement_BracesWhenThatReadsBack_ElseQuotes(string item, string expected)
    {
        Assert.Equal(expected, TclList.QuoteElement(item));
    }

    [Theory]
    [InlineData("a}")]
    [InlineData("{")]
    [InlineData("x\\")]
    [InlineData("a\\\nb")]
    [InlineData("\"quoted\" $v [c]")]
    [InlineData("line\nbreak\ttab")]
    public void Format_ThenTrySplit_GivesTheItemsBack(string item)
    {
        string[] items = [item, "b c", ""];
        foreach (var mode in new[] { TclBackslash.Mode.Tcl, TclBackslash.Mode.Lenient })
        {
            Assert.True(TclList.TrySplit(TclList.Format(items), mode, out var back, out var error), error);
            Assert.Equal(items, back);
        }
    }
}
