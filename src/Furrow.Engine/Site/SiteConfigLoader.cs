using System.Text.Json;
using System.Text.Json.Serialization;
using Furrow.Core.Config;

namespace Furrow.Engine.Site;

/// <summary>A site config file that cannot be read, with the file, line and reason.</summary>
/// <param name="message">What is wrong; it begins with <paramref name="filePath"/> when one is given.</param>
/// <param name="filePath">The file the message names, spelt as the message spells it; null when it names no one file.</param>
public sealed class SiteConfigException(string message, string? filePath = null) : Exception(message)
{
    /// <summary>The file the message names, as it spells it; null when it names no one file.</summary>
    public string? FilePath { get; } = filePath;

    /// <summary>
    /// The message with its file named as the operator knows it, relative to <paramref name="configDirectory"/>
    /// (<c>limits.config:3:17: ...</c>); unchanged when it names no file, or one outside that directory.
    /// </summary>
    public string MessageIn(string configDirectory)
    {
        if (FilePath is null)
            return Message;
        var relative = Path.GetRelativePath(Path.GetFullPath(configDirectory), Path.GetFullPath(FilePath));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? Message
            : Message.Replace(FilePath, relative, StringComparison.Ordinal);
    }
}

/// <summary>Reads a site config directory: `tractor.config`, `db.config`; a missing file means defaults.</summary>
public static class SiteConfigLoader
{
    public const string EngineConfigFile = "tractor.config";
    public const string DbConfigFile = "db.config";
    public const string BladeConfigFile = "blade.config";
    public const string LimitsConfigFile = "limits.config";

    /// <summary>
    /// tractor.config, or the defaults when it is absent; a setting out of its range (<see cref="EngineSettingRanges"/>)
    /// stops the engine naming the file, line and column. Keys Furrow does not read are kept in
    /// <see cref="EngineConfig.OtherKeys"/> (a site may copy Tractor's own file): <see cref="IgnoredKeys"/> names them.
    /// </summary>
    public static EngineConfig LoadEngine(string configDir)
    {
        var path = Path.Combine(configDir, EngineConfigFile);
        var file = Load(path, SiteConfigJsonContext.Default.EngineConfig);
        return file is null ? new EngineConfig() : Checked(file, EngineSettingRanges.Problems(file.Value));
    }

    /// <summary>db.config, or the defaults when it is absent; keys Furrow does not read are kept in <see cref="DbConfig.OtherKeys"/>.</summary>
    public static DbConfig LoadDb(string configDir) =>
        Load(Path.Combine(configDir, DbConfigFile), SiteConfigJsonContext.Default.DbConfig)?.Value ?? new DbConfig();

    /// <summary>The blade profiles from `blade.config`, or null when the file is absent; a file with problems stops the engine.</summary>
    public static BladeConfig? LoadBlade(string configDir)
    {
        var file = Load(Path.Combine(configDir, BladeConfigFile), SiteConfigJsonContext.Default.BladeConfig);
        return file is null ? null : Checked(file, file.Value.Problems());
    }

    /// <summary>
    /// The named limits from `limits.config`, or null when the file is absent; a file with problems stops the engine.
    /// <paramref name="fingerprint"/> is the SHA-256 of the text read, lowercase hex ("" when absent): two loads give the
    /// same fingerprint exactly when the text did not change between them. It is of the very text the limits came from,
    /// so a file rewritten during a reload cannot pair one text's limits with another's fingerprint.
    /// </summary>
    public static LimitsConfig? LoadLimits(string configDir, out string fingerprint)
    {
        var file = Load(Path.Combine(configDir, LimitsConfigFile), SiteConfigJsonContext.Default.LimitsConfig);
        fingerprint = file is null ? "" : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(file.Text)));
        return file is null ? null : Checked(file, file.Value.Problems());
    }

    /// <summary>
    /// The keys of tractor.config and db.config that Furrow does not read and so ignores, in file order, each with its
    /// file (named as in <see cref="EngineConfigFile"/>) and place. They are not refused: a site may start from Tractor's
    /// own tractor.config, full of settings Furrow has no use for.
    /// </summary>
    public static IReadOnlyList<IgnoredSetting> IgnoredKeys(string configDir, EngineConfig engine, DbConfig db)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(db);
        return [.. Placed(configDir, EngineConfigFile, engine.OtherKeys), .. Placed(configDir, DbConfigFile, db.OtherKeys)];

        static IEnumerable<IgnoredSetting> Placed(string configDir, string file, Dictionary<string, JsonElement>? keys)
        {
            if (keys is not { Count: > 0 })
                return [];
            var text = TextOf(Path.Combine(configDir, file)) ?? "";
            return keys.Keys.Select(key => new IgnoredSetting(file, key, Core.Text.JsonPlaces.Find(text, [key], atKey: true, "")));
        }
    }

    /// <summary>
    /// <paramref name="problem"/> said as <c>FILE:LINE:COLUMN: message</c>, the place found in the file's text now; as
    /// <c>FILE: message</c> when the file does not hold the key (a default) or cannot be read. For checks made away from
    /// the loader, on a config it read.
    /// </summary>
    public static string Where(string path, ConfigProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Where(path, TextOf(path), problem);
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

    private static string Where(string path, string? text, ConfigProblem problem) =>
        text is not null && Core.Text.JsonPlaces.Find(text, problem.At, problem.AtKey, problem.Message) is { } place
            ? $"{path}:{place}"
            : $"{path}: {problem.Message}";

    // The file's value, or every problem found in it, one a line, each at its line and column.
    private static T Checked<T>(Loaded<T> file, IReadOnlyList<ConfigProblem> problems) where T : class =>
        problems.Count == 0
            ? file.Value
            : throw new SiteConfigException(string.Join(Environment.NewLine, problems.Select(problem => Where(file.Path, file.Text, problem))), file.Path);

    /// <summary>
    /// A problem found in a config file read by <see cref="Parse{T}"/>, as a <see cref="SiteConfigException"/> naming the
    /// file, line and column.
    /// </summary>
    internal static SiteConfigException Refusal<T>(Loaded<T> file, ConfigProblem problem) where T : class =>
        new(Where(file.Path, file.Text, problem), file.Path);

    /// <summary>The data directory a config names, made absolute against the config directory; default `&lt;configdir&gt;/data`.</summary>
    public static string DataDirectory(string configDir, EngineConfig config) =>
        Path.GetFullPath(Path.Combine(configDir, string.IsNullOrWhiteSpace(config.TractorDataDirectory) ? "data" : config.TractorDataDirectory));

    /// <summary>
    /// The job database's directory: `DBDataDir` from db.config (relative to the config directory), else
    /// `&lt;data&gt;/db` for SQLite and `&lt;data&gt;/psql` (Tractor's place) for a managed PostgreSQL cluster.
    /// </summary>
    public static string DatabaseDirectory(string configDir, EngineConfig engine, DbConfig db) =>
        string.IsNullOrWhiteSpace(db.DBDataDir)
            ? Path.Combine(DataDirectory(configDir, engine), db.DBProvider == "postgresql" ? "psql" : "db")
            : Path.GetFullPath(Path.Combine(configDir, db.DBDataDir));

    /// <summary>Replaces db.config in one rename, so a reader sees the old file or the new one, never half of either.</summary>
    public static void WriteDb(string configDir, DbConfig config)
    {
        Client.AtomicFile.Write(Path.Combine(configDir, DbConfigFile), "// Written by tractor-dbctl --move-to.\n" +
            JsonSerializer.Serialize(config, SiteConfigJsonContext.Default.DbConfig) + "\n", Client.AtomicFile.Readable, sync: true);
    }

    /// <summary>Writes a commented default config for a new site, as `furrow up` does; existing files are left alone.</summary>
    public static void WriteDefaults(string configDir, int port)
    {
        Directory.CreateDirectory(configDir);
        var engine = Path.Combine(configDir, EngineConfigFile);
        if (!File.Exists(engine))
            File.WriteAllText(engine, $$"""
                {
                    // Furrow engine settings (Tractor's tractor.config keys where Tractor has them).
                    // Relative paths are relative to this directory.
                    "TractorDataDirectory": "data",
                    "ListenPort": {{port}},
                    // A blade silent this long has its commands put back to ready.
                    "BladeSilenceTimeoutSecs": 15,
                    // Limits on spooled job scripts.
                    "ScriptMaxBytes": 67108864,
                    "ScriptMaxDepth": 256
                }

                """);
        var db = Path.Combine(configDir, DbConfigFile);
        if (!File.Exists(db))
            File.WriteAllText(db, """
                {
                    // The job database: "sqlite" keeps it in <TractorDataDirectory>/db/furrow.db.
                    "DBProvider": "sqlite",
                    "DBShutdown": true
                }

                """);
    }

    /// <summary>
    /// A site config file read as <typeparamref name="T"/> with the text it was read from, or null when absent; a JSON
    /// error names file, line and column.
    /// </summary>
    internal static Loaded<T>? Parse<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class => Load(path, type);

    private static Loaded<T>? Load<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        if (!File.Exists(path))
            return null;
        var text = File.ReadAllText(path);
        try
        {
            return JsonSerializer.Deserialize(text, type) is { } value
                ? new Loaded<T>(path, text, value)
                : throw new SiteConfigException($"{path}:1:1: expected an object, not null", path);
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new SiteConfigException($"{path}:{Core.Text.JsonProblems.Describe(error, text, type)}", path);
        }
    }
}

/// <summary>
/// A key of <paramref name="File"/> the engine does not read, at <paramref name="Place"/> (null when not found);
/// <see cref="ToString"/> gives <c>tractor.config:3:5: "EngineOwner"</c>.
/// </summary>
public sealed record IgnoredSetting(string File, string Key, Core.Text.JsonProblem? Place)
{
    public override string ToString() => Place is { } place ? $"{File}:{place.Line}:{place.Column}: \"{Key}\"" : $"{File}: \"{Key}\"";
}

/// <summary>A site config file as read: its path, its text (to place problems found later by line) and its value.</summary>
internal sealed record Loaded<T>(string Path, string Text, T Value) where T : class;

/// <summary>Site config files: JSON with comments and trailing commas, as Tractor writes them.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(EngineConfig))]
[JsonSerializable(typeof(DbConfig))]
[JsonSerializable(typeof(BladeConfig))]
[JsonSerializable(typeof(LimitsConfig))]
[JsonSerializable(typeof(UsersConfig))]
[JsonSerializable(typeof(CrewsConfig))]
internal sealed partial class SiteConfigJsonContext : JsonSerializerContext;
