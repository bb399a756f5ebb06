using CsCheck;
using Furrow.Core.Query;
using static Furrow.Core.Tests.Query.QueryTestSupport;

namespace Furrow.Core.Tests.Query;

/// <summary>How a clause is cut into tokens: where words end, and the token count the lexer sizes its list by.</summary>
public sealed class QueryLexerTests
{
    [Fact]
    public void EveryWhiteSpaceCharacter_EndsAWord_AndNoOtherNonPunctuationCharacterDoes()
    {
        for (var c = (char)1; c < char.MaxValue; c++)
        {
            if (c is '(' or ')' or '[' or ']' or ',' or '\'' or '"' or '=' or '<' or '>' or '!')
                continue;
            var tokens = new List<Token>();
            Assert.Null(QueryLexer.Lex($"ab{c}cd", tokens));
            var words = tokens.Where(t => t.Kind == TokenKind.Word).Select(t => t.Text).ToArray();
            if (char.IsWhiteSpace(c))
                Assert.True(words is ["ab", "cd"], $"U+{(int)c:X4} is white space: {string.Join('|', words)}");
            else
                Assert.True(words is [var word] && word == $"ab{c}cd", $"U+{(int)c:X4} is part of a word: {string.Join('|', words)}");
        }
    }

    [Fact]
    public void MostTokens_IsNeverFewerThanTheTokensLexMakes()
    {
        string[] pieces = ["a", "42", "jid", " ", "  ", "\t", "\u00A0", "\u3000", "(", ")", "[", "]", ",", "'", "\"", "=", "<", ">", "!", "!=", "<=", "like", "in", "and"];
        Gen.Int[0, pieces.Length - 1].Array[0, 40].Select(picks => string.Concat(picks.Select(p => pieces[p])))
            .Sample(clause =>
            {
                var tokens = new List<Token>();
                QueryLexer.Lex(clause, tokens);
                Assert.True(tokens.Count <= QueryLexer.MostTokens(clause), $"'{clause}': {tokens.Count} tokens, bound {QueryLexer.MostTokens(clause)}");
            }, iter: 20_000);
    }

    [Theory]
    [InlineData("jid=30\0", 7)]
    [InlineData("priority > 999\0", 15)]
    [InlineData("title like 'Sz\0qqq'", 15)]
    [InlineData("\0", 1)]
    public void ANulCharacter_IsRefusedAtItsColumn(string clause, int column)
    {
        var error = QueryLexer.Lex(clause, []);
        Assert.NotNull(error);
        Assert.Equal(column, error.Column);
        Assert.StartsWith("a NUL character in the clause", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jid in [1,2 ,3 , 4]", "(jid in [1, 2, 3, 4])")]
    [InlineData("jid in [1, 2,]", "(jid in [1, 2])")]
    [InlineData("jid in (5 6)", "(jid in [5, 6])")]
    [InlineData("jid in []", "(jid in [])")]
    [InlineData("owner in ['a b', \"c\", d]", "(owner in ['a b', 'c', 'd'])")]
    [InlineData("jid in [7] and owner in [e]", "((jid in [7]) and (owner in ['e']))")]
    public void Lists_KeepEveryItemInOrder(string clause, string expected)
    {
        Assert.Equal(expected, Compile(clause, QueryTable.Jobs).ToString());
    }

    [Fact]
    public void ALongList_KeepsEveryItemInOrder()
    {
        var ids = Enumerable.Range(0, TractorQuery.MaxListItems).Select(i => 2L * i + 1).ToArray();
        var node = Assert.IsType<InNode>(Compile($"jid in [{string.Join(' ', ids)}]", QueryTable.Jobs).Root);
        Assert.Equal(ids, node.Items.Select(v => v.AsInt));
    }
}
