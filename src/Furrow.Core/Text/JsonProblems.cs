using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Furrow.Core.Text;

/// <summary>
/// Where a JSON document did not fit what was expected, and why, in the writer's terms: line and column from 1 (the
/// column counts characters, <see cref="TextColumn"/>, where the JSON reader counts UTF-8 bytes) and a reason such as
/// <c>at $.MaxSlots: expected a whole number, not "two"</c>. <see cref="ToString"/> gives <c>LINE:COLUMN: reason</c>.
/// </summary>
public readonly record struct JsonProblem(int Line, int Column, string Message)
{
    public override string ToString() => $"{Line}:{Column}: {Message}";
}

/// <summary>
/// The one rule for saying a System.Text.Json failure to a user (site config files, the JSON job form, HTTP bodies):
/// never the framework's wording or this code's type names, but the expected kind of value in plain words (a whole
/// number, a number, true or false, text, a list, an object, one of the names an enum takes), the bad token as written,
/// an unknown key with the keys that are known, a task without its discriminator, a key that may not be null.
/// </summary>
public static partial class JsonProblems
{
    /// <summary>
    /// <paramref name="error"/> (a <see cref="JsonException"/>, or the <see cref="NotSupportedException"/> the serializer
    /// raises for a polymorphic object without its discriminator) said in plain words. <paramref name="json"/>, the text
    /// that was read, lets the bad token be quoted and the column point at its start; <paramref name="root"/>, the type
    /// that was read, lets an unknown key be answered with the known ones and an enum with its names.
    /// </summary>
    public static JsonProblem Describe(Exception error, string? json = null, JsonTypeInfo? root = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        var (reason, path, line, position) = Parts(error);
        var types = root is null ? new Dictionary<string, JsonTypeInfo>() : TypesUnder(root);
        var lineBytes = json is null || line is null ? null : LineBytes(json, (int)line.Value);
        var end = (int)(position ?? 0);
        var start = lineBytes is null ? end : TokenStart(lineBytes, end);
        var at = string.IsNullOrEmpty(path) ? "" : $"at {path}: ";

        string message;
        if (Converted().Match(reason) is { Success: true } converted)
        {
            var token = lineBytes is null ? null : TokenText(lineBytes, start, end);
            var expected = Expected(converted.Groups["type"].Value, path, types);
            message = expected is null
                ? $"{at}this key does not take {token ?? "a value of that kind"}"
                : $"{at}expected {expected}" + (token is null ? "" : $", not {token}");
        }
        else if (Unmapped().Match(reason) is { Success: true } unmapped)
        {
            var key = unmapped.Groups["key"].Value;
            if (lineBytes is not null && LastIndexOf(lineBytes, Encoding.UTF8.GetBytes($"\"{key}\""), end) is var keyAt and >= 0)
                start = keyAt;
            var known = types.TryGetValue(unmapped.Groups["type"].Value, out var owner) ? KeysOf(owner) : [];
            var parent = ParentPath(path);
            message = $"{(parent is null ? "" : $"at {parent}: ")}unknown key \"{key}\"" +
                (known.Count == 0 ? "" : $" (known keys: {string.Join(", ", known)})");
        }
        else if (NoDiscriminator().Match(reason) is { Success: true } abstractType)
        {
            var (property, names) = types.TryGetValue(abstractType.Groups["type"].Value, out var info) ? Discriminators(info) : ("kind", []);
            message = $"{at}{Article(property)} needs \"{property}\"" + (names.Count == 0 ? "" : $" (one of: {string.Join(", ", names)})");
            start = end;
        }
        else if (BadDiscriminator().Match(reason) is { Success: true } badDiscriminator)
        {
            var info = types.Values.FirstOrDefault(t => t.PolymorphismOptions is not null);
            var (property, names) = info is null ? ("kind", []) : Discriminators(info);
            message = $"{at}\"{property}\" must be one of: {string.Join(", ", names)}, not \"{badDiscriminator.Groups["id"].Value}\"";
            start = end;
        }
        else if (NotNull().Match(reason) is { Success: true } notNull)
        {
            message = $"{at}\"{notNull.Groups["key"].Value}\" may not be null";
        }
        else if (MissingRequired().Match(reason) is { Success: true } missing)
        {
            message = $"{at}missing required key {missing.Groups["keys"].Value.Replace('\'', '"')}";
            start = end;
        }
        else if (Duplicate().Match(reason) is { Success: true } duplicate)
        {
            // A key given twice would otherwise have the last one win silently; the place is the second one.
            var key = duplicate.Groups["key"].Success ? duplicate.Groups["key"].Value : LastKey(path);
            if (key is not null && lineBytes is not null && LastIndexOf(lineBytes, Encoding.UTF8.GetBytes($"\"{key}\""), end) is var keyAt and >= 0)
                start = keyAt;
            else
                start = end;
            var parent = ParentPath(path);
            message = $"{(parent is null ? "" : $"at {parent}: ")}duplicate key" + (key is null ? "" : $" \"{key}\"") + ": a key may be given once";
        }
        else
        {
            // The reader's own syntax errors name no types; only its advice about reader options is the framework's.
            var empty = reason.StartsWith("The input does not contain any JSON tokens", StringComparison.Ordinal);
            message = reason.StartsWith("Expected depth to be zero at the end of the JSON payload", StringComparison.Ordinal)
                ? "the JSON ends with an object or a list still open (a } or ] is missing)"
                : empty ? "there is no JSON here: the text is empty, or only white space or comments"
                : reason.Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd('.');
            start = end;
            // The reader places "no tokens" after the last line (2:1 for a body Tractor's transport ended with CRLF): it is
            // the whole text's fault, so it is placed where the text starts.
            if (empty)
                (line, start, lineBytes) = (0, 0, null);
        }

        var column = lineBytes is null ? start + 1 : TextColumn.OfUtf8(lineBytes.AsSpan(0, Math.Clamp(start, 0, lineBytes.Length)));
        return new JsonProblem((int)(line ?? 0) + 1, column, message);
    }

    /// <summary>
    /// A type name as System.Text.Json or System.CommandLine writes it (<c>System.Nullable`1[System.Int32]</c>,
    /// <c>System.Collections.Generic.List`1[System.String]</c>, <c>Int32</c>) as the kind of value it takes, with an
    /// article: "a whole number", "a number", "true or false", "text", "a list", "an object". Enums are named by
    /// <paramref name="types"/> when it knows them ("one of: a, b, c"), else "a name".
    /// </summary>
    public static string Words(string typeName, IReadOnlyDictionary<string, JsonTypeInfo>? types = null)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        var name = typeName.Trim();
        if (Nullable().Match(name) is { Success: true } inner)
            name = inner.Groups["inner"].Value;
        name = name.TrimEnd('?');
        var bare = name[(name.LastIndexOf('.') + 1)..];
        switch (bare)
        {
            case "Int32" or "Int64" or "Int16" or "Byte" or "SByte" or "UInt16" or "UInt32" or "UInt64" or "int" or "long" or "short":
                return "a whole number";
            case "Double" or "Single" or "Decimal" or "double" or "float" or "decimal":
                return "a number";
            case "Boolean" or "bool":
                return "true or false";
            case "String" or "string" or "Char" or "char":
                return "text";
            case "DateTime" or "DateTimeOffset":
                return "a date and time";
            case "TimeSpan":
                return "a duration";
        }

        if (name.EndsWith("[]", StringComparison.Ordinal) || name.Contains("List`1", StringComparison.Ordinal)
            || name.Contains("Set`1", StringComparison.Ordinal) || name.Contains("Enumerable`1", StringComparison.Ordinal))
            return "a list";
        if (types is not null && types.TryGetValue(name, out var info))
        {
            if (info.Type.IsEnum)
                return "one of: " + string.Join(", ", EnumNames(info));
            if (info.Kind == JsonTypeInfoKind.Enumerable)
                return "a list";
        }

        return "an object";
    }

    // For a constructor parameter the serializer names the type that holds the key, not the key's own: the key's type
    // is then looked up in the holder, and without the types to look in the kind is not said rather than said wrong.
    private static string? Expected(string typeName, string? path, Dictionary<string, JsonTypeInfo> types)
    {
        var words = Words(typeName, types);
        if (words != "an object" || path is null || path.EndsWith(']') || path.LastIndexOf('.') < 0)
            return words;
        var key = path[(path.LastIndexOf('.') + 1)..];
        if (!types.TryGetValue(typeName, out var holder))
            return null;
        var property = holder.Properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
        return property is null ? words : Words(property.PropertyType.ToString(), types);
    }

    // Every type reachable from the root (keys, list elements, derived task kinds), by the name the serializer writes.
    private static Dictionary<string, JsonTypeInfo> TypesUnder(JsonTypeInfo root)
    {
        var found = new Dictionary<string, JsonTypeInfo>(StringComparer.Ordinal);
        var pending = new Stack<JsonTypeInfo>([root]);
        while (pending.TryPop(out var info))
        {
            if (!found.TryAdd(info.Type.ToString(), info))
                continue;
            var next = new List<Type>();
            next.AddRange(info.Properties.Select(p => p.PropertyType));
            if (info.ElementType is { } element)
                next.Add(element);
            if (info.PolymorphismOptions is { } polymorphism)
                next.AddRange(polymorphism.DerivedTypes.Select(d => d.DerivedType));
            foreach (var type in next)
            {
                var unwrapped = System.Nullable.GetUnderlyingType(type) ?? type;
                if (info.Options.TryGetTypeInfo(unwrapped, out var child))
                    pending.Push(child);
            }
        }

        return found;
    }

    private static List<string> KeysOf(JsonTypeInfo info) => [.. info.Properties.Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static (string Property, List<string> Names) Discriminators(JsonTypeInfo info) =>
        info.PolymorphismOptions is { } polymorphism
            ? (polymorphism.TypeDiscriminatorPropertyName, [.. polymorphism.DerivedTypes.Select(d => d.TypeDiscriminator?.ToString() ?? "")])
            : ("kind", []);

    private static string Article(string property) => property == "kind" ? "a task" : "an object";

    // The names an enum is written as (its JsonStringEnumMemberName where it has one), asked of its own converter.
    private static IEnumerable<string> EnumNames(JsonTypeInfo info) =>
        Enum.GetValuesAsUnderlyingType(info.Type).Cast<object>()
            .Select(value => JsonSerializer.Serialize(Enum.ToObject(info.Type, value), info).Trim('"'));

    // The key a path such as $.subtasks[0].title ends in, or null when it ends in a list position.
    private static string? LastKey(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.EndsWith(']'))
            return null;
        var dot = path.LastIndexOf('.');
        return dot < 0 ? null : path[(dot + 1)..];
    }

    private static string? ParentPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return null;
        var cut = path.LastIndexOf('.');
        return cut <= 1 ? null : path[..cut];
    }

    // The reason, the JSON path and the 0-based place, from the exception's properties or, for the NotSupportedException
    // the serializer raises without them, from the " Path: … | LineNumber: … | BytePositionInLine: …" it appends.
    private static (string Reason, string? Path, long? Line, long? Position) Parts(Exception error)
    {
        var message = error.Message;
        string? path = null;
        long? line = null, position = null;
        if (Appended().Match(message) is { Success: true } appended)
        {
            message = message[..appended.Index];
            if (appended.Groups["path"].Success)
                path = appended.Groups["path"].Value;
            line = long.Parse(appended.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
            position = long.Parse(appended.Groups["pos"].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (error is JsonException json)
        {
            path = json.Path ?? path;
            line = json.LineNumber ?? line;
            position = json.BytePositionInLine ?? position;
        }

        return (message.Trim(), path, line, position);
    }

    private static byte[]? LineBytes(string json, int line)
    {
        var at = 0;
        for (var i = 0; i < line; i++)
        {
            at = json.IndexOf('\n', at);
            if (at < 0)
                return null;
            at++;
        }

        var end = json.IndexOf('\n', at);
        return Encoding.UTF8.GetBytes(end < 0 ? json[at..] : json[at..end]);
    }

    // The reader stops just after the value it could not convert: back to where that value starts.
    private static int TokenStart(byte[] line, int end)
    {
        end = Math.Min(end, line.Length);
        if (end <= 0)
            return 0;
        var last = line[end - 1];
        if (last is (byte)'{' or (byte)'[')
            return end - 1;
        if (last == (byte)'"')
        {
            for (var i = end - 2; i >= 0; i--)
            {
                if (line[i] != (byte)'"')
                    continue;
                var slashes = 0;
                while (i - slashes - 1 >= 0 && line[i - slashes - 1] == (byte)'\\')
                    slashes++;
                if (slashes % 2 == 0)
                    return i;
            }

            return end;
        }

        var start = end;
        while (start > 0 && (char.IsAsciiLetterOrDigit((char)line[start - 1]) || line[start - 1] is (byte)'-' or (byte)'+' or (byte)'.'))
            start--;
        return start == end ? end : start;
    }

    private static string? TokenText(byte[] line, int start, int end)
    {
        end = Math.Min(end, line.Length);
        if (start >= end)
            return null;
        return line[start] switch
        {
            (byte)'{' => "an object",
            (byte)'[' => "a list",
            _ => Shorten(Encoding.UTF8.GetString(line, start, end - start)),
        };
    }

    private static string Shorten(string token) => token.Length <= 60 ? token : token[..57] + "...";

    private static int LastIndexOf(byte[] line, byte[] what, int before) =>
        line.AsSpan(0, Math.Min(before + what.Length, line.Length)).LastIndexOf(what);

    [GeneratedRegex(@"\s*(?:Path: (?<path>\S*) \| )?LineNumber: (?<line>\d+) \| BytePositionInLine: (?<pos>\d+)\.\s*$")]
    private static partial Regex Appended();

    [GeneratedRegex(@"^The JSON value could not be converted to (?<type>.+?)\.?$")]
    private static partial Regex Converted();

    [GeneratedRegex(@"^The JSON property '(?<key>.*)' could not be mapped to any \.NET member contained in type '(?<type>.+)'\.?$")]
    private static partial Regex Unmapped();

    [GeneratedRegex(@"^The JSON payload for polymorphic interface or abstract type '(?<type>.+)' must specify a type discriminator\.?$")]
    private static partial Regex NoDiscriminator();

    [GeneratedRegex(@"^Read unrecognized type discriminator id '(?<id>.*)'\.?$")]
    private static partial Regex BadDiscriminator();

    [GeneratedRegex(@"^The property or field '(?<key>.+)' on type '.+' doesn't allow (?:setting|getting) null values\.")]
    private static partial Regex NotNull();

    [GeneratedRegex(@"^JSON deserialization for type '.+' was missing required properties including: (?<keys>.+?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"^(?:Duplicate property '(?<key>.*)' encountered during deserialization(?: of type '.+')?|Deserialized object contains a duplicate '(?<key>.*)' metadata property|Duplicate properties not allowed during deserialization)\.?$")]
    private static partial Regex Duplicate();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$")]
    private static partial Regex Nullable();
}
