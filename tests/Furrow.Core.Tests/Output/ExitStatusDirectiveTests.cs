using Furrow.Core.Output;

namespace Furrow.Core.Tests.Output;

/// <summary>Tractor's TR_EXIT_STATUS / ALF_EXIT_STATUS output directive, found in streamed output.</summary>
public sealed class ExitStatusDirectiveTests
{
    [Theory]
    [InlineData("TR_EXIT_STATUS 3", 3)]
    [InlineData("ALF_EXIT_STATUS 0", 0)]
    [InlineData("  TR_EXIT_STATUS\t12  ", 12)]
    [InlineData("TR_EXIT_STATUS -1", -1)]
    public void Parse_ADirectiveLine_GivesItsStatus(string line, int status) =>
        Assert.Equal(status, ExitStatusDirective.Parse(line));

    [Theory]
    [InlineData("TR_EXIT_STATUS")]
    [InlineData("TR_EXIT_STATUS x")]
    [InlineData("TR_EXIT_STATUS 3 then more")]
    [InlineData("TR_EXIT_STATUS3")]
    [InlineData("render: TR_EXIT_STATUS 3")]
    [InlineData("TR_EXIT_STATUS 99999999999")]
    [InlineData("tr_exit_status 3")]
    public void Parse_AnythingElse_IsNotADirective(string line) =>
        Assert.Null(ExitStatusDirective.Parse(line));

    [Fact]
    public void Feed_ADirectiveSplitOverChunks_AndEndedByACarriageReturn_IsFound()
    {
        var directive = new ExitStatusDirective();
        Assert.False(directive.Feed("frame 1 done\nTR_EXIT_"));
        Assert.False(directive.Feed("STA"));
        Assert.True(directive.Feed("TUS 5\rR90000  45%\r"));
        Assert.Equal(5, directive.Status);
    }

    [Fact]
    public void Feed_TheLastDirectiveWins_AndOneOnTheLastLineCountsAtTheEnd()
    {
        var directive = new ExitStatusDirective();
        directive.Feed("TR_EXIT_STATUS 2\nALF_EXIT_STATUS 7");
        Assert.Equal(2, directive.Status);
        Assert.True(directive.Finish());
        Assert.Equal(7, directive.Status);
    }

    [Fact]
    public void Feed_AnOverlongLine_IsNotADirective_EvenIfItStartsLikeOne()
    {
        var directive = new ExitStatusDirective();
        directive.Feed("TR_EXIT_STATUS 4" + new string(' ', 1000) + "\n");
        Assert.Null(directive.Status);
        directive.Feed("TR_EXIT_STATUS 6\n");
        Assert.Equal(6, directive.Status);
    }
}
