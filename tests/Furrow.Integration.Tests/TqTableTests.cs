using Furrow.Cli.Commands;

namespace Furrow.Integration.Tests;

/// <summary>How tq cuts a cell that does not fit (never through the middle of a character), and how it writes times.</summary>
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

    [Fact]
    public void TableTime_HasNoYearInTheCurrentYear_AndTheYearInAnyOther_AndReadsBackAsTheSameTime()
    {
        var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero).ToLocalTime();
        var context = new Furrow.Core.Query.QueryContext("ana", now, TimeZoneInfo.Local);
        foreach (var (at, pattern) in new[]
        {
            (now.AddDays(-3), @"^\d\d/\d\d\|\d\d:\d\d:\d\d$"),
            (now.AddDays(60), @"^\d\d/\d\d/2027\|\d\d:\d\d:\d\d$"),
            (now.AddYears(-2), @"^\d\d/\d\d/2024\|\d\d:\d\d:\d\d$"),
        })
        {
            var whole = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond));
            var text = TqTable.TableTime(whole.ToUnixTimeMilliseconds(), now);

            Assert.Matches(pattern, text);
            Assert.True(Furrow.Core.Query.TractorQuery.TryParseTime(text, context, out var read), text);
            Assert.Equal(whole, read);
        }
    }
}
