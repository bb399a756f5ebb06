using System.Text;

namespace Furrow.Core.Scripts.Tcl;

/// <summary>Gives Tcl words their values: variable, command and backslash substitution, with the variables set so far.</summary>
/// <remarks>
/// Alfred scripts are Tcl, but the only command a job script may substitute is <c>expr</c>; anything else in
/// brackets is refused with its position rather than silently left as text.
/// </remarks>
internal sealed class TclEvaluator
{
    private static readonly System.Buffers.SearchValues<char> SubstitutionStarts = System.Buffers.SearchValues.Create("\\$[");

    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public TclEvaluator(ScriptLimits limits)
    {
        Limits = limits;
    }

    public ScriptLimits Limits { get; }

    public bool TryGetVariable(string name, out string value) => _variables.TryGetValue(name, out value!);

    public void SetVariable(string name, string value) => _variables[name] = value;

    public void UnsetVariable(string name) => _variables.Remove(name);

    /// <summary>The word's value: braced words are literal, bare and quoted words are substituted.</summary>
    public string Value(TclWord word, int depth) => word.Kind switch
    {
        TclWordKind.Braced => BracedContent(word.Source.Text, word.Start + 1, word.End - 1),
        TclWordKind.Quoted => Substitute(word.Source, word.Start + 1, word.End - 1, depth),
        _ => Substitute(word.Source, word.Start, word.End, depth),
    };

    /// <summary>Text between braces: literal except that backslash-newline and the whitespace after it become one space.</summary>
    public static string BracedContent(string text, int start, int end)
    {
        var firstBackslash = text.AsSpan(start, end - start).IndexOf('\\');
        if (firstBackslash < 0)
        {
            return text.Substring(start, end - start);
        }

        var sb = new StringBuilder(end - start);
        var p = start;
        while (p < end)
        {
            var c = text[p];
            if (c != '\\')
            {
                sb.Append(c);
                p++;
            }
            else if (TclLexer.IsLineContinuation(text, p, end))
            {
                sb.Append(' ');
                p = TclLexer.AfterLineContinuation(text, p, end);
            }
            else
            {
                // An escaped character is kept with its backslash; only its brace-counting meaning was suspended.
                sb.Append(c);
                if (p + 1 < end)
                {
                    sb.Append(text[p + 1]);
                }

                p += 2;
            }
        }

        return sb.ToString();
    }

    public string Substitute(TclSource source, int start, int end, int depth)
    {
        var text = source.Text;
        // Most words (keywords, options, plain values) hold nothing to substitute: one copy, no builder.
        if (text.AsSpan(start, end - start).IndexOfAny(SubstitutionStarts) < 0)
            return text.Substring(start, end - start);
        var sb = new StringBuilder(end - start);
        var p = start;
        while (p < end)
        {
            var c = text[p];
            switch (c)
            {
                case '\\':
                    var before = sb.Length;
                    var at = p;
                    p = TclBackslash.Append(text, p, end, sb, TclBackslash.Mode.Tcl);
                    if (TclBackslash.MadeNul(sb, before))
                        throw source.Fail(at, TclBackslash.NulMessage);
                    break;
                case '$':
                    p = SubstituteVariable(source, p, end, sb);
                    break;
                case '[':
                    p = SubstituteCommand(source, p, end, depth, sb);
                    break;
                default:
                    sb.Append(c);
                    p++;
                    break;
            }
        }

        return sb.ToString();
    }

    private int SubstituteVariable(TclSource source, int dollar, int end, StringBuilder sb)
    {
        var text = source.Text;
        string name;
        int after;
        if (dollar + 1 < end && text[dollar + 1] == '{')
        {
            var close = text.IndexOf('}', dollar + 2, end - dollar - 2);
            if (close < 0)
            {
                throw source.Fail(dollar, "missing close-brace for variable name after `${`");
            }

            name = text[(dollar + 2)..close];
            after = close + 1;
        }
        else
        {
            after = dollar + 1;
            while (after < end && (char.IsAsciiLetterOrDigit(text[after]) || text[after] == '_'
                || (text[after] == ':' && after + 1 < end && text[after + 1] == ':')))
            {
                after += text[after] == ':' ? 2 : 1;
            }

            if (after == dollar + 1)
            {
                // A '$' not followed by a name is an ordinary character in Tcl.
                sb.Append('$');
                return dollar + 1;
            }

            name = text[(dollar + 1)..after];
        }

        if (!_variables.TryGetValue(name, out var value))
        {
            var known = _variables.Count == 0 ? "no variables are set (set them with Assign in the job's -init)" : "set variables: " + string.Join(", ", _variables.Keys.Order(StringComparer.Ordinal));
            throw source.Fail(dollar, $"can't read \"{name}\": no such variable; {known}");
        }

        sb.Append(value);
        return after;
    }

    private int SubstituteCommand(TclSource source, int open, int end, int depth, StringBuilder sb)
    {
        if (depth + 1 > Limits.MaxDepth)
        {
            throw source.Fail(open, $"command substitutions nested more than {Limits.MaxDepth} deep");
        }

        var lexer = new TclLexer(source, open + 1, end, depth + 1, Limits, inBracket: true);
        var words = new List<TclWord>();
        var result = "";
        while (lexer.NextCommand(words))
        {
            if (words.Count == 0)
            {
                continue;
            }

            var command = Value(words[0], depth + 1);
            if (command != "expr")
            {
                throw source.Fail(words[0].Start, $"unsupported command `{command}` in [...]: job scripts may only substitute [expr ...]");
            }

            if (words.Count < 2)
            {
                throw source.Fail(words[0].Start, "wrong # args: should be \"expr arg ?arg ...?\"");
            }

            var expression = string.Join(' ', words.Skip(1).Select(w => Value(w, depth + 1)));
            result = TclExpr.Evaluate(expression, this, source, words[1].Start, depth + 1);
        }

        if (lexer.Position >= end || source.Text[lexer.Position] != ']')
        {
            throw source.Fail(open, "missing close-bracket: the `[` opened here is never closed with `]`");
        }

        sb.Append(result);
        return lexer.Position + 1;
    }
}
