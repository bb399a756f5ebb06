using Furrow.Core.Scheduling;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>What <see cref="ServiceKey.Parse"/> accepts, its normalised text and the keys it names.</summary>
public sealed class ServiceKeyParseTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    [InlineData("\"\"")]
    [InlineData(" ' ' ")]
    public void Parse_EmptyText_IsNoRequirement(string? text)
    {
        var result = ServiceKey.Parse(text);

        Assert.True(result.Success);
        Assert.True(result.Key.IsEmpty);
        Assert.Equal("", result.Key.Text);
        Assert.Empty(result.Key.Keys);
        var bare = Blade() with { Provides = new HashSet<string>() };
        Assert.True(result.Key.Matches(bare));
        Assert.Null(result.Key.WhyNot(bare));
    }

    [Theory]
    [InlineData("PixarRender", "PixarRender")]
    [InlineData(" NukeRender", "NukeRender")]
    [InlineData("  PixarRender  ", "PixarRender")]
    [InlineData("\"PixarRender\"", "PixarRender")]
    [InlineData("'PixarRender'", "PixarRender")]
    [InlineData("\"PixarRender && Linux\"", "PixarRender && Linux")]
    [InlineData("\"A\" && \"B\"", "A && B")]
    [InlineData("\"RenderHigh*\"", "\"RenderHigh*\"")]
    [InlineData("PixarRender,Linux", "PixarRender && Linux")]
    [InlineData("PixarRender , Linux", "PixarRender && Linux")]
    [InlineData("Linux||OSX", "Linux || OSX")]
    [InlineData("(A || B) && C", "(A || B) && C")]
    [InlineData("((A))", "A")]
    [InlineData("A && (B && C)", "A && B && C")]
    [InlineData("(A || B) || C", "A || B || C")]
    [InlineData("A && B || C", "A && B || C")]
    [InlineData("!slow", "!slow")]
    [InlineData("! slow", "!slow")]
    [InlineData("!!A", "!!A")]
    [InlineData("!(A || B)", "!(A || B)")]
    [InlineData("@.mem>4", "@.mem > 4")]
    [InlineData("@.MEM >= 4.5", "@.mem >= 4.5")]
    [InlineData("@.ncpus == 8", "@.nCPUs == 8")]
    [InlineData("@.cpu < .75", "@.cpu < 0.75")]
    [InlineData("@.load != 0", "@.load != 0")]
    [InlineData("@.disk <= 20", "@.disk <= 20")]
    [InlineData("!(@.mem > 4)", "!(@.mem > 4)")]
    [InlineData("!@.mem > 4", "!(@.mem > 4)")]
    [InlineData("PixarRender && ((1024 * @.mem) > 2048)", "PixarRender && 1024 * @.mem > 2048")]
    [InlineData("@.mem - (1 - 2) > 0", "@.mem - (1 - 2) > 0")]
    [InlineData("(@.mem + 1) * 2 > 8", "(@.mem + 1) * 2 > 8")]
    [InlineData("-@.load > -3", "-@.load > -3")]
    [InlineData("\"rack-15?\" || '192.168.0.*'", "\"rack-15?\" || \"192.168.0.*\"")]
    [InlineData("maya-2024.1+x/y:z_w", "maya-2024.1+x/y:z_w")]
    [InlineData("3delight && _private && .hidden", "3delight && _private && .hidden")]
    public void Parse_Accepted_NormalisesText(string text, string normalised)
    {
        var key = Key(text);

        Assert.Equal(normalised, key.Text);
        Assert.Equal(normalised, key.ToString());
        Assert.False(key.IsEmpty);
    }

    [Theory]
    [InlineData("(A || B) && !C && @.mem * 2 >= 4")]
    [InlineData("\"rack*\" || host-1 , @.disk > 10 / 2")]
    [InlineData("!(!A || -(@.load - 1) < 2)")]
    public void Parse_NormalisedText_ParsesToItself(string text)
    {
        var once = Key(text).Text;

        Assert.Equal(once, Key(once).Text);
    }

    [Fact]
    public void Keys_NamesEachBareKeyOnceInOrder_WithoutPatterns()
    {
        var key = Key("A && (B || a) && !C && \"D\" && \"E*\" && @.mem > 1");

        Assert.Equal(["A", "B", "C", "D"], key.Keys);
    }

    [Fact]
    public void Keys_OfMetricsOnly_IsEmpty()
    {
        Assert.Empty(Key("@.mem > 4 && @.nCPUs >= 8").Keys);
    }

    [Fact]
    public void Parse_LongFlatChains_StayShallowAndEvaluate()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => $"k{i}").ToArray();
        var all = Key(string.Join(" && ", keys));
        var sum = Key(string.Join(" + ", Enumerable.Repeat("1", 10_000)) + " > 9999");

        Assert.True(all.Matches(Blade(keys)));
        Assert.False(all.Matches(Blade(keys[..^1])));
        Assert.Equal(10_000, all.Keys.Count);
        Assert.True(sum.Matches(Blade()));
    }

    [Fact]
    public void Parse_NestingAtTheLimit_IsAccepted()
    {
        var depth = ServiceKey.MaxDepth;
        var key = Key(new string('(', depth) + "A" + new string(')', depth));

        Assert.Equal("A", key.Text);
    }
}
