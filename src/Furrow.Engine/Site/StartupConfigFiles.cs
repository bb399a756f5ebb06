using System.Text.Json;

namespace Furrow.Engine.Site;

/// <summary>
/// The text of the site files the engine reads at start only (tractor.config, db.config) as it read them, so a config
/// reload can say which of them changed since, and so need an engine restart, and which settings differ.
/// </summary>
public sealed class StartupConfigFiles
{
    private static readonly string[] Files = [SiteConfigLoader.EngineConfigFile, SiteConfigLoader.DbConfigFile];

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
    /// differs (<c>ListenPort changed; ScriptMaxBytes added</c>), in file order. A change to comments or layout alone
    /// is no difference: the engine would read the same settings.
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
                _ => Difference(before, now),
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

    // The top-level settings added, removed or changed (names compare ignoring case, as the engine reads them); null when
    // none did. Text that does not read as a JSON object is compared as text.
    private static string? Difference(string before, string now)
    {
        if (Settings(before) is not { } old || Settings(now) is not { } current)
            return "its text changed";
        var changed = current.Where(s => old.TryGetValue(s.Key, out var was) && !JsonElement.DeepEquals(was, s.Value)).Select(s => s.Key).ToList();
        var added = current.Keys.Where(k => !old.ContainsKey(k)).ToList();
        var removed = old.Keys.Where(k => !current.ContainsKey(k)).ToList();
        var parts = new List<string>();
        if (changed.Count > 0)
            parts.Add($"{string.Join(", ", changed)} changed");
        if (added.Count > 0)
            parts.Add($"{string.Join(", ", added)} added");
        if (removed.Count > 0)
            parts.Add($"{string.Join(", ", removed)} removed");
        return parts.Count == 0 ? null : string.Join("; ", parts);
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
