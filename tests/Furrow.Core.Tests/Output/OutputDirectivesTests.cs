using System.Text;
using Furrow.Core.Output;

namespace Furrow.Core.Tests.Output;

/// <summary>Output directives (exit status and progress) found in one stream's bytes as they arrive.</summary>
public sealed class OutputDirectivesTests
{
    private static byte[] B(string text) => Encoding.Latin1.GetBytes(text);

    [Fact]
    public void Feed_AnExitStatusSplitOverChunks_AndEndedByACarriageReturn_IsFound()
    {
        var directives = new OutputDirectives();
        Assert.Equal(DirectivesFound.None, directives.Feed(B("frame 1 done\nTR_EXIT_")));
        Assert.Equal(DirectivesFound.None, directives.Feed(B("STA")));
        Assert.Equal(DirectivesFound.ExitStatus | DirectivesFound.Progress, directives.Feed(B("TUS 5\rR90000  45%\r")));
        Assert.Equal(5, directives.ExitStatus);
        Assert.Equal(45, directives.Progress);
    }

    [Fact]
    public void Feed_TheLastExitStatusWins_AndOneOnTheLastLineCountsAtTheEnd()
    {
        var directives = new OutputDirectives();
        directives.Feed(B("TR_EXIT_STATUS 2\nALF_EXIT_STATUS 7"));
        Assert.Equal(2, directives.ExitStatus);
        Assert.Equal(DirectivesFound.ExitStatus, directives.Finish());
        Assert.Equal(7, directives.ExitStatus);
    }

    [Fact]
    public void Feed_ProgressSplitAtEveryByte_IsFound_AndTheLatestWins()
    {
        var directives = new OutputDirectives();
        var found = DirectivesFound.None;
        foreach (var b in B("R90000  45%\rR90000  46%\rrendering\nTR_PROGRESS 72%\n"))
            found |= directives.Feed([b]);
        Assert.Equal(DirectivesFound.Progress, found);
        Assert.Equal(72, directives.Progress);
    }

    [Fact]
    public void Feed_ProgressAfterGarbageAndBytesThatAreNotUtf8_IsFound_AndGarbageSetsNothing()
    {
        var directives = new OutputDirectives();
        Assert.Equal(DirectivesFound.None, directives.Feed([0xe9, 0xff, (byte)' ', 0xc3, 0x28, (byte)'\n', 0x00, (byte)'\r']));
        Assert.Equal(DirectivesFound.None, directives.Feed(B("TR_PROGRESS 1\u00e9%\nR90000 \u00ff45%\nTR_PROGRESS 150%\n")));
        Assert.Null(directives.Progress);
        Assert.Equal(DirectivesFound.Progress, directives.Feed(B("\u00e9\u00e9\nALF_PROGRESS 9%\r\n")));
        Assert.Equal(9, directives.Progress);
    }

    [Fact]
    public void Feed_AnOutOfRangeValue_LeavesTheLastGoodOne()
    {
        var directives = new OutputDirectives();
        directives.Feed(B("TR_PROGRESS 60%\nTR_PROGRESS 101%\nR90000 -1%\n"));
        Assert.Equal(60, directives.Progress);
    }

    [Fact]
    public void Feed_AnOverlongLine_IsNotADirective_EvenIfItStartsLikeOne()
    {
        var directives = new OutputDirectives();
        directives.Feed(B("TR_EXIT_STATUS 4" + new string(' ', 1000) + "\nTR_PROGRESS 5%" + new string(' ', 300) + "\r"));
        Assert.Null(directives.ExitStatus);
        Assert.Null(directives.Progress);
        directives.Feed(B("TR_EXIT_STATUS 6\nTR_PROGRESS 8%\n"));
        Assert.Equal((6, 8), (directives.ExitStatus, directives.Progress));
    }

    [Fact]
    public void WithoutDirectiveLines_BlanksEveryDirectiveLine_AndKeepsEverythingElseWhereItWas()
    {
        var script = "TR_PROGRESS 10%\nTask {a} -cmds {RemoteCmd {echo TR_PROGRESS 5%}}\r\n  R90000  50%\rALF_EXIT_STATUS 0\nTask {b}";

        var cleaned = OutputDirectives.WithoutDirectiveLines(script);

        Assert.Equal("               \nTask {a} -cmds {RemoteCmd {echo TR_PROGRESS 5%}}\r\n             \r                 \nTask {b}", cleaned);
        const string plain = "Task {a} -cmds {RemoteCmd {echo R90000 5%}}\n";
        Assert.Same(plain, OutputDirectives.WithoutDirectiveLines(plain));
    }
}
