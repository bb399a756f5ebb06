using Furrow.Core.Text;

namespace Furrow.Core.Tests.Text;

/// <summary>JsonPlaces: a problem found after a config file was read is placed at its key's or value's line and column.</summary>
public sealed class JsonPlacesTests
{
    private const string Limits = """
        // site limits
        { "Limits": {
            "PRMAN": { "SiteMax": 1 },
            "prman": { "SiteMax": -3, },
            "nuke": { "BladeExceptions": { "gig": -2 } }
        } }
        """;

    [Theory]
    [InlineData(new[] { "Limits", "prman", "SiteMax" }, false, 4, 27)]
    [InlineData(new[] { "Limits", "prman" }, true, 4, 5)]
    [InlineData(new[] { "limits", "nuke", "bladeexceptions", "GIG" }, false, 5, 43)]
    public void Find_PointsAtTheValueOrTheKey_MatchingExactlyBeforeIgnoringCase(string[] at, bool atKey, int line, int column)
    {
        var place = JsonPlaces.Find(Limits, at, atKey, "why");

        Assert.Equal(new JsonProblem(line, column, "why"), place);
    }

    [Fact]
    public void Find_CountsListPositions()
    {
        var place = JsonPlaces.Find("{ \"BladeProfiles\": [\n  {},\n  { \"Provides\": [\"a\", \"b c\"] } ] }", ["BladeProfiles", "1", "Provides", "1"], false, "bad");

        Assert.Equal("3:23: bad", place?.ToString());
    }

    [Theory]
    [InlineData("{ \"Limits\": {} }")]
    [InlineData("{ \"Limits\": ")]
    [InlineData("[1, 2]")]
    public void Find_IsNull_WhenTheTextDoesNotHoldThePath(string json) =>
        Assert.Null(JsonPlaces.Find(json, ["Limits", "prman"], false, "why"));
}
