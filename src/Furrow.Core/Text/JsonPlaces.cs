using System.Text;
using System.Text.Json;

namespace Furrow.Core.Text;

/// <summary>
/// Where a key or value is in a JSON text, by the keys leading to it: so a problem found after the text was read (a value
/// out of range) names its line and column as a parse error does (<see cref="JsonProblem"/>).
/// </summary>
public static class JsonPlaces
{
    /// <summary>
    /// <paramref name="message"/> placed at what <paramref name="at"/> leads to in <paramref name="json"/>: keys from the
    /// top (matched exactly, else ignoring case, as the config reader matches them), a list position as its number. The
    /// place is the start of the value, or of the key itself when <paramref name="atKey"/>; line and column count from 1,
    /// the column in characters as <see cref="JsonProblems"/> counts it (<see cref="TextColumn"/>). Null when the text does not hold that path (a
    /// default the file does not set) or does not read as JSON. The text is read as site config files and the JSON job form
    /// are, comments and trailing commas allowed, nesting up to <paramref name="maxDepth"/> (0: the reader's default, 64).
    /// </summary>
    public static JsonProblem? Find(string json, IReadOnlyList<string> at, bool atKey, string message, int maxDepth = 0)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(at);
        var bytes = Encoding.UTF8.GetBytes(json);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                MaxDepth = maxDepth,
            });
            if (!reader.Read() || Seek(ref reader, at, 0, atKey) is not { } offset)
                return null;
            var lineStart = bytes.AsSpan(0, (int)offset).LastIndexOf((byte)'\n') + 1;
            var line = bytes.AsSpan(0, lineStart).Count((byte)'\n') + 1;
            return new JsonProblem(line, TextColumn.OfUtf8(bytes.AsSpan(lineStart, (int)offset - lineStart)), message);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The reader is on the first token of a value: the byte offset of what at[depth..] leads to under it, or null.
    private static long? Seek(ref Utf8JsonReader reader, IReadOnlyList<string> at, int depth, bool atKey)
    {
        if (depth == at.Count)
            return reader.TokenStartIndex;
        var key = at[depth];
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // An exact match wins over one that differs in case, wherever it is in the object.
            var loose = default(Utf8JsonReader);
            var looseFound = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                if (name == key)
                    return Enter(ref reader, at, depth, atKey);
                if (!looseFound && string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
                {
                    loose = reader;
                    looseFound = true;
                }

                reader.Skip();
            }

            return looseFound ? Enter(ref loose, at, depth, atKey) : null;
        }

        if (reader.TokenType == JsonTokenType.StartArray && int.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
            {
                if (i == index)
                    return Seek(ref reader, at, depth + 1, atKey);
                reader.Skip();
            }
        }

        return null;
    }

    // The reader is on the property name at[depth].
    private static long? Enter(ref Utf8JsonReader reader, IReadOnlyList<string> at, int depth, bool atKey)
    {
        if (atKey && depth + 1 == at.Count)
            return reader.TokenStartIndex;
        reader.Read();
        return Seek(ref reader, at, depth + 1, atKey);
    }
}
