using System.Text.RegularExpressions;

namespace Furrow.Core.Query;

/// <summary>
/// Recursive-descent parser for search clauses. Precedence, loosest first: `or`, `and`, `not`, then a single test.
/// Methods return null after recording the first error, so failures stay results rather than exceptions.
/// </summary>
internal sealed class QueryParser
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);
    private static readonly string[] StateWords = ["blocked", "ready", "active", "error", "done"];

    private readonly List<Token> _tokens = [];
    private readonly QuerySchema _schema;
    private readonly QueryContext _context;
    private readonly HashSet<string> _columns;
    private readonly HashSet<string> _expanding;
    private int _position;
    private int _depth;
    private int _nesting;
    private int _tests;
    private QueryError? _error;

    private QueryParser(QuerySchema schema, QueryContext context, HashSet<string> columns, HashSet<string> expanding)
    {
        _schema = schema;
        _context = context;
        _columns = columns;
        _expanding = expanding;
    }

    /// <summary>Parses a whole clause; <paramref name="columns"/> collects the row keys the clause reads.</summary>
    public static QueryNode? Parse(string clause, QuerySchema schema, QueryContext context, HashSet<string> columns, out QueryError? error) =>
        Parse(clause, schema, context, columns, new HashSet<string>(StringComparer.OrdinalIgnoreCase), out error);

    // An alias's clause is parsed by a parser of its own that carries on the parent's depth and test count, so the limits
    // hold for the clause as expanded (aliases of aliases could otherwise double it at each step).
    private static QueryNode? Parse(string clause, QuerySchema schema, QueryContext context, HashSet<string> columns, HashSet<string> expanding,
        out QueryError? error, QueryParser? parent = null)
    {
        var parser = new QueryParser(schema, context, columns, expanding) { _nesting = parent?._nesting ?? 0, _tests = parent?._tests ?? 0 };
        error = QueryLexer.Lex(clause, parser._tokens);
        if (error is not null)
        {
            error = InCharacters(error, clause);
            return null;
        }
        var node = parser.ParseClause();
        if (parent is not null)
            parent._tests = parser._tests;
        error = parser._error is { } problem ? InCharacters(problem, clause) : null;
        return error is null ? node : null;
    }

    private Token Peek => _tokens[_position];

    private Token PeekAt(int ahead) => _tokens[Math.Min(_position + ahead, _tokens.Count - 1)];

    private Token Previous => _position > 0 ? _tokens[_position - 1] : default;

    private Token Next() => _tokens[_position++];

    private QueryNode? ParseClause()
    {
        if (Peek.Kind == TokenKind.End)
            return MatchAllNode.Instance;
        var node = ParseOr();
        if (node is null)
            return null;
        if (Peek.Kind == TokenKind.RParen)
            return Fail(Peek, "unbalanced ')'");
        if (Peek.Kind != TokenKind.End)
            return Fail(Peek, $"expected 'and', 'or' or the end of the clause, got {Peek.Display}");
        return node;
    }

    private QueryNode? ParseOr()
    {
        var left = ParseAnd();
        while (left is not null && Peek.IsWord("or"))
        {
            Next();
            var right = ParseAnd();
            left = right is null ? null : new OrNode(left, right);
        }

        return left;
    }

    private QueryNode? ParseAnd()
    {
        var left = ParseNot();
        while (left is not null && Peek.IsWord("and"))
        {
            Next();
            var right = ParseNot();
            left = right is null ? null : new AndNode(left, right);
        }

        return left;
    }

    private QueryNode? ParseNot()
    {
        if (!Peek.IsWord("not"))
            return ParsePrimary();
        var not = Next();
        if (!Enter(not))
            return null;
        var inner = ParseNot();
        _nesting--;
        return inner is null ? null : new NotNode(inner);
    }

    // One level deeper (a parenthesis or a not), refused past TractorQuery.MaxDepth.
    private bool Enter(Token token)
    {
        if (++_nesting <= TractorQuery.MaxDepth)
            return true;
        Fail(token, $"the clause nests parentheses and 'not' more than {TractorQuery.MaxDepth} deep");
        return false;
    }

    private QueryNode? ParsePrimary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.LParen:
            {
                Next();
                if (!Enter(token))
                    return null;
                _depth++;
                var inner = ParseOr();
                _depth--;
                _nesting--;
                if (inner is null)
                    return null;
                if (Peek.Kind == TokenKind.RParen)
                {
                    Next();
                    return inner;
                }

                return Peek.Kind == TokenKind.End
                    ? Fail(token, "unbalanced '('")
                    : Fail(Peek, $"expected 'and', 'or' or ')', got {Peek.Display}");
            }
            case TokenKind.RParen when _depth == 0:
                return Fail(token, "unbalanced ')'");
            case TokenKind.Word when !IsReserved(token):
                Next();
                return ParseTest(token);
            default:
                return Expected("an attribute name");
        }
    }

    private static bool IsReserved(Token t) => t.IsWord("and") || t.IsWord("or") || t.IsWord("not") || t.IsWord("like") || t.IsWord("in");

    /// <summary>Parses what follows an attribute name: an operator and value, `like`, `in`, or nothing (a truth test).</summary>
    private QueryNode? ParseTest(Token name)
    {
        if (++_tests > TractorQuery.MaxTests)
            return Fail(name, $"the clause holds more than {TractorQuery.MaxTests} tests");
        var negate = Peek.IsWord("not") && (PeekAt(1).IsWord("in") || PeekAt(1).IsWord("like"));
        if (negate)
            Next();

        var op = Peek;
        var isOp = op.Kind == TokenKind.Op || op.IsWord("like") || op.IsWord("in");
        if (!isOp)
            return ParseBare(name);

        if (QueryNames.Resolve(_schema, name.Text, name.Column, ShorthandWords(), out var key, out var column) is { } unknown)
            return Fail(unknown);
        _columns.Add(key);
        Next();

        QueryNode? node;
        if (op.IsWord("like"))
            node = ParseLike(key, column);
        else if (op.IsWord("in"))
            node = ParseIn(key, column, name);
        else if (!QueryCompare.TryParseOp(op.Text, out var compare))
            return Fail(op, $"unknown operator {op.Display}");
        else
            node = ParseValue(column, name) is { } value ? new CompareNode(key, column, compare, value) : null;

        return node is not null && negate ? new NotNode(node) : node;
    }

    private QueryValue? ParseValue(QueryColumn column, Token name)
    {
        var token = Peek;
        if (!IsValueToken(token))
        {
            Expected("a value");
            return null;
        }

        Next();
        if (QueryLiterals.TryConvert(token.Text, column, _context, out var value, out var expected))
            return value;
        NotAValue(token, column, name, expected);
        return null;
    }

    // Apart from ParseValue, which runs once per item of a list: the hint's lambda captures the token, and a captured
    // local is moved to an object made on every call of the method that declares it.
    private void NotAValue(Token token, QueryColumn column, Token name, string expected)
    {
        // Stored words are lower case and compared as written, so `state=Done` is pointed at `done` rather than matched.
        var hint = column.Words?.FirstOrDefault(w => string.Equals(w, token.Text, StringComparison.OrdinalIgnoreCase)) is { } word
            ? $"did you mean '{word}'?"
            : null;
        Fail(new QueryError(token.Column, token.Text, $"expected {expected} for '{name.Text}', got '{token.Text}'", hint));
    }

    private static bool IsValueToken(Token t) =>
        t.Kind == TokenKind.String || (t.Kind == TokenKind.Word && !t.IsWord("and") && !t.IsWord("or"));

    private QueryNode? ParseLike(string key, QueryColumn column)
    {
        var token = Peek;
        if (!IsValueToken(token))
            return Expected("a regular expression");
        Next();
        try
        {
            var regex = new Regex(token.Text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexTimeout);
            return new LikeNode(key, column, regex);
        }
        catch (ArgumentException)
        {
            return Fail(token, $"invalid regular expression '{token.Text}'");
        }
    }

    private QueryNode? ParseIn(string key, QueryColumn column, Token name)
    {
        var open = Peek;
        if (open.Kind is not (TokenKind.LBracket or TokenKind.LParen))
            return Expected("'[' starting a list");
        Next();
        var close = open.Kind == TokenKind.LBracket ? TokenKind.RBracket : TokenKind.RParen;
        // The items go straight into an array of the list's length: an operation's list of 20,000 jids grown by doubling
        // and copied at the end was 2.6 MB of garbage per request, much of it on the large-object heap.
        var items = new QueryValue[Math.Min(ValueTokensAhead(), TractorQuery.MaxListItems)];
        var count = 0;
        // Items are separated by commas or spaces, but two commas with no item between them ('[30,,32]'), or one before
        // the first, is a slip that would otherwise pass as a list one item short. One after the last is taken, as in a
        // Python list: a client building the list as "".join("%d," % j for j in jids) writes it.
        var afterComma = false;
        while (true)
        {
            var token = Peek;
            if (token.Kind == close)
            {
                Next();
                return new InNode(key, column, count == items.Length ? items : items[..count]);
            }

            if (token.Kind == TokenKind.Comma)
            {
                if (afterComma || count == 0)
                    return Fail(token, count == 0 ? "expected a value before ',' (the list starts with a comma)" : "expected a value between two commas");
                afterComma = true;
                Next();
                continue;
            }
            afterComma = false;

            if (token.Kind == TokenKind.End)
                return Fail(open, $"unbalanced '{open.Text}'");
            if (ParseValue(column, name) is not { } value)
                return null;
            if (count == TractorQuery.MaxListItems)
                return Fail(token, $"the list holds more than {TractorQuery.MaxListItems} values");
            items[count++] = value;
        }
    }

    // How many value tokens follow before the list's close (or anything else that is not a value or a comma): the most
    // items the list can hold.
    private int ValueTokensAhead()
    {
        var values = 0;
        for (var at = _position; at < _tokens.Count; at++)
        {
            var kind = _tokens[at].Kind;
            if (kind is TokenKind.Word or TokenKind.String)
                values++;
            else if (kind != TokenKind.Comma)
                break;
        }

        return values;
    }

    /// <summary>A word on its own: a user alias, a built-in shorthand (`mine`, state words), or a column's truth test.</summary>
    private QueryNode? ParseBare(Token word)
    {
        var text = word.Text;
        if (_context.Aliases is { } aliases && aliases.TryGetValue(text, out var expansion))
            return ExpandAlias(word, expansion);

        var lower = text.ToLowerInvariant();
        if (lower == "mine" && _schema.TryResolve("owner", out var owner))
        {
            if (string.IsNullOrEmpty(_context.CurrentUser))
                return Fail(word, "'mine' needs a current user");
            _columns.Add(owner.Name);
            return new CompareNode(owner.Name, owner, CompareOp.Eq, QueryValue.From(_context.CurrentUser));
        }

        if (StateWords.Contains(lower))
        {
            if (_schema.Table == QueryTable.Jobs)
                return JobStateShorthand(lower);
            if (_schema.TryResolve("state", out var state))
            {
                _columns.Add(state.Name);
                return new CompareNode(state.Name, state, CompareOp.Eq, QueryValue.From(lower));
            }
        }

        if (QueryNames.Resolve(_schema, text, word.Column, ShorthandWords(), out var key, out var column) is { } unknown)
            return Fail(unknown);
        _columns.Add(key);
        return new TruthNode(key, column);
    }

    private QueryNode JobStateShorthand(string state)
    {
        var schema = QuerySchema.Jobs;
        if (state == "done")
        {
            _columns.Add("numdone");
            _columns.Add("numtasks");
            return new ColumnCompareNode("numdone", Column(schema, "numdone"), CompareOp.Eq, "numtasks", Column(schema, "numtasks"));
        }

        var key = "num" + state;
        _columns.Add(key);
        return new CompareNode(key, Column(schema, key), CompareOp.Gt, QueryValue.From(0L));
    }

    private static QueryColumn Column(QuerySchema schema, string name) =>
        schema.TryResolve(name, out var column) ? column : throw new InvalidOperationException($"{schema.Name} has no column {name}");

    private QueryNode? ExpandAlias(Token word, string expansion)
    {
        if (!_expanding.Add(word.Text))
            return Fail(word, $"alias '{word.Text}' refers to itself");
        var node = Parse(expansion, _schema, _context, _columns, _expanding, out var inner, this);
        _expanding.Remove(word.Text);
        if (inner is not null)
            return Fail(new QueryError(word.Column, word.Text, $"in alias '{word.Text}' ({expansion}): {inner.Problem} at its column {inner.Column}", inner.Hint));
        return node;
    }

    private IEnumerable<string> ShorthandWords()
    {
        IEnumerable<string> words = _context.Aliases?.Keys ?? [];
        if (_schema.TryResolve("owner", out _))
            words = words.Append("mine");
        if (_schema.Table == QueryTable.Jobs || _schema.TryResolve("state", out _))
            words = words.Concat(StateWords);
        return words;
    }

    /// <summary>Reports that <paramref name="what"/> was missing, pointing at the token before the gap at the end of input.</summary>
    private QueryNode? Expected(string what)
    {
        var got = Peek;
        var previous = Previous;
        var after = _position > 0 ? $" after '{previous.Text}'" : "";
        if (got.Kind == TokenKind.End && _position > 0)
            return Fail(previous, $"expected {what}{after}");
        return Fail(got, $"expected {what}{after}, got {got.Display}");
    }

    // Tokens count UTF-16 units; an error's column counts characters, as an editor does (Text.TextColumn).
    private static QueryError InCharacters(QueryError error, string clause) =>
        error with { Column = Text.TextColumn.At(clause, error.Column - 1) };

    private QueryNode? Fail(Token token, string problem) => Fail(new QueryError(token.Column, token.Text, problem));

    private QueryNode? Fail(QueryError error)
    {
        _error ??= error;
        return null;
    }
}
