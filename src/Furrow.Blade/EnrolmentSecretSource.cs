using System.Text.Json;
using System.Text.Json.Serialization;
using Furrow.Core.Config;

namespace Furrow.Blade;

/// <summary>
/// Where a blade finds the site's enrolment secret, needed only to enrol (a blade with a key never shows it):
/// <c>--enrolment-secret-file FILE</c>, else <c>$FURROW_ENROLMENT_SECRET_FILE</c> (for service units), else, for a blade
/// on the engine's own host, the file the engine of the site config directory (<c>--configdir</c>, as every command takes
/// it) keeps it in, when this user may read it. A file named outright must be readable and private to its owner; one found
/// through the config directory is used only if so.
/// </summary>
public static class EnrolmentSecretSource
{
    /// <summary>The environment variable naming the secret's file (a file, not the secret: commands the blade runs inherit its environment).</summary>
    public const string FileVariable = "FURROW_ENROLMENT_SECRET_FILE";

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The secret and the file it came from, or nulls when there is none to be had.</summary>
    /// <exception cref="IOException">A file named outright cannot be read, or group or others may read it.</exception>
    public static (string? Secret, string? Path) Find(string? secretFile, string? configDirectory)
    {
        if ((secretFile ?? Environment.GetEnvironmentVariable(FileVariable)) is { Length: > 0 } named)
            return (Read(Path.GetFullPath(named)), Path.GetFullPath(named));
        if (configDirectory is null || SitePath(configDirectory) is not { } found || !File.Exists(found))
            return (null, null);
        try
        {
            return (Read(found), found);
        }
        catch (IOException)
        {
            return (null, null);
        }
    }

    private static string? SitePath(string configDirectory)
    {
        var tractorConfig = Path.Combine(configDirectory, "tractor.config");
        try
        {
            var config = File.Exists(tractorConfig)
                ? JsonSerializer.Deserialize(File.ReadAllText(tractorConfig), SiteConfigReadContext.Default.EngineConfig) ?? new EngineConfig()
                : new EngineConfig();
            return config.EnrolmentSecretPath(configDirectory);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException)
        {
            // The engine says what is wrong with its config; a blade only looks there for the secret.
            return null;
        }
    }

    private static string Read(string path)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) != 0)
                throw new IOException($"the enrolment secret file {path} may be read or changed by group or others; run `chmod 600 {path}`");
            return File.ReadAllText(path).Trim();
        }
        catch (UnauthorizedAccessException error)
        {
            throw new IOException($"cannot read the enrolment secret file {path}: {error.Message}", error);
        }
        catch (FileNotFoundException error)
        {
            throw new IOException($"the enrolment secret file {path} does not exist", error);
        }
    }
}

/// <summary>tractor.config as the engine reads it (comments, trailing commas, any case), for the secret's file only.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(EngineConfig))]
internal sealed partial class SiteConfigReadContext : JsonSerializerContext;
