using Furrow.Core.Output;

namespace Furrow.Core.Tests.Output;

/// <summary>Tractor's progress directives (TR_PROGRESS, ALF_PROGRESS, prman's R90000), one line at a time.</summary>
public sealed class ProgressDirectiveTests
{
    [Theory]
    [InlineData("TR_PROGRESS 45%", 45)]
    [InlineData("ALF_PROGRESS 7%", 7)]
    [InlineData("R90000  45%", 45)]
    [InlineData("R90000 100%", 100)]
    [InlineData("  TR_PROGRESS\t0% ", 0)]
    [InlineData("TR_PROGRESS 12 %", 12)]
    [InlineData("TR_PROGRESS 33.9%", 33)]
    [InlineData("[03] R90000  80%", 80)]
    [InlineData("[12]R90000 5%", 5)]
    public void Parse_AProgressLine_GivesItsPercentage(string line, int percent) =>
        Assert.Equal(percent, ProgressDirective.Parse(line));

    [Theory]
    [InlineData("TR_PROGRESS 101%")]
    [InlineData("R90000 250%")]
    [InlineData("TR_PROGRESS -5%")]
    [InlineData("TR_PROGRESS 99999999999999999999999999999999%")]
    [InlineData("TR_PROGRESS 45")]
    [InlineData("TR_PROGRESS %")]
    [InlineData("TR_PROGRESS .5%")]
    [InlineData("TR_PROGRESS 5.%")]
    [InlineData("TR_PROGRESS45%")]
    [InlineData("TR_PROGRESS 45% of frame 3")]
    [InlineData("frame 3: TR_PROGRESS 45%")]
    [InlineData("tr_progress 45%")]
    [InlineData("R900001 45%")]
    [InlineData("[03] TR_PROGRESS 45%")]
    [InlineData("[x3] R90000 45%")]
    [InlineData("[] R90000 45%")]
    [InlineData("TR_PROGRESS 1e2%")]
    [InlineData("TR_PROGRESS 4,5%")]
    [InlineData("")]
    public void Parse_AnythingElse_IsNotProgress(string line) =>
        Assert.Null(ProgressDirective.Parse(line));
}
