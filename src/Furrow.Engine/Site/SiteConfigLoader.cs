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

    public static EngineConfig LoadEngine(string configDir)
    {
        var path = Path.Combine(configDir, EngineConfigFile);
        var config = Load(path, SiteConfigJsonContext.Default.EngineConfig) ?? new EngineConfig();
        if (config.ListenPort is < 1 or > 65535)
            throw new SiteConfigException($"{path}: ListenPort must be a port number from 1 to 65535, got {config.ListenPort}", path);
        // Up to 100,000 days (about 270 years); 0 says forever.
        return config.ArchiveRetentionDays is < 0 or > 100_000 or double.NaN
            ? throw new SiteConfigException(
                $"{path}: ArchiveRetentionDays must be 0 (keep deleted jobs forever) or a number of days up to 100000, got {config.ArchiveRetentionDays}", path)
            : config;
    }

    public static DbConfig LoadDb(string configDir) =>
        Load(Path.Combine(configDir, DbConfigFile), SiteConfigJsonContext.Default.DbConfig) ?? new DbConfig();

    /// <summary>The blade profiles from `blade.config`, or null when the file is absent; a file with problems stops the engine.</summary>
    public static BladeConfig? LoadBlade(string configDir)
    {
        var path = Path.Combine(configDir, BladeConfigFile);
        var config = Load(path, SiteConfigJsonContext.Default.BladeConfig);
        return config is null ? null : Validated(path, config, config.Validate());
    }

    /// <summary>The named limits from `limits.config`, or null when the file is absent; a file with problems stops the engine.</summary>
    public static LimitsConfig? LoadLimits(string configDir)
    {
        var path = Path.Combine(configDir, LimitsConfigFile);
        var config = Load(path, SiteConfigJsonContext.Default.LimitsConfig);
        return config is null ? null : Validated(path, config, config.Validate());
    }

    /// <summary>
    /// The SHA-256 of a config file's bytes as lowercase hex, or "" when the file is absent: two reads of the file give the
    /// same fingerprint exactly when its text did not change between them.
    /// </summary>
    public static string Fingerprint(string configDir, string file)
    {
        var path = Path.Combine(configDir, file);
        return File.Exists(path) ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) : "";
    }

    private static T Validated<T>(string path, T config, IReadOnlyList<string> problems) =>
        problems.Count == 0
            ? config
            : throw new SiteConfigException(string.Join(Environment.NewLine, problems.Select(problem => $"{path}: {problem}")), path);

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

    /// <summary>A site config file read as <typeparamref name="T"/>, or null when absent; a JSON error names file, line and column.</summary>
    internal static T? Parse<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class => Load(path, type);

    private static T? Load<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        if (!File.Exists(path))
            return null;
        var text = File.ReadAllText(path);
        try
        {
            return JsonSerializer.Deserialize(text, type);
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new SiteConfigException($"{path}:{Core.Text.JsonProblems.Describe(error, text, type)}", path);
        }
    }
}

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
