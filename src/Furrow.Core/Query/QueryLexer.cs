using System.Buffers;

namespace Furrow.Core.Query;

internal enum TokenKind
{
    Word,
    String,
    Op,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

/// <summary>One lexical token; <see cref="Column"/> is 1-based in the original clause.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Column)
{
    public bool IsWord(string keyword) =>
        Kind == TokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>How the token is quoted in messages; the end of input has no text of its own.</summary>
    public string Display => Kind == TokenKind.End ? "end of clause" : $"'{Text}'";
}

/// <summary>Splits a clause into tokens, splicing shell-quoted fragments back into the clause.</summary>
internal static class QueryLexer
{
    /// <summary>
    /// Tokenises <paramref name="clause"/>. A quoted string where a value is expected (after an operator or inside
    /// `[...]`) is a literal; anywhere else it is a fragment the user quoted for the shell, such as
    /// <c>"priority >= 400"</c> or <c>"&lt;"</c>, and its contents are lexed as clause text.
    /// </summary>
    public static QueryError? Lex(string clause, List<Token> tokens)
    {
        // A NUL (a \x00 in an alias's Python text) is no part of any word, number or pattern: .NET's number parsing would
        // pass over one at a number's end, and a pattern would be cut at it.
        if (clause.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
            return new QueryError(nul + 1, "\\0", "a NUL character in the clause: no word, number or pattern holds one");
        // Sized once: a long list (an operation's 20,000 jids) grown by doubling left a megabyte of garbage per clause.
        tokens.EnsureCapacity(tokens.Count + MostTokens(clause));
        var depth = 0;
        var error = LexRange(clause, 0, clause.Length, tokens, ref depth);
        tokens.Add(new Token(TokenKind.End, "", clause.Length + 1));
        return error;
    }

    private static QueryError? LexRange(string s, int start, int end, List<Token> tokens, ref int bracketDepth)
    {
        var i = start;
        while (i < end)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var column = i + 1;
            switch (c)
            {
                case '(':
                    tokens.Add(new Token(TokenKind.LParen, "(", column));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new Token(TokenKind.RParen, ")", column));
                    i++;
                    continue;
                case '[':
                    bracketDepth++;
                    tokens.Add(new Token(TokenKind.LBracket, "[", column));
                    i++;
                    continue;
                case ']':
                    bracketDepth = Math.Max(0, bracketDepth - 1);
                    tokens.Add(new Token(TokenKind.RBracket, "]", column));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new Token(TokenKind.Comma, ",", column));
                    i++;
                    continue;
                case '\'' or '"':
                {
                    // No escapes: regular expressions are full of backslashes, and the other quote character is available.
                    var close = s.IndexOf(c, i + 1, end - i - 1);
                    if (close < 0)
                        return new QueryError(column, s[i..end], "unterminated string");
                    if (ExpectsLiteral(tokens, bracketDepth))
                    {
                        tokens.Add(new Token(TokenKind.String, s[(i + 1)..close], column));
                    }
                    else
                    {
                        var error = LexRange(s, i + 1, close, tokens, ref bracketDepth);
                        if (error is not null)
                            return error;
                    }

                    i = close + 1;
                    continue;
                }
                case '=' or '<' or '>' or '!':
                {
                    var next = i + 1 < end ? s[i + 1] : '\0';
                    var two = next == '=' || (c == '<' && next == '>');
                    if (c == '!' && !two)
                        return new QueryError(column, "!", "unexpected '!'", "use 'not' or '!='");
                    var text = s.Substring(i, two ? 2 : 1);
                    tokens.Add(new Token(TokenKind.Op, text, column));
                    i += text.Length;
                    continue;
                }
            }

            var wordStart = i;
            var length = s.AsSpan(i, end - i).IndexOfAny(Delimiters);
            i = length < 0 ? end : i + length;
            tokens.Add(new Token(TokenKind.Word, s[wordStart..i], column));
        }

        return null;
    }

    // At least as many tokens as Lex makes of the clause, the end's included: every token starts at a delimiter or at
    // the first character of a word (a quoted literal is counted as its quotes and the words inside).
    internal static int MostTokens(string clause)
    {
        var count = 1;
        var rest = clause.AsSpan();
        while (!rest.IsEmpty)
        {
            var delimiter = rest.IndexOfAny(Delimiters);
            if (delimiter != 0)
                count++;
            if (delimiter < 0)
                break;
            if (!char.IsWhiteSpace(rest[delimiter]))
                count++;
            rest = rest[(delimiter + 1)..];
        }

        return count;
    }

    private static bool ExpectsLiteral(List<Token> tokens, int bracketDepth)
    {
        if (bracketDepth > 0 || tokens.Count == 0)
            return bracketDepth > 0;
        var previous = tokens[^1];
        return previous.Kind == TokenKind.Op || previous.IsWord("like");
    }

    // What ends a word: white space (any of Unicode's, as char.IsWhiteSpace has it) and the clause's punctuation. A set
    // searched a vector at a time, as an operation's list of 20,000 jids is 120,000 characters of words.
    private static readonly SearchValues<char> Delimiters = SearchValues.Create(
        [.. Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsWhiteSpace), '(', ')', '[', ']', ',', '\'', '"', '=', '<', '>', '!']);
}
