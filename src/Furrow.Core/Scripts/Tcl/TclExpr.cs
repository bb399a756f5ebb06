using System.Globalization;

namespace Furrow.Core.Scripts.Tcl;

/// <summary>The arithmetic part of Tcl's <c>expr</c>: integers and floats, + - * / %, unary signs, parentheses and $variables.</summary>
/// <remarks>Enough for what generators write (<c>[expr $frame+1]</c>); integer division and remainder round toward negative infinity, as in Tcl.</remarks>
internal sealed class TclExpr
{
    private readonly string _text;
    private readonly TclEvaluator _evaluator;
    private readonly TclSource _source;
    private readonly int _at;
    private readonly int _baseDepth;
    private int _pos;

    private TclExpr(string text, TclEvaluator evaluator, TclSource source, int at, int depth)
    {
        _text = text;
        _evaluator = evaluator;
        _source = source;
        _at = at;
        _baseDepth = depth;
    }

    /// <param name="at">Source offset that errors are reported at: the expression's first word.</param>
    public static string Evaluate(string text, TclEvaluator evaluator, TclSource source, int at, int depth)
    {
        var expr = new TclExpr(text, evaluator, source, at, depth);
        var value = expr.ParseSum(depth);
        expr.SkipSpaces();
        if (expr._pos < text.Length)
        {
            throw expr.Fail($"unexpected `{text[expr._pos]}` at character {expr._pos + 1}");
        }

        return value.ToString();
    }

    private Number ParseSum(int depth)
    {
        var left = ParseProduct(depth);
        while (true)
        {
            SkipSpaces();
            if (_pos >= _text.Length || _text[_pos] is not ('+' or '-'))
            {
                return left;
            }

            var op = _text[_pos++];
            var right = ParseProduct(depth);
            left = Number.Arithmetic(op, left, right, this);
        }
    }

    private Number ParseProduct(int depth)
    {
        var left = ParseUnary(depth);
        while (true)
        {
            SkipSpaces();
            if (_pos >= _text.Length || _text[_pos] is not ('*' or '/' or '%'))
            {
                return left;
            }

            var op = _text[_pos++];
            var right = ParseUnary(depth);
            left = Number.Arithmetic(op, left, right, this);
        }
    }

    private Number ParseUnary(int depth)
    {
        // Unary signs and parentheses are the only recursion here; each level is counted against MaxDepth.
        if (depth > _evaluator.Limits.MaxDepth)
        {
            throw Fail($"expression nested more than {_evaluator.Limits.MaxDepth} deep");
        }

        SkipSpaces();
        if (_pos >= _text.Length)
        {
            throw Fail("missing operand at end of expression");
        }

        var c = _text[_pos];
        if (c is '-' or '+')
        {
            _pos++;
            var operand = ParseUnary(depth + 1);
            return c == '+' ? operand : Number.Arithmetic('-', Number.Int(0), operand, this);
        }

        if (c == '(')
        {
            _pos++;
            var inner = ParseSum(depth + 1);
            SkipSpaces();
            if (_pos >= _text.Length || _text[_pos] != ')')
            {
                throw Fail("missing close-parenthesis in expression");
            }

            _pos++;
            return inner;
        }

        if (c == '$')
        {
            return ParseNumber(ReadVariable(), "variable value");
        }

        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '.'
            || ((_text[_pos] is '+' or '-') && _pos > start && _text[_pos - 1] is 'e' or 'E' && !IsHex(start))))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Fail($"unexpected `{c}` at character {_pos + 1}");
        }

        return ParseNumber(_text[start.._pos], "number");
    }

    private bool IsHex(int start) => _text.AsSpan(start).StartsWith("0x", StringComparison.OrdinalIgnoreCase);

    private string ReadVariable()
    {
        var start = ++_pos;
        string name;
        if (_pos < _text.Length && _text[_pos] == '{')
        {
            var close = _text.IndexOf('}', _pos);
            if (close < 0)
            {
                throw Fail("missing close-brace for variable name");
            }

            name = _text[(_pos + 1)..close];
            _pos = close + 1;
        }
        else
        {
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            name = _text[start.._pos];
        }

        return _evaluator.TryGetVariable(name, out var value) ? value : throw Fail($"can't read \"{name}\": no such variable");
    }

    private Number ParseNumber(string token, string what)
    {
        var t = token.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && long.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return Number.Int(hex);
        }

        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            return Number.Int(i);
        }

        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return Number.Float(d);
        }

        throw Fail($"expected a number in expression, found {what} \"{token}\"");
    }

    private void SkipSpaces()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private ScriptSyntaxException Fail(string message) => _source.Fail(_at, $"in expression \"{_text}\": {message}");

    private readonly record struct Number(bool IsInt, long I, double D)
    {
        public static Number Int(long i) => new(true, i, i);

        public static Number Float(double d) => new(false, 0, d);

        public static Number Arithmetic(char op, Number a, Number b, TclExpr expr)
        {
            if (a.IsInt && b.IsInt)
            {
                try
                {
                    return op switch
                    {
                        '+' => Int(checked(a.I + b.I)),
                        '-' => Int(checked(a.I - b.I)),
                        '*' => Int(checked(a.I * b.I)),
                        '/' => Int(FloorDiv(a.I, b.I, expr)),
                        _ => Int(a.I - (checked(FloorDiv(a.I, b.I, expr) * b.I))),
                    };
                }
                catch (OverflowException)
                {
                    throw expr.Fail("integer overflow");
                }
            }

            if (op == '%')
            {
                throw expr.Fail("can't use floating-point value as operand of \"%\"");
            }

            return Float(op switch
            {
                '+' => a.D + b.D,
                '-' => a.D - b.D,
                '*' => a.D * b.D,
                _ => b.D == 0 ? throw expr.Fail("divide by zero") : a.D / b.D,
            });
        }

        private static long FloorDiv(long a, long b, TclExpr expr)
        {
            if (b == 0)
            {
                throw expr.Fail("divide by zero");
            }

            var q = checked(a / b);
            return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
        }

        public override string ToString()
        {
            if (IsInt)
            {
                return I.ToString(CultureInfo.InvariantCulture);
            }

            // Tcl prints floats in their shortest form but always as floats: 2.0, not 2.
            var s = D.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
            return s.AsSpan().IndexOfAny('.', 'e', 'N') >= 0 || s.Contains("Infinity", StringComparison.Ordinal) ? s : s + ".0";
        }
    }
}
