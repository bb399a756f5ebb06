using System.Text.Json;
using Furrow.Core.Config;
using Furrow.Engine.Site;

namespace Furrow.Engine.Access;

/// <summary>
/// Reads and writes `users.config` and reads `crews.config` in a site config directory. users.config holds password
/// hashes, so it must be readable by its owner only (0600): a looser file stops the engine, naming it.
/// </summary>
public static class AccessFiles
{
    public const string UsersFile = "users.config";
    public const string CrewsFile = "crews.config";

    /// <summary>The accounts in users.config (none when the file is absent).</summary>
    /// <exception cref="SiteConfigException">The file is readable or writable by group or others, is not JSON, or names a bad user.</exception>
    public static UsersConfig ReadUsers(string configDirectory)
    {
        var path = Path.Combine(configDirectory, UsersFile);
        if (!File.Exists(path))
            return new UsersConfig();
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead
            | UnixFileMode.OtherWrite)) != 0)
            throw new SiteConfigException($"{path}: holds password hashes but others may read or write it: chmod 600 {path}", path);
        if (SiteConfigLoader.Parse(path, SiteConfigJsonContext.Default.UsersConfig) is not { } file)
            return new UsersConfig();
        foreach (var name in file.Value.Users.Keys)
            if (AccountName.Problem(name) is { } problem)
                throw SiteConfigLoader.Refusal(file, ConfigProblem.Key($"user {AccountName.Quote(name)}: {problem}", "Users", name));
        return file.Value;
    }

    /// <summary>Replaces users.config in one rename, created 0600, so a reader sees the old accounts or the new ones.</summary>
    public static void WriteUsers(string configDirectory, UsersConfig users)
    {
        Directory.CreateDirectory(configDirectory);
        var path = Path.Combine(configDirectory, UsersFile);
        var text = "// Furrow accounts, written by `furrow user`: password hashes (PBKDF2), never passwords. Keep this file 0600.\n" +
            JsonSerializer.Serialize(users, SiteConfigJsonContext.Default.UsersConfig) + "\n";
        Furrow.Client.AtomicFile.Write(path, text);
    }

    /// <summary>
    /// The SitePasswordValidator <paramref name="crews"/> names, its program resolved and checked
    /// (<see cref="SiteLoginValidator.Resolve"/>), or null when it names none.
    /// </summary>
    /// <exception cref="SiteConfigException">The setting is malformed, or its program is missing or not executable; the
    /// message names crews.config, the key and the program.</exception>
    public static Core.Access.PasswordValidatorCommand? ReadValidator(string configDirectory, CrewsConfig crews)
    {
        var path = Path.Combine(configDirectory, CrewsFile);
        var (command, problem) = Core.Access.PasswordValidatorSetting.Read(crews, Path.GetFullPath(configDirectory));
        if (problem is not null)
            throw new SiteConfigException(SiteConfigLoader.Where(path, ConfigProblem.Value(problem, Core.Access.PasswordValidatorSetting.Key)), path);
        return command is null ? null : SiteLoginValidator.Resolve(command, Path.GetFullPath(configDirectory), path);
    }

    /// <summary>crews.config, or an empty one when the file is absent.</summary>
    /// <exception cref="SiteConfigException">The file is not JSON, a crew names a bad user, or a key is one the engine does not
    /// act on (<see cref="Core.Access.CrewRules.Check"/>).</exception>
    public static CrewsConfig ReadCrews(string configDirectory)
    {
        var path = Path.Combine(configDirectory, CrewsFile);
        if (SiteConfigLoader.Parse(path, SiteConfigJsonContext.Default.CrewsConfig) is not { } file)
            return new CrewsConfig();
        var crews = file.Value;
        foreach (var (crew, members) in crews.Crews)
            for (var i = 0; i < members.Count; i++)
                if (!crews.Crews.ContainsKey(members[i]) && !members[i].StartsWith('@') && AccountName.Problem(members[i]) is { } problem)
                    throw SiteConfigLoader.Refusal(file, ConfigProblem.Value($"crew {crew}: member {AccountName.Quote(members[i])}: {problem}",
                        "Crews", crew, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (Core.Access.CrewRules.Problem(crews) is { } refusal)
            throw SiteConfigLoader.Refusal(file, refusal);
        return crews;
    }
}
