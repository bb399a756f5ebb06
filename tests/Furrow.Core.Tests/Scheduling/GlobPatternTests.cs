using System.Diagnostics;
using Furrow.Core.Scheduling;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>The wildcard matching behind blade.config host patterns and quoted service key patterns.</summary>
public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("render*", "render07", true)]
    [InlineData("render*", "render", true)]
    [InlineData("render*", "desk01", false)]
    [InlineData("RENDER*", "render07", true)]
    [InlineData("render0?", "render07", true)]
    [InlineData("render0?", "render007", false)]
    [InlineData("10.0.0.*", "10.0.0.12", true)]
    [InlineData("10.0.0.*", "10.0.1.12", false)]
    [InlineData("*Linux*", "Linux-6.1-x86_64-64bit", true)]
    [InlineData("*Linux*", "Windows-10", false)]
    [InlineData("*", "", true)]
    [InlineData("?", "", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("*.*", "render07", false)]
    [InlineData("[ab]", "a", false)]
    [InlineData("[ab]", "[ab]", true)]
    public void IsMatch(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobPattern.IsMatch(pattern, text));
    }

    [Fact]
    public void IsMatch_HostilePattern_StaysFast()
    {
        var text = new string('a', 20_000);
        var watch = Stopwatch.StartNew();

        var matched = GlobPattern.IsMatch("*a*a*a*a*a*a*a*a*b", text);

        Assert.False(matched);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
