namespace Furrow.Core.Scheduling;

/// <summary>
/// A command's <c>-service</c> requirement: Tractor's service key expression, tested against a blade.
/// </summary>
/// <remarks>
/// <para>The language, as Tractor's job scripting documentation gives it:</para>
/// <list type="bullet">
/// <item>a bare key such as <c>PixarRender</c> is true when the blade provides it. Keys hold letters, digits and
/// <c>_ - . + / :</c> and start with a letter, digit, <c>_</c> or <c>.</c>. Tractor's documentation says matching
/// ignores capitalization, so keys here do too. A blade also answers to its own name and host, so a job can target
/// one machine.</item>
/// <item>a quoted key or wildcard pattern, <c>"rack-15?"</c> or <c>'192.168.0.*'</c> (quotes are required around
/// patterns).</item>
/// <item><c>&amp;&amp;</c> and <c>,</c> are both <b>and</b> (Tractor documents the comma as and, e.g.
/// <c>PixarRender,NorthAnnex</c>); <c>||</c> is or; <c>!</c> is not; parentheses group.</item>
/// <item>blade metrics <c>@.mem</c> (free memory, GB), <c>@.disk</c> (free disk, GB), <c>@.nCPUs</c> (cores),
/// <c>@.cpu</c> (load per core) and Furrow's <c>@.load</c> (load average), compared with
/// <c>&lt; &lt;= &gt; &gt;= == !=</c> to numbers, with <c>+ - * /</c> arithmetic as in Tractor's own example
/// <c>(1024 * @.mem) &gt; 2048</c>.</item>
/// </list>
/// <para>Whitespace is ignored. A text that is wholly in quotes, as some scripts write <c>-service {"PixarRender &amp;&amp; Linux"}</c>,
/// is read without them. Empty or blank text is no requirement: it matches every blade.</para>
/// <para>Nesting (parentheses, <c>!</c>, unary minus) deeper than <see cref="MaxDepth"/> is refused, so hostile input
/// cannot exhaust the stack. Instances are immutable and safe to share between threads.</para>
/// </remarks>
public sealed class ServiceKey
{
    /// <summary>The deepest nesting of parentheses and prefix operators accepted.</summary>
    public const int MaxDepth = 64;

    private readonly ConditionNode? _root;

    private ServiceKey(ConditionNode? root, IReadOnlyList<string> keys)
    {
        _root = root;
        Keys = keys;
        Text = root?.Render() ?? "";
    }

    /// <summary>No requirement: matches every blade.</summary>
    public static ServiceKey None { get; } = new(null, []);

    /// <summary>The normalised expression, e.g. <c>PixarRender &amp;&amp; (Linux || OSX) &amp;&amp; @.mem &gt; 4</c>; empty for no requirement.</summary>
    public string Text { get; }

    /// <summary>Every bare key the expression names (quoted keys without wildcards included), once each, in order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>True when the expression is empty, so any blade will do.</summary>
    public bool IsEmpty => _root is null;

    /// <summary>Parses <paramref name="text"/>; null, empty or blank text gives <see cref="None"/>.</summary>
    public static ServiceKeyParseResult Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ServiceKeyParseResult.Succeeded(None);

        var (start, end) = Body(text);
        var tokens = new List<ServiceToken>();
        var error = ServiceKeyLexer.Lex(text, start, end, tokens);
        if (error is not null)
            return ServiceKeyParseResult.Failed(InCharacters(error, text));
        if (tokens.Count == 1)
            return ServiceKeyParseResult.Succeeded(None);

        var root = ServiceKeyParser.Parse(tokens, out var keys, out error);
        return root is null
            ? ServiceKeyParseResult.Failed(InCharacters(error ?? new ServiceKeyError(1, text, "invalid service key expression"), text))
            : ServiceKeyParseResult.Succeeded(new ServiceKey(root, keys));
    }

    // The lexer counts UTF-16 units; an error's column counts characters, as an editor does (Text.TextColumn).
    private static ServiceKeyError InCharacters(ServiceKeyError error, string text) =>
        error with { Column = Furrow.Core.Text.TextColumn.At(text, error.Column - 1) };

    public bool Matches(BladeTraits blade)
    {
        ArgumentNullException.ThrowIfNull(blade);
        return _root is null || _root.Test(blade);
    }

    /// <summary>
    /// Null when the blade matches, else a short sentence a wrangler can act on, e.g.
    /// <c>provides none of PixarRender, RfMRender</c>, <c>has 2.1 GB free memory, needs @.mem &gt; 4</c> or
    /// <c>provides slow, excluded by !slow</c>.
    /// </summary>
    public string? WhyNot(BladeTraits blade)
    {
        ArgumentNullException.ThrowIfNull(blade);
        return _root?.WhyNot(blade);
    }

    public override string ToString() => Text;

    /// <summary>
    /// The range to lex: the whole text, or the inside of quotes that wrap all of it when the inside is more than
    /// one key or pattern (a single quoted key such as <c>"RenderHigh*"</c> is itself a token).
    /// </summary>
    private static (int Start, int End) Body(string text)
    {
        var start = 0;
        var end = text.Length;
        while (char.IsWhiteSpace(text[start]))
            start++;
        while (char.IsWhiteSpace(text[end - 1]))
            end--;
        var quote = text[start];
        if (end - start >= 2 && quote is ('"' or '\'') && text[end - 1] == quote)
        {
            var inner = text.AsSpan(start + 1, end - start - 2);
            if (!inner.Contains(quote) && !ServiceKeyLexer.IsSingleKeyOrPattern(inner))
                return (start + 1, end - 1);
        }

        return (start, end);
    }
}
