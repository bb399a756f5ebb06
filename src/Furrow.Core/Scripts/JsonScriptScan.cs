using System.Text.Json;

namespace Furrow.Core.Scripts;

/// <summary>
/// What the JSON job forms refuse that a JSON parser lets through, found in one pass over the text with its place: a
/// NUL character in a key or a value (written <c>\u0000</c>; the alfred reader refuses NUL, and a command's argument
/// would be cut at it when run), an escaped surrogate without its pair (<c>\ud800</c> alone: no character, which reading the
/// value as text would fail on), and, for Tractor's form, a key given twice in one object (at the second: Tractor's engine,
/// a Python dict, would keep the last in silence).
/// </summary>
internal static class JsonScriptScan
{
    /// <summary>
    /// The first such problem in <paramref name="text"/> as <c>FILE:LINE:COLUMN: at PATH: ...</c>, or null. Throws
    /// <see cref="JsonException"/> on a syntax error, as the parser that reads the text after it would.
    /// </summary>
    public static ScriptError? FirstProblem(string text, string fileName, int maxDepth, bool duplicates)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = maxDepth,
        });
        // Each open object or list: its path ($.data.commands[0]), the keys seen (an object's), the key or position now read.
        var open = new List<(string Path, HashSet<string>? Keys, string? Key, int Index)>();
        string PathOfNext()
        {
            if (open.Count == 0)
                return "$";
            var (path, keys, key, index) = open[^1];
            if (keys is not null)
                return $"{path}.{key}";
            open[^1] = (path, keys, key, index + 1);
            return $"{path}[{index}]";
        }
        ScriptError At(long tokenStart, string path, string message)
        {
            var at = (int)tokenStart;
            var lineStart = at == 0 ? 0 : Array.LastIndexOf(utf8, (byte)'\n', at - 1) + 1;
            var line = 1 + utf8.AsSpan(0, lineStart).Count((byte)'\n');
            var column = Text.TextColumn.OfUtf8(utf8.AsSpan(lineStart, at - lineStart));
            return new ScriptError(fileName, line, column, $"{(path == "$" ? "" : $"at {path}: ")}{message}");
        }
        const string Nul = "a NUL character (\\u0000) in a value: job scripts are text and may not contain NUL";
        const string LoneSurrogate = "an escaped surrogate without its pair (such as \\ud800 alone) in a value: it is no character, so the text cannot be read";
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    open.Add((PathOfNext(), new HashSet<string>(StringComparer.Ordinal), null, 0));
                    break;
                case JsonTokenType.StartArray:
                    open.Add((PathOfNext(), null, null, 0));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.RemoveAt(open.Count - 1);
                    break;
                case JsonTokenType.PropertyName:
                    var (path, keys, _, index) = open[^1];
                    if (!TryGetString(ref reader, out var key))
                        return At(reader.TokenStartIndex, path, LoneSurrogate.Replace("in a value", "in a key", StringComparison.Ordinal));
                    if (key.Contains('\0', StringComparison.Ordinal))
                        return At(reader.TokenStartIndex, path, Nul.Replace("in a value", "in a key", StringComparison.Ordinal));
                    if (!keys!.Add(key) && duplicates)
                        return At(reader.TokenStartIndex, path, $"duplicate key \"{key}\": a key may be given once");
                    open[^1] = (path, keys, key, index);
                    break;
                case JsonTokenType.String:
                    var valuePath = PathOfNext();
                    if (reader.ValueIsEscaped && HasNulEscape(reader.ValueSpan))
                        return At(reader.TokenStartIndex, valuePath, Nul);
                    // The parser reads "\ud800" without a word, and reading it as text then fails (a 500, not a refusal).
                    if (reader.ValueIsEscaped && !TryGetString(ref reader, out _))
                        return At(reader.TokenStartIndex, valuePath, LoneSurrogate);
                    break;
                default:
                    // Any other value: in a list it takes the next position.
                    PathOfNext();
                    break;
            }
        }
        return null;
    }

    private static bool TryGetString(ref Utf8JsonReader reader, out string text)
    {
        try
        {
            text = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    // Whether a string's raw JSON text has the escape \u0000 (a NUL can be in a JSON string only so); an escaped
    // backslash before "u0000" is text, not that escape.
    private static bool HasNulEscape(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length - 1; i++)
        {
            if (raw[i] != (byte)'\\')
                continue;
            if (raw[i + 1] == (byte)'u' && i + 5 < raw.Length && raw.Slice(i + 2, 4).SequenceEqual("0000"u8))
                return true;
            i++; // the escaped character
        }
        return false;
    }
}
