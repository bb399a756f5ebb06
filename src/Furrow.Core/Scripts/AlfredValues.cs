using System.Globalization;
using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Turns option words of an alfred script into typed values, reporting bad values at the word.</summary>
internal sealed class AlfredValues
{
    public AlfredValues(TclEvaluator evaluator)
    {
        Evaluator = evaluator;
    }

    public TclEvaluator Evaluator { get; }

    public ScriptLimits Limits => Evaluator.Limits;

    /// <summary>Where the options compile-stage refusals name were written (<see cref="JobSpec.Places"/>).</summary>
    public AlfredPlaces Places { get; } = new();

    /// <summary>The value word after the option at <paramref name="i"/>, advancing past it.</summary>
    public static TclWord TakeOptionValue(List<TclWord> words, ref int i, string element)
    {
        var name = words[i];
        if (i + 1 >= words.Count)
        {
            throw name.Source.Fail(
                name.End,
                $"option {name.RawText} of {element} needs a value, but the command ends here "
                + "(a newline or `;` ends a Tcl command: put the value on the same line, or end the line with a backslash)");
        }

        i++;
        return words[i];
    }

    public static ScriptSyntaxException UnknownOption(TclWord name, string element, string[] expected) =>
        name.Source.Fail(name.Start, $"unknown option {name.RawText} for {element}; expected one of: {string.Join(", ", expected)}");

    public string Text(TclWord word, int depth) => Evaluator.Value(word, depth);

    /// <summary>A lexer over the script held in <paramref name="word"/> (a <c>-subtasks</c> or <c>-cmds</c> value).</summary>
    public TclLexer Script(TclWord word, int depth)
    {
        if (depth + 1 > Limits.MaxDepth)
        {
            throw word.Source.Fail(word.Start, $"scripts nested more than {Limits.MaxDepth} deep");
        }

        if (word.Kind == TclWordKind.Braced)
        {
            // Reading the braces in place keeps every position inside them exact.
            return new TclLexer(word.Source, word.Start + 1, word.End - 1, depth + 1, Limits);
        }

        var text = Text(word, depth);
        return new TclLexer(word.Source.Derive(text, word.Start), 0, text.Length, depth + 1, Limits);
    }

    /// <summary>An optional string: empty means unset, as generators write <c>-service {}</c> for "no value".</summary>
    public string? OptionalText(TclWord word, int depth)
    {
        var text = Text(word, depth);
        return text.Length == 0 ? null : text;
    }

    /// <summary>
    /// A key such as <c>-service</c> or <c>-refersto</c>: surrounding blanks are dropped, and so is one level of double
    /// quotes, because generators write <c>-service {"PixarRender"}</c> meaning the key PixarRender, and a key
    /// expression can neither contain quotes nor start or end with blanks.
    /// </summary>
    public string? Key(TclWord word, int depth)
    {
        var text = Text(word, depth).Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1].Trim();
        }

        return text.Length == 0 ? null : text;
    }

    public bool Bool(TclWord word, int depth)
    {
        var text = Text(word, depth).Trim();
        switch (text.ToLowerInvariant())
        {
            case "1" or "true" or "yes" or "on":
                return true;
            case "0" or "false" or "no" or "off":
                return false;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return n != 0;
        }

        throw word.Source.Fail(word.Start, $"expected a boolean (0, 1, true, false, yes or no), found \"{text}\"");
    }

    public int Int(TclWord word, int depth)
    {
        var text = Text(word, depth).Trim();
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw word.Source.Fail(word.Start, $"expected an integer, found \"{text}\"");
    }

    public long Long(TclWord word, int depth)
    {
        var text = Text(word, depth).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw word.Source.Fail(word.Start, $"expected an integer, found \"{text}\"");
    }

    public double Double(TclWord word, int depth)
    {
        var text = Text(word, depth).Trim();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw word.Source.Fail(word.Start, $"expected a number, found \"{text}\"");
    }

    /// <summary>A Tcl list such as <c>-tags {{a} {b}}</c> or <c>-envkey {maya2014}</c>.</summary>
    public List<string> List(TclWord word, int depth) => Split(word, Text(word, depth), TclBackslash.Mode.Tcl);

    public List<int> IntList(TclWord word, int depth)
    {
        var items = List(word, depth);
        var result = new List<int>(items.Count);
        foreach (var item in items)
        {
            result.Add(int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw word.Source.Fail(word.Start, $"expected a list of integers, found element \"{item}\""));
        }

        return result;
    }

    /// <summary>
    /// Command-line words: a string is split as a Tcl list, so <c>{prman -Progress "a b.rib"}</c> gives three words,
    /// and <c>{{a} {b}}</c> two. Backslashes other than quoting escapes are kept (see <see cref="TclBackslash.Mode.Lenient"/>).
    /// </summary>
    public List<string> Argv(TclWord word, int depth) => Split(word, Text(word, depth), TclBackslash.Mode.Lenient);

    private static List<string> Split(TclWord word, string text, TclBackslash.Mode mode) =>
        TclList.TrySplit(text, mode, out var items, out var error)
            ? items
            : throw word.Source.Fail(word.Start, $"expected a Tcl list, but {error}");
}
