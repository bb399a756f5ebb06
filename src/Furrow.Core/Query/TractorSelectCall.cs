using System.Globalization;
using System.Text;
using Furrow.Core.Text;

namespace Furrow.Core.Query;

/// <summary>
/// One call of Tractor's query function as the query API and tq send it in `db?q=` (TRACTOR-PROTOCOL §4a):
/// <c>tractorselect('TABLE', 'WHERE', 'COL,COL', 'SORT,-SORT', LIMIT|NULL, 't'|'f', 'ALIASES')</c>. Each string argument is
/// an SQL literal (a quote inside is doubled). Only this one call is read: nothing else of SQL is, so no text in an argument
/// can become anything but that argument's value.
/// </summary>
/// <param name="Schema">The table, named in any case, singular or plural (`Job`, `jobs`, `task`).</param>
/// <param name="Where">The search clause (§4b) as sent, with the SQL quoting undone; user aliases not yet expanded.</param>
/// <param name="Columns">Column names as asked (trimmed, in order, each once whatever its case); empty for every column.</param>
/// <param name="Sort">The sort list as sent (`priority,-spooltime`), for <see cref="SortSpec.Parse"/>.</param>
/// <param name="Limit">Null for the server's default (Tractor's `NULL`), 0 for no limit, else the most rows.</param>
/// <param name="Archive">True (`'t'`) to search deleted jobs as well.</param>
/// <param name="Aliases">User aliases, word → clause (tq sends `mine` → `owner=USER`); empty for `None`.</param>
public sealed record TractorSelectCall(
    QuerySchema Schema,
    string Where,
    IReadOnlyList<string> Columns,
    string Sort,
    int? Limit,
    bool Archive,
    IReadOnlyDictionary<string, string> Aliases)
{
    /// <summary>The longest call read, in characters; a longer one is refused before it is read.</summary>
    public const int MaxLength = 1_000_000;

    /// <summary>The function's name, as clients send it.</summary>
    public const string FunctionName = "tractorselect";

    /// <summary>
    /// True when <paramref name="text"/> calls tractorselect at all (its first word, in any case), so a caller can tell
    /// a malformed call (answered with <see cref="Parse"/>'s error) from some other SQL (refused as not served).
    /// </summary>
    public static bool IsCall(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.AsSpan().TrimStart();
        return t.StartsWith(FunctionName, StringComparison.OrdinalIgnoreCase)
            && (t.Length == FunctionName.Length || !IsWordChar(t[FunctionName.Length]));
    }

    /// <summary>
    /// Reads a call. Errors name the token and its 1-based character position: a missing or extra argument, an argument
    /// that is not a literal (a nested call, a column reference), an unterminated quote, an unknown table, a limit that is
    /// not NULL or a whole number, an archive flag other than t/f, aliases that are not a dict of strings to strings.
    /// </summary>
    public static TractorSelectParse Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
            return Fail(1, text[..20], $"the call is {text.Length} characters long, more than the {MaxLength} read");
        var reader = new CallReader(text);
        reader.SkipSpace();
        var nameAt = reader.At;
        var name = reader.Word();
        if (!string.Equals(name, FunctionName, StringComparison.OrdinalIgnoreCase))
            return Fail(nameAt + 1, reader.TokenAt(nameAt), $"expected {FunctionName}(...)");
        reader.SkipSpace();
        if (!reader.Take('('))
            return Fail(reader.At + 1, reader.TokenAt(reader.At), $"expected '(' after {FunctionName}");

        string? table = null, where = null, columns = null, sort = null, archive = null, aliases = null;
        int? limit = null;
        var tableAt = 0;
        var archiveAt = 0;
        var columnsAt = 0;
        var sortAt = 0;
        for (var argument = 0; argument < 7; argument++)
        {
            reader.SkipSpace();
            if (argument > 0)
            {
                if (!reader.Take(','))
                {
                    return reader.Peek() == ')'
                        ? Fail(reader.At + 1, ")", $"tractorselect takes 7 arguments (table, where, columns, sort, limit, archive, aliases); this call gives {argument}")
                        : Fail(reader.At + 1, reader.TokenAt(reader.At), $"expected ',' before argument {argument + 1} ({ArgumentNames[argument]})");
                }
                reader.SkipSpace();
            }
            var at = reader.At;
            if (argument == 4)
            {
                var word = reader.Word();
                if (word.Length == 0)
                    return Fail(at + 1, reader.TokenAt(at), "expected the limit (NULL or a whole number)");
                if (string.Equals(word, "NULL", StringComparison.OrdinalIgnoreCase))
                    limit = null;
                else if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    limit = l;
                else
                    return Fail(at + 1, word, "expected the limit (NULL, 0 for no limit, or a whole number of rows)");
                continue;
            }
            if (argument == 6)
            {
                var aliasText = reader.AliasArgument(out var aliasError);
                if (aliasError is not null)
                    return TractorSelectParse.Failed(aliasError);
                aliases = aliasText;
                continue;
            }
            var value = reader.SqlString(out var error);
            if (error is not null)
                return TractorSelectParse.Failed(error with { Problem = $"{error.Problem} for argument {argument + 1} ({ArgumentNames[argument]})" });
            switch (argument)
            {
                case 0: table = value; tableAt = at; break;
                case 1: where = value; break;
                case 2: columns = value; columnsAt = at; break;
                case 3: sort = value; sortAt = at; break;
                case 5: archive = value; archiveAt = at; break;
            }
        }
        reader.SkipSpace();
        if (!reader.Take(')'))
        {
            return reader.Peek() == ','
                ? Fail(reader.At + 1, ",", "tractorselect takes 7 arguments (table, where, columns, sort, limit, archive, aliases); this call gives more")
                : Fail(reader.At + 1, reader.TokenAt(reader.At), "expected ')' after the 7th argument");
        }
        reader.SkipSpace();
        reader.Take(';');
        reader.SkipSpace();
        if (!reader.AtEnd)
            return Fail(reader.At + 1, reader.TokenAt(reader.At), "expected nothing after tractorselect(...)");

        if (!QuerySchema.TryGet(table!, out var schema))
            return Fail(tableAt + 1, table!, "unknown table: expected job, task, command, invocation, blade or param");
        if (schema.Table == QueryTable.Notes)
            return Fail(tableAt + 1, table!, "Furrow does not serve the note table to tractorselect: expected job, task, command, invocation, blade or param");
        // PostgreSQL's t and f, as the query API sends them, or a switch by the one rule (ValueText.Switch).
        var archived = archive is "t" or "T" ? true : archive is "f" or "F" ? false : ValueText.Switch(archive);
        if (archived is null)
            return Fail(archiveAt + 1, archive!, $"archive must be 't' or 'f' (or one of {ValueText.SwitchWords})");
        // An empty list is the default (Tractor's client joins an empty tuple to ''), but an empty name in a list is a
        // slip ('jid,,title', ','), not a column: said, as the native cols= and sortby= say it.
        if (ValueText.MissingItem(columns!) is { } badColumns)
            return Fail(columnsAt + 1, columns!, $"columns '{columns}': {badColumns} (expected column names, comma-joined, or '' for the table's own)");
        if (ValueText.MissingItem(sort!) is { } badSort)
            return Fail(sortAt + 1, sort!, $"sort '{sort}': {badSort} (expected column names, comma-joined, each with - for descending, or '' for the table's order)");
        var aliasParse = PythonDict.Parse(aliases!);
        if (aliasParse.Error is { } dictError)
            return TractorSelectParse.Failed(dictError with { Problem = $"bad aliases (expected None or a dict of strings, e.g. {{'mine': 'owner=bob'}}): {dictError.Problem}" });
        // A column asked for twice is one member of each row (a JSON object cannot hold a name twice), kept where first asked.
        var cols = columns!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return TractorSelectParse.Succeeded(new TractorSelectCall(schema, where!, cols, sort!, limit, archived.Value, aliasParse.Dict!));
    }

    /// <summary>
    /// <see cref="Where"/> with each user alias used as a bare term (outside quotes and brackets, not a comparison's
    /// attribute or value) replaced by its clause in parentheses, and aliases used in that clause expanded in turn.
    /// Null and an error for an alias that uses itself (directly or not), or an expansion longer than <see cref="MaxLength"/>.
    /// </summary>
    public string? ExpandedWhere(out QueryError? error) => ExpandAliases(Where, Aliases, out error);

    /// <summary>See <see cref="ExpandedWhere"/>.</summary>
    public static string? ExpandAliases(string clause, IReadOnlyDictionary<string, string> aliases, out QueryError? error)
    {
        ArgumentNullException.ThrowIfNull(clause);
        ArgumentNullException.ThrowIfNull(aliases);
        error = null;
        if (aliases.Count == 0)
            return clause;
        var output = new StringBuilder(clause.Length);
        return Expand(clause, aliases, [], output, ref error) ? output.ToString() : null;
    }

    private static bool Expand(string clause, IReadOnlyDictionary<string, string> aliases, List<string> inUse, StringBuilder output, ref QueryError? error)
    {
        var i = 0;
        var depth = 0; // inside [ ... ] of `in`, words are values
        string previous = ""; // the last token before this one: an operator, a word, or "" at the start / after '(' and 'and'
        while (i < clause.Length)
        {
            var c = clause[i];
            if (c is '\'' or '"')
            {
                var end = clause.IndexOf(c, i + 1);
                end = end < 0 ? clause.Length : end + 1;
                output.Append(clause, i, end - i);
                i = end;
                previous = "value";
                continue;
            }
            if (IsWordChar(c))
            {
                var start = i;
                while (i < clause.Length && IsWordChar(clause[i]))
                    i++;
                var word = clause[start..i];
                if (depth == 0 && aliases.TryGetValue(word, out var expansion) && IsBare(clause, i, previous))
                {
                    if (inUse.Contains(word))
                    {
                        error = new QueryError(start + 1, word, $"alias '{word}' uses itself ({string.Join(" → ", inUse.Append(word))})");
                        return false;
                    }
                    inUse.Add(word);
                    output.Append('(');
                    if (!Expand(expansion, aliases, inUse, output, ref error))
                        return false;
                    output.Append(')');
                    inUse.RemoveAt(inUse.Count - 1);
                    if (output.Length > MaxLength)
                    {
                        error = new QueryError(start + 1, word, $"the clause with its aliases expanded is longer than {MaxLength} characters");
                        return false;
                    }
                    previous = "value";
                }
                else
                {
                    output.Append(word);
                    previous = word.ToLowerInvariant() is "and" or "or" or "not" ? "" : word.ToLowerInvariant() is "like" or "in" ? "op" : "value";
                }
                continue;
            }
            if (c == '[')
                depth++;
            else if (c == ']' && depth > 0)
                depth--;
            if (c is '=' or '<' or '>' or '!')
                previous = "op";
            else if (c is '(' or '&' or '|')
                previous = "";
            else if (!char.IsWhiteSpace(c))
                previous = "value";
            output.Append(c);
            i++;
        }
        return true;
    }

    // A word is a bare term unless a comparison's operator comes just before it (it is a value) or just after it (it is
    // an attribute).
    private static bool IsBare(string clause, int after, string previous)
    {
        if (previous == "op")
            return false;
        var j = after;
        while (j < clause.Length && char.IsWhiteSpace(clause[j]))
            j++;
        if (j < clause.Length && clause[j] is '=' or '<' or '>' or '!')
            return false;
        var rest = clause.AsSpan(j);
        foreach (var op in (ReadOnlySpan<string>)["like", "in"])
        {
            if (rest.StartsWith(op, StringComparison.OrdinalIgnoreCase) && (rest.Length == op.Length || !IsWordChar(rest[op.Length])))
                return false;
        }
        return true;
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    private static readonly string[] ArgumentNames = ["table", "where", "columns", "sort", "limit", "archive", "aliases"];

    private static TractorSelectParse Fail(int column, string token, string problem) =>
        TractorSelectParse.Failed(new QueryError(column, token, problem));

    private sealed class CallReader(string text)
    {
        public int At { get; private set; }

        public bool AtEnd => At >= text.Length;

        public char Peek() => AtEnd ? '\0' : text[At];

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(text[At]))
                At++;
        }

        public bool Take(char c)
        {
            if (Peek() != c || AtEnd)
                return false;
            At++;
            return true;
        }

        public string Word()
        {
            var start = At;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(text[At]) || text[At] is '_' or '-' or '+'))
                At++;
            return text[start..At];
        }

        /// <summary>The token at <paramref name="at"/> for an error: a word, or one character, or "" at the end.</summary>
        public string TokenAt(int at)
        {
            if (at >= text.Length)
                return "";
            var end = at;
            while (end < text.Length && end - at < 40 && (char.IsAsciiLetterOrDigit(text[end]) || text[end] is '_'))
                end++;
            return end == at ? text[at].ToString() : text[at..end];
        }

        /// <summary>An SQL string literal: '...' with '' for a quote inside.</summary>
        public string? SqlString(out QueryError? error)
        {
            error = null;
            var start = At;
            if (Peek() != '\'' || AtEnd)
            {
                error = new QueryError(start + 1, TokenAt(start), "expected a quoted string ('...')");
                return null;
            }
            At++;
            var value = new StringBuilder();
            while (true)
            {
                var close = text.IndexOf('\'', At);
                if (close < 0)
                {
                    error = new QueryError(start + 1, "'", "unterminated quoted string (its closing ' is missing)");
                    At = text.Length;
                    return null;
                }
                value.Append(text, At, close - At);
                At = close + 1;
                if (Peek() == '\'' && !AtEnd)
                {
                    value.Append('\'');
                    At++;
                    continue;
                }
                return value.ToString();
            }
        }

        /// <summary>
        /// The aliases argument, the last: NULL, or an SQL string holding a dict repr. Tractor's clients put the repr in
        /// quotes without doubling the quotes inside it, so when the literal read strictly does not end the call, the text
        /// from its opening quote to the last quote before the call's closing parenthesis is taken as it stands.
        /// </summary>
        public string? AliasArgument(out QueryError? error)
        {
            error = null;
            var start = At;
            if (Peek() != '\'' || AtEnd)
            {
                var word = Word();
                if (string.Equals(word, "NULL", StringComparison.OrdinalIgnoreCase) || string.Equals(word, "None", StringComparison.Ordinal))
                    return "None";
                error = new QueryError(start + 1, TokenAt(start), "expected a quoted string ('...') for argument 7 (aliases)");
                return null;
            }
            var strict = SqlString(out var strictError);
            var afterStrict = At;
            SkipSpace();
            if (strictError is null && Peek() == ')')
            {
                At = afterStrict;
                return strict;
            }
            if (!text.AsSpan(start + 1).TrimStart().StartsWith("{", StringComparison.Ordinal))
            {
                error = strictError is not null
                    ? strictError with { Problem = strictError.Problem + " for argument 7 (aliases)" }
                    : Peek() == ','
                        ? new QueryError(At + 1, ",", "tractorselect takes 7 arguments (table, where, columns, sort, limit, archive, aliases); this call gives more")
                        : new QueryError(At + 1, TokenAt(At), "expected ')' after argument 7 (aliases)");
                return null;
            }
            // Undoubled: the call ends `...}')` (or `...}');`), so the literal closes at the last quote before that ')'.
            var end = text.Length;
            while (end > start && char.IsWhiteSpace(text[end - 1]))
                end--;
            if (end > start && text[end - 1] == ';')
                end--;
            while (end > start && char.IsWhiteSpace(text[end - 1]))
                end--;
            if (end > start && text[end - 1] == ')')
            {
                var close = end - 1;
                while (close > start && char.IsWhiteSpace(text[close - 1]))
                    close--;
                if (close - 1 > start && text[close - 1] == '\'')
                {
                    At = close;
                    return text[(start + 1)..(close - 1)];
                }
            }
            error = strictError is not null
                ? strictError with { Problem = strictError.Problem + " for argument 7 (aliases)" }
                : new QueryError(afterStrict + 1, TokenAt(afterStrict), "expected ')' after argument 7 (aliases)");
            return null;
        }
    }
}

/// <summary>Outcome of <see cref="TractorSelectCall.Parse"/>: the call or an error, never both.</summary>
/// <param name="Call">The call read, or null.</param>
/// <param name="Error">Why it was refused (the token and its 1-based position in the call), or null.</param>
public sealed record TractorSelectParse(TractorSelectCall? Call, QueryError? Error)
{
    internal static TractorSelectParse Succeeded(TractorSelectCall call) => new(call, null);

    internal static TractorSelectParse Failed(QueryError error) => new(null, error);
}

/// <summary>
/// Reads the repr of a Python dict of strings to strings, as `ast.literal_eval` would for that one shape (§4a's aliases):
/// `None`, an empty text, or `{'key': 'value', "k2": u'v2'}` with Python's string escapes. Anything else (a number, a
/// nested dict, a call, an unterminated string) is an error naming the token and its position; nothing is evaluated.
/// </summary>
internal static class PythonDict
{
    /// <summary>The dict (empty for `None`, `{}` or no text), or the error naming the token at fault and its 1-based position.</summary>
    public static (Dictionary<string, string>? Dict, QueryError? Error) Parse(string text)
    {
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        var t = text.Trim();
        if (t.Length == 0 || t == "None" || t == "{}")
            return (dict, null);
        var i = text.Length - text.TrimStart().Length;
        if (text[i] != '{')
            return (null, Error(text, i, "expected None or a dict ({...})"));
        i++;
        while (true)
        {
            Skip(text, ref i);
            if (i < text.Length && text[i] == '}')
                break;
            var keyAt = i;
            var key = ReadString(text, ref i, out var error);
            if (error is not null)
                return (null, error);
            if (key is null)
                return (null, Error(text, keyAt, "an alias name must be a string"));
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(key[0]))
                return (null, new QueryError(keyAt + 1, key, "an alias name must be one word (letters, digits, _)"));
            Skip(text, ref i);
            if (i >= text.Length || text[i] != ':')
                return (null, Error(text, i, "expected ':' after an alias name"));
            i++;
            Skip(text, ref i);
            var valueAt = i;
            var value = ReadString(text, ref i, out error);
            if (error is not null)
                return (null, error);
            if (value is null)
                return (null, Error(text, valueAt, $"the clause of alias '{key}' must be a string"));
            dict[key] = value;
            Skip(text, ref i);
            if (i < text.Length && text[i] == ',')
            {
                i++;
                continue;
            }
            if (i < text.Length && text[i] == '}')
                break;
            return (null, Error(text, i, "expected ',' or '}'"));
        }
        i++;
        Skip(text, ref i);
        return i < text.Length ? (null, Error(text, i, "expected nothing after the dict's '}'")) : (dict, null);
    }

    private static void Skip(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
    }

    private static QueryError Error(string text, int at, string problem)
    {
        if (at >= text.Length)
            return new QueryError(at + 1, "", problem);
        var end = at;
        while (end < text.Length && end - at < 40 && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
            end++;
        return new QueryError(at + 1, end == at ? text[at].ToString() : text[at..end], problem);
    }

    // A Python string literal (optionally u/U/b-less prefixed), or null when the text at i is not one (the caller names it).
    private static string? ReadString(string text, ref int i, out QueryError? error)
    {
        error = null;
        var start = i;
        if (i < text.Length && text[i] is 'u' or 'U' && i + 1 < text.Length && text[i + 1] is '\'' or '"')
            i++;
        if (i >= text.Length || text[i] is not ('\'' or '"'))
        {
            i = start;
            return null;
        }
        var quote = text[i++];
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            var c = text[i++];
            if (c == '\n')
                break;
            if (c != '\\')
            {
                value.Append(c);
                continue;
            }
            if (i >= text.Length)
                break;
            var e = text[i++];
            switch (e)
            {
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '0': value.Append('\0'); break;
                case 'x' or 'u' or 'U':
                    var digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > text.Length || !int.TryParse(text.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                        || code > 0x10FFFF)
                    {
                        error = new QueryError(i - 1, "\\" + e, $"bad \\{e} escape (expected {digits} hex digits)");
                        return null;
                    }
                    value.Append(char.ConvertFromUtf32(code is >= 0xD800 and <= 0xDFFF ? 0xFFFD : code));
                    i += digits;
                    break;
                default:
                    value.Append('\\').Append(e);
                    break;
            }
        }
        if (i >= text.Length || text[i] != quote)
        {
            error = new QueryError(start + 1, quote.ToString(), "unterminated string (its closing quote is missing)");
            return null;
        }
        i++;
        return value.ToString();
    }
}
