using Furrow.Core.Output;

namespace Furrow.Core.Tests.Output;

/// <summary>Tilde expansion of argv words, as a shell does it for an unquoted word.</summary>
public sealed class TildeExpansionTests
{
    private static string? Home(string? user) => user switch
    {
        null => "/home/wrangler",
        "root" => "/root",
        "pipe-td" => "/net/home/pipe-td/",
        "slash" => "/",
        _ => null,
    };

    [Theory]
    [InlineData("~", "/home/wrangler")]
    [InlineData("~/shots/a.ma", "/home/wrangler/shots/a.ma")]
    [InlineData("~root", "/root")]
    [InlineData("~root/.bashrc", "/root/.bashrc")]
    [InlineData("~pipe-td/bin", "/net/home/pipe-td/bin")]
    [InlineData("~slash", "/")]
    [InlineData("~nosuchuser", "~nosuchuser")]
    [InlineData("~nosuchuser/x", "~nosuchuser/x")]
    [InlineData("a~b", "a~b")]
    [InlineData("-d", "-d")]
    [InlineData("", "")]
    [InlineData("~ro ot", "~ro ot")]
    public void Expand_GivesWhatAShellWould(string word, string expected) =>
        Assert.Equal(expected, TildeExpansion.Expand(word, Home));
}
