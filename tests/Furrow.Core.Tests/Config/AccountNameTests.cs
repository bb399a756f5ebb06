using Furrow.Core.Config;

namespace Furrow.Core.Tests.Config;

public sealed class AccountNameTests
{
    [Theory]
    [InlineData("nobody")]
    [InlineData("alice")]
    [InlineData("J.Smith")]
    [InlineData("render-farm_2")]
    [InlineData("svc1")]
    [InlineData("ws042$")]
    [InlineData("alice@EXAMPLE.COM")]
    public void Problem_IsNull_ForAPlainAccountName(string name) => Assert.Null(AccountName.Problem(name));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("-rf", "it starts with '-'")]
    [InlineData("--reuid=0", "it starts with '-'")]
    [InlineData(".", "it starts with '.'")]
    [InlineData("..", "it starts with '.'")]
    [InlineData("@wheel", "it starts with '@'")]
    [InlineData("+", "it holds '+'")]
    [InlineData("a/b", "it holds '/'")]
    [InlineData("root:x:0", "it holds ':'")]
    [InlineData("a,b", "it holds ','")]
    [InlineData("a b", "it holds ' '")]
    [InlineData("a\nb", "it holds the character U+000A")]
    [InlineData("\u001b[31mred", "it holds the character U+001B")]
    [InlineData("a\0b", "it holds the character U+0000")]
    [InlineData("jos\u00e9", "it holds the character U+00E9")]
    [InlineData("a$b", "it holds '$'")]
    [InlineData("$", "it has no letter")]
    [InlineData("0", "it has no letter")]
    [InlineData("65534", "it has no letter")]
    public void Problem_SaysWhy_ForANameThatIsNotPlain(string name, string why) => Assert.Equal(why, AccountName.Problem(name)?[..why.Length]);

    [Fact]
    public void Problem_RefusesANameLongerThanLoginNameMax() =>
        Assert.Equal("it is longer than 256 characters", AccountName.Problem(new string('a', 257)));

    [Fact]
    public void Quote_ShowsControlCharactersAndQuotesAsEscapes_SoAMessageCannotRewriteATerminal() =>
        Assert.Equal("'a\\u001b[2J\\u0027\\u000d'", AccountName.Quote("a\u001b[2J'\r"));
}
