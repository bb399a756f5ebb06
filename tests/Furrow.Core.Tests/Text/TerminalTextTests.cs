using Furrow.Core.Text;

namespace Furrow.Core.Tests.Text;

/// <summary>TerminalText.Shown: a value quoted in a message is cut at 60 characters and its control characters escaped.</summary>
public sealed class TerminalTextTests
{
    [Fact]
    public void Shown_CutsAt60AndEscapesControlCharacters()
    {
        Assert.Equal("q\\nx", TerminalText.Shown("q\nx"));
        Assert.Equal(new string('a', 60) + "...", TerminalText.Shown(new string('a', 61)));
        Assert.Equal(new string('a', 60), TerminalText.Shown(new string('a', 60)));
        Assert.Equal(new string('a', 59) + "\\x1b...", TerminalText.Shown(new string('a', 59) + "\u001b" + "tail"));
    }
}
