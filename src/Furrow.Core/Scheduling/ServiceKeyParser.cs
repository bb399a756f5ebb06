namespace Furrow.Core.Scheduling;

/// <summary>
/// Recursive-descent parser for service key expressions. Precedence, loosest first: <c>||</c>; <c>&amp;&amp;</c> and
/// <c>,</c>; <c>!</c>; comparisons; <c>+ -</c>; <c>* /</c>; unary <c>-</c>; then a key, pattern, metric, number or
/// parenthesised expression. Methods return null after recording the first error, so failures stay results.
/// </summary>
internal sealed class ServiceKeyParser
{
    private readonly List<ServiceToken> _tokens;
    private readonly List<string> _keys = [];
    private readonly HashSet<string> _seenKeys = new(StringComparer.OrdinalIgnoreCase);
    private int _position;
    private int _depth;
    private ServiceKeyError? _error;

    private ServiceKeyParser(List<ServiceToken> tokens) => _tokens = tokens;

    /// <summary>Parses a non-empty token list into a condition; <paramref name="keys"/> gets each bare key once, in order.</summary>
    public static ConditionNode? Parse(List<ServiceToken> tokens, out IReadOnlyList<string> keys, out ServiceKeyError? error)
    {
        var parser = new ServiceKeyParser(tokens);
        var node = parser.ParseWhole();
        keys = parser._keys;
        error = parser._error;
        return error is null ? node : null;
    }

    private ServiceToken Peek => _tokens[_position];

    private ServiceToken Previous => _tokens[_position - 1];

    private ServiceToken Next() => _tokens[_position++];

    private ConditionNode? ParseWhole()
    {
        var node = ParseOr();
        if (node is null)
            return null;
        var token = Peek;
        if (token.Kind == ServiceTokenKind.RParen)
            return Fail<ConditionNode>(token, "')' has no matching '('");
        if (token.Kind != ServiceTokenKind.End)
        {
            return node is NumberNode
                ? Fail<ConditionNode>(token, $"expected a comparison ('<', '<=', '>', '>=', '==' or '!=') after {Previous.Display}, found {token.Display}")
                : Fail<ConditionNode>(token, $"expected '&&', '||' or ',' between conditions, found {token.Display}");
        }

        return node switch
        {
            ConditionNode condition => condition,
            _ => Fail<ConditionNode>(node.Column, TokenAt(node.Column), $"expected a condition, found {DescribeNumber(node)}"),
        };
    }

    private ServiceNode? ParseOr()
    {
        var first = ParseAnd();
        if (first is null || Peek.Kind != ServiceTokenKind.Or)
            return first;
        var operands = new List<ConditionNode>();
        if (!AddCondition(operands, first, Peek, before: true))
            return null;
        while (Peek.Kind == ServiceTokenKind.Or)
        {
            var op = Next();
            var next = ParseAnd();
            if (next is null || !AddCondition(operands, next, op, before: false))
                return null;
        }

        return new AnyNode(first.Column, operands);
    }

    private ServiceNode? ParseAnd()
    {
        var first = ParseNot();
        if (first is null || Peek.Kind != ServiceTokenKind.And)
            return first;
        var operands = new List<ConditionNode>();
        if (!AddCondition(operands, first, Peek, before: true))
            return null;
        while (Peek.Kind == ServiceTokenKind.And)
        {
            var op = Next();
            var next = ParseNot();
            if (next is null || !AddCondition(operands, next, op, before: false))
                return null;
        }

        return new AllNode(first.Column, operands);
    }

    private ServiceNode? ParseNot()
    {
        if (Peek.Kind != ServiceTokenKind.Not)
            return ParseComparison();
        var op = Next();
        if (!Enter(op))
            return null;
        var operand = ParseNot();
        _depth--;
        if (operand is null)
            return null;
        return operand is ConditionNode condition
            ? new NotNode(op.Column, condition)
            : Fail<ServiceNode>(operand.Column, TokenAt(operand.Column), $"expected a condition after '!', found {DescribeNumber(operand)}");
    }

    private ServiceNode? ParseComparison()
    {
        var left = ParseSum();
        if (left is null || Peek.Kind != ServiceTokenKind.Compare)
            return left;
        var op = Next();
        var right = ParseSum();
        if (right is null)
            return null;
        var leftNumber = RequireNumber(left, op);
        var rightNumber = leftNumber is null ? null : RequireNumber(right, op);
        if (rightNumber is null || leftNumber is null)
            return null;
        if (Peek.Kind == ServiceTokenKind.Compare)
            return Fail<ServiceNode>(Peek, $"comparisons cannot be chained; join them with '&&', found {Peek.Display}");
        return new CompareNode(left.Column, leftNumber, op.Text, rightNumber);
    }

    private ServiceNode? ParseSum() =>
        ParseChain(5, ServiceTokenKind.Plus, ServiceTokenKind.Minus, ParseProduct);

    private ServiceNode? ParseProduct() =>
        ParseChain(6, ServiceTokenKind.Times, ServiceTokenKind.Divide, ParseUnary);

    private ServiceNode? ParseChain(int precedence, ServiceTokenKind opA, ServiceTokenKind opB, Func<ServiceNode?> parseOperand)
    {
        var first = parseOperand();
        if (first is null || (Peek.Kind != opA && Peek.Kind != opB))
            return first;
        var firstNumber = RequireNumber(first, Peek);
        if (firstNumber is null)
            return null;
        var rest = new List<(char, NumberNode)>();
        while (Peek.Kind == opA || Peek.Kind == opB)
        {
            var op = Next();
            var operand = parseOperand();
            var number = operand is null ? null : RequireNumber(operand, op);
            if (number is null)
                return null;
            rest.Add((op.Text[0], number));
        }

        return new ArithmeticNode(first.Column, precedence, firstNumber, rest);
    }

    private ServiceNode? ParseUnary()
    {
        if (Peek.Kind != ServiceTokenKind.Minus)
            return ParsePrimary();
        var op = Next();
        if (!Enter(op))
            return null;
        var operand = ParseUnary();
        _depth--;
        var number = operand is null ? null : RequireNumber(operand, op);
        return number is null ? null : new NegateNode(op.Column, number);
    }

    private ServiceNode? ParsePrimary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case ServiceTokenKind.Key:
                Next();
                if (_seenKeys.Add(token.Text))
                    _keys.Add(token.Text);
                return new KeyNode(token.Column, token.Text);
            case ServiceTokenKind.Pattern:
                Next();
                return new PatternNode(token.Column, token.Text);
            case ServiceTokenKind.Metric:
                Next();
                BladeMetrics.TryParse(token.Text[2..], out var metric);
                return new MetricNode(token.Column, metric);
            case ServiceTokenKind.Number:
                Next();
                return new ConstantNode(token.Column, double.Parse(token.Text, System.Globalization.CultureInfo.InvariantCulture));
            case ServiceTokenKind.LParen:
            {
                Next();
                if (!Enter(token))
                    return null;
                var inner = ParseOr();
                _depth--;
                if (inner is null)
                    return null;
                if (Peek.Kind != ServiceTokenKind.RParen)
                    return Fail<ServiceNode>(Peek, $"expected ')' to close the '(' at column {token.Column}, found {Peek.Display}");
                Next();
                return inner;
            }

            default:
                return Fail<ServiceNode>(token, Expected(token));
        }
    }

    /// <summary>What should have come where <paramref name="token"/> stands, in terms of the token before it.</summary>
    private string Expected(ServiceToken token)
    {
        if (_position == 0)
            return $"expected a service key or '(', found {token.Display}";
        var previous = Previous;
        var what = previous.Kind is ServiceTokenKind.Compare or ServiceTokenKind.Plus or ServiceTokenKind.Minus
            or ServiceTokenKind.Times or ServiceTokenKind.Divide
            ? "a number or blade metric"
            : "a service key or '('";
        return $"expected {what} after '{previous.Source}', found {token.Display}";
    }

    /// <summary>Counts one level of nesting for <paramref name="opener"/>; deep nesting is refused before it can exhaust the stack.</summary>
    private bool Enter(ServiceToken opener)
    {
        if (++_depth <= ServiceKey.MaxDepth)
            return true;
        Fail<ServiceNode>(opener, $"expression nested deeper than {ServiceKey.MaxDepth} levels");
        return false;
    }

    private bool AddCondition(List<ConditionNode> operands, ServiceNode node, ServiceToken op, bool before)
    {
        if (node is ConditionNode condition)
        {
            // Flatten: "a && (b && c)" is one list, which keeps the tree shallow.
            if (condition is AllNode all && op.Kind == ServiceTokenKind.And)
                operands.AddRange(all.Operands);
            else if (condition is AnyNode any && op.Kind == ServiceTokenKind.Or)
                operands.AddRange(any.Operands);
            else
                operands.Add(condition);
            return true;
        }

        var side = before ? "before" : "after";
        Fail<ServiceNode>(node.Column, TokenAt(node.Column), $"expected a condition {side} '{op.Source}', found {DescribeNumber(node)}");
        return false;
    }

    private NumberNode? RequireNumber(ServiceNode node, ServiceToken op)
    {
        if (node is NumberNode number)
            return number;
        var found = node is KeyNode key ? $"service key '{key.Name}'" : $"the condition {node.Render()}";
        var hint = node is KeyNode && op.Kind == ServiceTokenKind.Times ? " (a wildcard pattern needs quotes, e.g. \"render*\")" : "";
        Fail<ServiceNode>(node.Column, TokenAt(node.Column), $"'{op.Source}' works on numbers, found {found}{hint}");
        return null;
    }

    /// <summary>The source text of the token starting at <paramref name="column"/>; only used when reporting an error.</summary>
    private string TokenAt(int column)
    {
        foreach (var token in _tokens)
        {
            if (token.Column == column)
                return token.Source;
        }

        return "";
    }

    private static string DescribeNumber(ServiceNode node) => node switch
    {
        ConstantNode => $"the number {node.Render()}",
        MetricNode => $"{node.Render()} with no comparison (e.g. '{node.Render()} > 4')",
        _ => $"the number {node.Render()} with no comparison",
    };

    private T? Fail<T>(ServiceToken token, string problem) where T : class => Fail<T>(token.Column, token.Source, problem);

    private T? Fail<T>(int column, string token, string problem) where T : class
    {
        _error ??= new ServiceKeyError(column, token, problem);
        return null;
    }
}
