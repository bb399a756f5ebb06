using System.Text.Json;
using Furrow.Client.Protocol;

namespace Furrow.Client;

/// <summary>
/// The login tokens a user keeps (`tq --login` saves one per engine): `$FURROW_TOKENS_FILE`, else
/// `$XDG_CONFIG_HOME/furrow/tokens.json`, else `~/.config/furrow/tokens.json`, a JSON object from engine URL to
/// <see cref="SavedLogin"/>. Written 0600 in a 0700 directory: a token is as good as the password it came from.
/// </summary>
public static class EngineLogins
{
    /// <summary>Where the tokens are kept (see the class summary).</summary>
    public static string FilePath =>
        Environment.GetEnvironmentVariable("FURROW_TOKENS_FILE") is { Length: > 0 } file ? file
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } config ? config
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "furrow", "tokens.json");

    /// <summary>The saved login for <paramref name="engine"/>, or null; an unreadable or malformed file counts as none.</summary>
    public static SavedLogin? Find(Uri engine)
    {
        try
        {
            return Read().TryGetValue(engine.ToString(), out var login) ? login : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Saves (or replaces) the login for <paramref name="engine"/>.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(Uri engine, SavedLogin login)
    {
        var logins = ReadForUpdate();
        logins[engine.ToString()] = login;
        Write(logins);
    }

    /// <summary>Forgets the login for <paramref name="engine"/>; returns it, or null when there was none.</summary>
    public static SavedLogin? Remove(Uri engine)
    {
        var logins = ReadForUpdate();
        if (!logins.Remove(engine.ToString(), out var login))
            return null;
        Write(logins);
        return login;
    }

    private static Dictionary<string, SavedLogin> ReadForUpdate()
    {
        try
        {
            return Read();
        }
        catch (JsonException)
        {
            // A file made unreadable by hand is replaced rather than blocking every later login.
            return new Dictionary<string, SavedLogin>(StringComparer.Ordinal);
        }
    }

    private static Dictionary<string, SavedLogin> Read() =>
        File.Exists(FilePath)
            ? JsonSerializer.Deserialize(File.ReadAllText(FilePath), FurrowJsonContext.Default.DictionaryStringSavedLogin) ?? new(StringComparer.Ordinal)
            : new Dictionary<string, SavedLogin>(StringComparer.Ordinal);

    private static void Write(Dictionary<string, SavedLogin> logins)
    {
        var path = FilePath;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AtomicFile.Write(path, JsonSerializer.Serialize(logins, FurrowJsonContext.Default.DictionaryStringSavedLogin));
    }
}
