using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Furrow.Engine.Site;

/// <summary>
/// The text of the site files the engine reads at start only (tractor.config, db.config) as it read them, so a config
/// reload can say which of them changed since, and so need an engine restart, and which settings differ.
/// </summary>
public sealed class StartupConfigFiles
{
    private static readonly string[] Files = [SiteConfigLoader.EngineConfigFile, SiteConfigLoader.DbConfigFile];

    // What each file is read as: a setting differs when the value the engine would run with does, not when its text does.
    private static readonly Dictionary<string, JsonTypeInfo> Types = new()
    {
        [SiteConfigLoader.EngineConfigFile] = SiteConfigJsonContext.Default.EngineConfig,
        [SiteConfigLoader.DbConfigFile] = SiteConfigJsonContext.Default.DbConfig,
    };

    private static readonly JsonDocumentOptions Reading = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    // File name -> its text at start; null when it was absent.
    private readonly Dictionary<string, string?> _text;

    private StartupConfigFiles(Dictionary<string, string?> text) => _text = text;

    /// <summary>Nothing known of the files at start: every one there now counts as changed.</summary>
    public static StartupConfigFiles None { get; } = new(Files.ToDictionary(f => f, _ => (string?)null));

    /// <summary>The files' text in <paramref name="configDirectory"/> now; read before the engine loads them, so a
    /// change made between the two shows as a difference rather than hiding one.</summary>
    public static StartupConfigFiles Read(string configDirectory) =>
        new(Files.ToDictionary(f => f, f => TextOf(Path.Combine(configDirectory, f))));

    /// <summary>
    /// Each file whose settings in <paramref name="configDirectory"/> now differ from those read at start, with what
    /// differs (<c>ListenPort changed; ScriptMaxBytes added</c>), in file order. What the engine would run with is
    /// compared, not the text: a change to comments or layout, a setting added with the value the engine has by default
    /// (or removed where it had it), and a key the engine does not read are no difference.
    /// </summary>
    public IEnumerable<(string File, string Difference)> ChangedSince(string configDirectory)
    {
        foreach (var file in Files)
        {
            var before = _text.GetValueOrDefault(file);
            var now = TextOf(Path.Combine(configDirectory, file));
            if (before == now)
                continue;
            var difference = (before, now) switch
            {
                (null, _) => "made since the engine started",
                (_, null) => "removed since the engine started (its defaults apply at the next start)",
                _ => Difference(before, now, Types[file]),
            };
            if (difference is not null)
                yield return (file, difference);
        }
    }

    private static string? TextOf(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // The settings whose value as the engine reads it (its default where the file is silent) differs, each said as added,
    // removed or changed by whether the file names it before and now (names compare ignoring case, as the engine reads
    // them); null when none does. Text that does not read as the file's settings is compared as text.
    private static string? Difference(string before, string now, JsonTypeInfo type)
    {
        if (Effective(before, type) is not { } old || Effective(now, type) is not { } current
            || Settings(before) is not { } oldKeys || Settings(now) is not { } currentKeys)
            return "its text changed";
        List<string> changed = [], added = [], removed = [];
        foreach (var property in type.Properties.Where(p => !p.IsExtensionData))
        {
            var was = old.TryGetProperty(property.Name, out var a) ? a : default;
            var next = current.TryGetProperty(property.Name, out var b) ? b : default;
            if (was.ValueKind == next.ValueKind && (was.ValueKind == JsonValueKind.Undefined || JsonElement.DeepEquals(was, next)))
                continue;
            var inBefore = oldKeys.ContainsKey(property.Name);
            var inNow = currentKeys.ContainsKey(property.Name);
            (inNow && !inBefore ? added : inBefore && !inNow ? removed : changed).Add(property.Name);
        }

        var parts = new List<string>();
        if (changed.Count > 0)
            parts.Add($"{string.Join(", ", changed)} changed");
        if (added.Count > 0)
            parts.Add($"{string.Join(", ", added)} added");
        if (removed.Count > 0)
            parts.Add($"{string.Join(", ", removed)} removed");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    // The settings the engine would run with, defaults filled in, as JSON; null when the text does not read as them.
    private static JsonElement? Effective(string text, JsonTypeInfo type)
    {
        try
        {
            return JsonSerializer.Deserialize(text, type) is { } value ? JsonSerializer.SerializeToElement(value, type) : null;
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private static Dictionary<string, JsonElement>? Settings(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, Reading);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            var settings = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in document.RootElement.EnumerateObject())
                settings[property.Name] = property.Value.Clone();
            return settings;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
