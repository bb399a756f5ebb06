using Furrow.Core.Output;

namespace Furrow.Core.Tests.Output;

/// <summary>Tractor's TR_EXIT_STATUS / ALF_EXIT_STATUS output directive, one line at a time (streamed output: OutputDirectivesTests).</summary>
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
}
