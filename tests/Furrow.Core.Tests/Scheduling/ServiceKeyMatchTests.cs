using Furrow.Core.Scheduling;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>Which blades an expression accepts, and the reason it gives for the ones it does not.</summary>
public sealed class ServiceKeyMatchTests
{
    [Fact]
    public void Matches_KeyIgnoresCase_EvenWithACaseSensitiveSet()
    {
        var blade = Blade("PixarRender");

        Assert.True(Key("pixarRender").Matches(blade));
        Assert.True(Key("PIXARRENDER").Matches(blade));
        Assert.False(Key("PixarRenderX").Matches(blade));
    }

    [Fact]
    public void Matches_KeyIgnoresCase_WithAProfilesIgnoreCaseSet_AndRefusesAKeyItLacks()
    {
        // blade.config's Provides set ignores case itself, so the key test takes its answer without walking it.
        var blade = new BladeTraits("render07", "10.0.0.7", "linux", new HashSet<string>(["PixarRender", "Maya"], StringComparer.OrdinalIgnoreCase),
            16, 32, 100, 2);

        Assert.True(Key("pixarrender").Matches(blade));
        Assert.True(Key("MAYA && PixarRender").Matches(blade));
        Assert.False(Key("Nuke").Matches(blade));
        Assert.True(Key("!Nuke").Matches(blade));
        Assert.True(Key("render07").Matches(blade));
    }

    [Theory]
    [InlineData("render07")]
    [InlineData("RENDER07")]
    [InlineData("\"10.0.0.7\"")]
    [InlineData("\"render0?\"")]
    [InlineData("'10.0.0.*'")]
    public void Matches_BladeNameOrHost_AsAKey(string text)
    {
        Assert.True(Key(text).Matches(Blade()));
    }

    [Fact]
    public void Matches_CommaMeansAnd_AsTractorDocuments()
    {
        var key = Key("PixarRender,NorthAnnex");

        Assert.False(key.Matches(Blade("PixarRender")));
        Assert.Equal("does not provide NorthAnnex", key.WhyNot(Blade("PixarRender")));
        Assert.True(key.Matches(Blade("PixarRender", "NorthAnnex")));
    }

    [Fact]
    public void WhyNot_NoAlternativeProvided_NamesThemAll()
    {
        var key = Key("PixarRender || RfMRender");

        Assert.Equal("provides none of PixarRender, RfMRender", key.WhyNot(Blade("NukeRender")));
        Assert.Null(key.WhyNot(Blade("rfmrender")));
    }

    [Fact]
    public void WhyNot_MissingKey_SaysSo()
    {
        Assert.Equal("does not provide PixarRender", Key("PixarRender").WhyNot(Blade("NukeRender")));
    }

    [Fact]
    public void WhyNot_ExcludedKey_NamesItAndTheNegation()
    {
        var key = Key("PixarRender && !slow");

        Assert.False(key.Matches(Blade("PixarRender", "Slow")));
        Assert.Equal("provides slow, excluded by !slow", key.WhyNot(Blade("PixarRender", "Slow")));
        Assert.True(key.Matches(Blade("PixarRender")));
    }

    [Fact]
    public void Matches_ProvidesNull_MeansEveryKey()
    {
        var everything = Blade() with { Provides = null };

        Assert.True(Key("AnythingAtAll && \"x*\"").Matches(everything));
        Assert.False(Key("!slow").Matches(everything));
        Assert.Equal("provides slow, excluded by !slow", Key("!slow").WhyNot(everything));
    }

    [Theory]
    [InlineData("@.mem > 4", 2.1, "has 2.1 GB free memory, needs @.mem > 4")]
    [InlineData("@.mem >= 4.5", 4.499, "has 4.5 GB free memory, needs @.mem >= 4.5")]
    [InlineData("@.disk > 50", null, "has 20 GB free disk, needs @.disk > 50")]
    public void WhyNot_ResourceTest_StatesWhatTheBladeHas(string text, double? memory, string reason)
    {
        var blade = Blade() with { MemoryGB = memory ?? 32, DiskGB = 20 };

        Assert.False(Key(text).Matches(blade));
        Assert.Equal(reason, Key(text).WhyNot(blade));
    }

    [Fact]
    public void WhyNot_CoresLoadAndCpu_UseTheirOwnWords()
    {
        var blade = Blade() with { Cores = 4, Load = 8 };

        Assert.Equal("has 4 CPUs, needs @.nCPUs >= 16", Key("@.nCPUs >= 16").WhyNot(blade));
        Assert.Equal("has load 8, needs @.load < 2", Key("@.load < 2").WhyNot(blade));
        Assert.Equal("has CPU usage 2 per core, needs @.cpu < 0.5", Key("@.cpu < .5").WhyNot(blade));
        Assert.Equal("has 1 CPU, needs @.nCPUs > 1", Key("@.nCPUs > 1").WhyNot(blade with { Cores = 1 }));
    }

    [Theory]
    [InlineData("@.mem < 8", false)]
    [InlineData("@.mem <= 8", true)]
    [InlineData("@.mem > 8", false)]
    [InlineData("@.mem >= 8", true)]
    [InlineData("@.mem == 8", true)]
    [InlineData("@.mem != 8", false)]
    [InlineData("8 == @.mem", true)]
    [InlineData("(1024 * @.mem) > 2048", true)]
    [InlineData("1024 * @.mem > 8192", false)]
    [InlineData("@.mem / 2 + 1 == 5", true)]
    [InlineData("@.mem - 10 < -1", true)]
    [InlineData("-@.mem == -8", true)]
    [InlineData("@.mem - (4 - 2) == 6", true)]
    [InlineData("@.mem - 4 - 2 == 2", true)]
    public void Matches_Comparisons_AndArithmetic(string text, bool expected)
    {
        var blade = Blade() with { MemoryGB = 8 };

        Assert.Equal(expected, Key(text).Matches(blade));
    }

    [Fact]
    public void WhyNot_SeveralFailedConditions_ListsEach()
    {
        var blade = Blade("NukeRender") with { MemoryGB = 2 };

        Assert.Equal("does not provide PixarRender; has 2 GB free memory, needs @.mem > 4",
            Key("PixarRender && @.mem > 4").WhyNot(blade));
        Assert.Equal("provides none of PixarRender, \"rfm*\"; has 2 GB free memory, needs @.mem > 4",
            Key("PixarRender || \"rfm*\" || @.mem > 4").WhyNot(blade));
    }

    [Fact]
    public void WhyNot_TwoMetricsInOneComparison_DescribesBoth()
    {
        var blade = Blade() with { MemoryGB = 2, Cores = 8 };

        Assert.Equal("has 2 GB free memory and 8 CPUs, needs @.mem / @.nCPUs >= 1", Key("@.mem / @.nCPUs >= 1").WhyNot(blade));
    }

    [Fact]
    public void Matches_Pattern_AgainstProvidedKeysIgnoringCase()
    {
        var blade = Blade("GPU-A100");

        Assert.True(Key("\"gpu*\"").Matches(blade));
        Assert.False(Key("\"cpu*\"").Matches(blade));
        Assert.Equal("provides nothing matching \"cpu*\"", Key("\"cpu*\"").WhyNot(blade));
    }

    [Fact]
    public void WhyNot_ExcludedPattern_NamesIt()
    {
        var blade = Blade("Wkst") with { Name = "render-loc-01" };
        var key = Key("Wkst && !\"*loc*\"");

        Assert.False(key.Matches(blade));
        Assert.Equal("provides a key matching \"*loc*\", excluded by !\"*loc*\"", key.WhyNot(blade));
    }

    [Fact]
    public void WhyNot_NegatedComparisonAndGroup_ExplainWhatMatched()
    {
        Assert.Equal("has 32 GB free memory, excluded by !(@.mem > 4)", Key("!(@.mem > 4)").WhyNot(Blade()));
        Assert.Equal("matches A && B, excluded by !(A && B)", Key("!(A && B)").WhyNot(Blade("A", "B")));
        Assert.True(Key("!(A && B)").Matches(Blade("A")));
    }

    [Fact]
    public void Matches_UnreportedFigures_MeetNoTest()
    {
        var blade = Blade() with { MemoryGB = double.NaN };

        Assert.False(Key("@.mem > 4").Matches(blade));
        Assert.False(Key("@.mem != 4").Matches(blade));
        Assert.Equal("has not reported its free memory, needs @.mem > 4", Key("@.mem > 4").WhyNot(blade));
        Assert.Equal("has 16 CPUs; has not reported its free memory, needs @.mem * @.nCPUs > 4",
            Key("@.mem * @.nCPUs > 4").WhyNot(blade));
    }

    [Fact]
    public void WhyNot_ConstantComparison_SaysItIsNeverTrue()
    {
        Assert.Equal("needs 0 / 0 > 0, which is never true", Key("0 / 0 > 0").WhyNot(Blade()));
        Assert.Equal("needs 1 > 2, which is never true", Key("1 > 2").WhyNot(Blade()));
        Assert.True(Key("@.mem / 0 > 1").Matches(Blade()));
    }

    [Fact]
    public void WhyNot_IsNullExactlyWhenMatches()
    {
        string[] expressions =
        [
            "A", "!A", "A && B", "A || B", "A,!B", "!(A || B)", "(A || \"b*\") && @.mem > 4", "@.disk < 10 || C",
            "!(@.nCPUs >= 8 && A)", "!!A", "\"render*\" && !B",
        ];
        BladeTraits[] blades =
        [
            Blade(), Blade("A"), Blade("B"), Blade("A", "B"), Blade("C") with { DiskGB = 5 },
            Blade("a", "bee") with { MemoryGB = 1 }, Blade() with { Provides = null }, Blade("A") with { Cores = 2 },
        ];

        foreach (var text in expressions)
        {
            var key = Key(text);
            foreach (var blade in blades)
                Assert.Equal(key.Matches(blade), key.WhyNot(blade) is null);
        }
    }
}
