using Furrow.Cli.Commands;

namespace Furrow.Integration.Tests;

/// <summary>How tq cuts a cell that does not fit: never through the middle of a character.</summary>
public sealed class TqTableTests
{
    [Theory]
    [InlineData("abcdef", 3, "abc")]
    [InlineData("ab\U0001F600cd", 3, "ab")]
    [InlineData("ab\U0001F600cd", 4, "ab\U0001F600")]
    [InlineData("\U0001F600", 1, "")]
    [InlineData("abc", 0, "")]
    public void Cut_KeepsSurrogatePairsWhole(string text, int length, string expected)
    {
        var cut = TqTable.Cut(text, length);

        Assert.Equal(expected, cut);
        Assert.False(cut.Length > 0 && char.IsHighSurrogate(cut[^1]), "a cut ends in half a character");
    }
}
