namespace Furrow.Core.Scheduling;

internal enum ServiceTokenKind
{
    Key,
    Pattern,
    Metric,
    Number,
    And,
    Or,
    Not,
    LParen,
    RParen,
    Compare,
    Plus,
    Minus,
    Times,
    Divide,
    End,
}

/// <summary>
/// One token of a service key expression. <see cref="Text"/> is the key, the pattern without its quotes, the
/// canonical metric name or the operator; <see cref="Source"/> is the token as written; <see cref="Column"/> is 1-based.
/// </summary>
internal readonly record struct ServiceToken(ServiceTokenKind Kind, string Text, string Source, int Column)
{
    /// <summary>How the token is quoted in messages.</summary>
    public string Display => Kind == ServiceTokenKind.End ? "end of text" : $"'{Source}'";
}

/// <summary>Splits a service key expression into tokens; the first bad character ends lexing with an error.</summary>
internal static class ServiceKeyLexer
{
    /// <summary>Lexes <paramref name="text"/>[<paramref name="start"/>..<paramref name="end"/>) and appends an end token.</summary>
    public static ServiceKeyError? Lex(string text, int start, int end, List<ServiceToken> tokens)
    {
        var i = start;
        while (i < end)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var error = c switch
            {
                '"' or '\'' => LexQuoted(text, i, end, tokens, out i),
                '@' => LexMetric(text, i, end, tokens, out i),
                _ when IsKeyStart(c) => LexWord(text, i, end, tokens, out i),
                _ => LexOperator(text, i, end, tokens, out i),
            };
            if (error is not null)
                return error;
        }

        tokens.Add(new ServiceToken(ServiceTokenKind.End, "", "", end + 1));
        return null;
    }

    /// <summary>Keys start with a letter, digit, <c>_</c> or <c>.</c>, so <c>-</c>, <c>+</c> and <c>/</c> at a token's start are operators.</summary>
    public static bool IsKeyStart(char c) => char.IsLetterOrDigit(c) || c is '_' or '.';

    public static bool IsKeyChar(char c) => IsKeyStart(c) || c is '-' or '+' or '/' or ':';

    /// <summary>True when <paramref name="text"/> is one bare key or wildcard pattern, as a quoted token must be.</summary>
    public static bool IsSingleKeyOrPattern(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            return false;
        foreach (var c in text)
        {
            if (!IsKeyChar(c) && c is not ('*' or '?'))
                return false;
        }

        return true;
    }

    private static ServiceKeyError? LexWord(string text, int start, int end, List<ServiceToken> tokens, out int next)
    {
        next = start;
        while (next < end && IsKeyChar(text[next]))
            next++;
        var word = text[start..next];
        var kind = IsNumber(word) ? ServiceTokenKind.Number : ServiceTokenKind.Key;
        tokens.Add(new ServiceToken(kind, word, word, start + 1));
        return null;
    }

    private static bool IsNumber(string word)
    {
        var digits = 0;
        var dots = 0;
        foreach (var c in word)
        {
            if (char.IsAsciiDigit(c))
                digits++;
            else if (c == '.')
                dots++;
            else
                return false;
        }

        return digits > 0 && dots <= 1;
    }

    private static ServiceKeyError? LexQuoted(string text, int start, int end, List<ServiceToken> tokens, out int next)
    {
        var quote = text[start];
        var close = text.IndexOf(quote, start + 1, end - start - 1);
        next = end;
        if (close < 0)
            return new ServiceKeyError(start + 1, quote.ToString(), $"the quote {quote} is never closed");
        next = close + 1;
        var inner = text.AsSpan(start + 1, close - start - 1);
        var source = text[start..next];
        if (!IsSingleKeyOrPattern(inner))
        {
            return new ServiceKeyError(start + 1, source,
                $"quotes may hold one service key or pattern (letters, digits, _ - . + / : * ?), found {source}");
        }

        var body = inner.ToString();
        var kind = GlobPattern.HasWildcards(body) ? ServiceTokenKind.Pattern : ServiceTokenKind.Key;
        tokens.Add(new ServiceToken(kind, body, source, start + 1));
        return null;
    }

    private static ServiceKeyError? LexMetric(string text, int start, int end, List<ServiceToken> tokens, out int next)
    {
        next = start + 1;
        var hasDot = next < end && text[next] == '.';
        if (hasDot)
            next++;
        var nameStart = next;
        while (next < end && char.IsLetterOrDigit(text[next]))
            next++;
        var name = text[nameStart..next];
        var source = text[start..next];
        if (!hasDot)
        {
            var hint = BladeMetrics.TryParse(name, out var guessed) ? $" (did you mean '{BladeMetrics.Text(guessed)}'?)" : "";
            return new ServiceKeyError(start + 1, source, $"expected '.' after '@' in a blade metric such as '@.mem', found {Found(text, nameStart, end)}{hint}");
        }

        if (!BladeMetrics.TryParse(name, out var metric))
            return new ServiceKeyError(start + 1, source, $"unknown blade metric '{source}' (expected {BladeMetrics.KnownList})");
        tokens.Add(new ServiceToken(ServiceTokenKind.Metric, BladeMetrics.Text(metric), source, start + 1));
        return null;
    }

    private static ServiceKeyError? LexOperator(string text, int start, int end, List<ServiceToken> tokens, out int next)
    {
        var c = text[start];
        var following = start + 1 < end ? text[start + 1] : '\0';
        (ServiceTokenKind Kind, int Length)? op = (c, following) switch
        {
            ('&', '&') => (ServiceTokenKind.And, 2),
            ('|', '|') => (ServiceTokenKind.Or, 2),
            ('=', '=') or ('!', '=') or ('<', '=') or ('>', '=') => (ServiceTokenKind.Compare, 2),
            ('<', _) or ('>', _) => (ServiceTokenKind.Compare, 1),
            (',', _) => (ServiceTokenKind.And, 1),
            ('!', _) => (ServiceTokenKind.Not, 1),
            ('(', _) => (ServiceTokenKind.LParen, 1),
            (')', _) => (ServiceTokenKind.RParen, 1),
            ('+', _) => (ServiceTokenKind.Plus, 1),
            ('-', _) => (ServiceTokenKind.Minus, 1),
            ('*', _) => (ServiceTokenKind.Times, 1),
            ('/', _) => (ServiceTokenKind.Divide, 1),
            _ => null,
        };
        if (op is { } found)
        {
            next = start + found.Length;
            var source = text[start..next];
            var canonical = found.Kind == ServiceTokenKind.And ? "&&" : source;
            tokens.Add(new ServiceToken(found.Kind, canonical, source, start + 1));
            return null;
        }

        next = end;
        var problem = c switch
        {
            '&' => "'&' is not an operator; use '&&' (or ',') for and",
            '|' => "'|' is not an operator; use '||' for or",
            '=' => "'=' is not an operator; use '==' to compare",
            '?' => "wildcard '?' needs quotes around its pattern, e.g. \"rack-1?\"",
            _ => $"unexpected character '{Character(text, start)}'",
        };
        return new ServiceKeyError(start + 1, Character(text, start), problem);
    }

    // The character at `at`, whole: an emoji is two UTF-16 units, never shown as half of one.
    private static string Character(string text, int at) =>
        char.IsHighSurrogate(text[at]) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]) ? text.Substring(at, 2) : text[at].ToString();

    private static string Found(string text, int at, int end) =>
        at >= end || char.IsWhiteSpace(text[at]) ? (at >= end ? "end of text" : "a space") : $"'{Character(text, at)}'";
}
