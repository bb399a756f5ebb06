namespace Furrow.Core.Scripts.Tcl;

/// <summary>Splits a range of Tcl source into commands and words by Tcl's parsing rules (the Tcl(n) "dodekalogue").</summary>
/// <remarks>
/// The lexer only finds word boundaries; substitution happens later in <see cref="TclEvaluator"/>, because variables
/// set by earlier commands (Assign, Iterate) must be visible to later words. Nesting of braces and brackets is
/// counted iteratively and checked against <see cref="ScriptLimits.MaxDepth"/> before any recursion, so deep input
/// is refused instead of overflowing the stack.
/// </remarks>
internal sealed class TclLexer
{
    private readonly TclSource _source;
    private readonly string _text;
    private readonly int _end;
    private readonly bool _inBracket;
    private readonly int _depth;
    private readonly ScriptLimits _limits;
    private int _pos;

    /// <param name="depth">How many braces or brackets enclose this range in the file; nesting below adds to it.</param>
    public TclLexer(TclSource source, int start, int end, int depth, ScriptLimits limits, bool inBracket = false)
    {
        _source = source;
        _text = source.Text;
        _pos = start;
        _end = end;
        _depth = depth;
        _limits = limits;
        _inBracket = inBracket;
    }

    public int Position => _pos;

    /// <summary>Reads the next command's words; false when the range (or, in a bracket, the command substitution) is finished.</summary>
    public bool NextCommand(List<TclWord> words)
    {
        words.Clear();
        SkipCommandSeparators();
        if (_pos >= _end || (_inBracket && _text[_pos] == ']'))
        {
            return false;
        }

        while (true)
        {
            SkipSpaces();
            if (_pos >= _end)
            {
                return true;
            }

            var c = _text[_pos];
            if (c is '\n' or ';')
            {
                _pos++;
                return true;
            }

            if (_inBracket && c == ']')
            {
                return true;
            }

            words.Add(ScanWord());
        }
    }

    /// <summary>The end of a command substitution that starts at <paramref name="open"/> (a '['), just past its ']'.</summary>
    public int SkipBracket(int open)
    {
        if (_depth + 1 > _limits.MaxDepth)
        {
            throw _source.Fail(open, $"command substitutions nested more than {_limits.MaxDepth} deep");
        }

        var inner = new TclLexer(_source, open + 1, _end, _depth + 1, _limits, inBracket: true);
        var words = new List<TclWord>();
        while (inner.NextCommand(words))
        {
        }

        if (inner._pos >= _end || _text[inner._pos] != ']')
        {
            throw _source.Fail(open, "missing close-bracket: the `[` opened here is never closed with `]`");
        }

        return inner._pos + 1;
    }

    private void SkipCommandSeparators()
    {
        while (_pos < _end)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\r' or '\v' or '\f' or '\n' or ';')
            {
                _pos++;
            }
            else if (c == '\\' && IsLineContinuation(_pos))
            {
                _pos = AfterLineContinuation(_pos);
            }
            else if (c == '#')
            {
                SkipComment();
            }
            else
            {
                return;
            }
        }
    }

    // A comment runs to the end of the line; a backslash-newline continues it, as in Tcl.
    private void SkipComment()
    {
        while (_pos < _end)
        {
            var c = _text[_pos];
            if (c == '\\')
            {
                _pos += 2;
            }
            else if (c == '\n')
            {
                return;
            }
            else
            {
                _pos++;
            }
        }

        _pos = Math.Min(_pos, _end);
    }

    private void SkipSpaces()
    {
        while (_pos < _end)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\r' or '\v' or '\f')
            {
                _pos++;
            }
            else if (c == '\\' && IsLineContinuation(_pos))
            {
                _pos = AfterLineContinuation(_pos);
            }
            else
            {
                return;
            }
        }
    }

    private TclWord ScanWord()
    {
        var start = _pos;
        switch (_text[start])
        {
            case '{':
                _pos = ScanBraces(start);
                CheckWordEnds(start, "close-brace");
                return new TclWord(_source, TclWordKind.Braced, start, _pos);
            case '"':
                _pos = ScanQuotes(start);
                CheckWordEnds(start, "close-quote");
                return new TclWord(_source, TclWordKind.Quoted, start, _pos);
            default:
                _pos = ScanBare(start);
                return new TclWord(_source, TclWordKind.Bare, start, _pos);
        }
    }

    // Tcl refuses `{a}b` and `"a"b`: the word must end right after its closing brace or quote.
    private void CheckWordEnds(int start, string closer)
    {
        if (_pos >= _end)
        {
            return;
        }

        var c = _text[_pos];
        if (c is ' ' or '\t' or '\r' or '\v' or '\f' or '\n' or ';' || (_inBracket && c == ']') || (c == '\\' && IsLineContinuation(_pos)))
        {
            return;
        }

        throw _source.Fail(
            _pos,
            $"extra characters after {closer}: expected a space or the end of the command after the word that starts at {_source.Where(start)}, found `{c}`");
    }

    private int ScanBraces(int open)
    {
        var level = 1;
        CheckBraceDepth(open, level);
        var p = open + 1;
        while (p < _end)
        {
            switch (_text[p])
            {
                case '\\':
                    p += 2;
                    continue;
                case '{':
                    level++;
                    CheckBraceDepth(p, level);
                    break;
                case '}':
                    if (--level == 0)
                    {
                        return p + 1;
                    }

                    break;
            }

            p++;
        }

        throw _source.Fail(open, "missing close-brace: the `{` opened here is never closed with `}`");
    }

    private void CheckBraceDepth(int at, int level)
    {
        if (_depth + level > _limits.MaxDepth)
        {
            throw _source.Fail(at, $"braces nested more than {_limits.MaxDepth} deep");
        }
    }

    private int ScanQuotes(int open)
    {
        var p = open + 1;
        while (p < _end)
        {
            switch (_text[p])
            {
                case '\\':
                    p += 2;
                    break;
                case '[':
                    p = SkipBracket(p);
                    break;
                case '"':
                    return p + 1;
                default:
                    p++;
                    break;
            }
        }

        throw _source.Fail(open, "missing close-quote: the `\"` opened here is never closed");
    }

    private int ScanBare(int start)
    {
        var p = start;
        while (p < _end)
        {
            var c = _text[p];
            if (c is ' ' or '\t' or '\r' or '\v' or '\f' or '\n' or ';' || (_inBracket && c == ']'))
            {
                break;
            }

            if (c == '\\')
            {
                if (IsLineContinuation(p))
                {
                    break;
                }

                p += 2;
            }
            else if (c == '[')
            {
                p = SkipBracket(p);
            }
            else
            {
                p++;
            }
        }

        return Math.Min(p, _end);
    }

    private bool IsLineContinuation(int backslash) => IsLineContinuation(_text, backslash, _end);

    private int AfterLineContinuation(int backslash) => AfterLineContinuation(_text, backslash, _end);

    /// <summary>Backslash-newline (CRLF too, for scripts saved on Windows).</summary>
    public static bool IsLineContinuation(string text, int backslash, int end) =>
        backslash + 1 < end && (text[backslash + 1] == '\n' || (text[backslash + 1] == '\r' && backslash + 2 < end && text[backslash + 2] == '\n'));

    /// <summary>Where a backslash-newline and the spaces and tabs after it end; Tcl turns all of it into one space.</summary>
    public static int AfterLineContinuation(string text, int backslash, int end)
    {
        var p = backslash + (text[backslash + 1] == '\r' ? 3 : 2);
        while (p < end && text[p] is ' ' or '\t')
        {
            p++;
        }

        return p;
    }
}
