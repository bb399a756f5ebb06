namespace Furrow.Core.Config;

/// <summary>
/// `users.config`: the engine's own accounts, `{"Users": {"alice": {"PasswordHash": "..."}}}`. Written by `furrow user`;
/// hashes are ASP.NET Core Identity's (PBKDF2 with a salt per password), never the password.
/// </summary>
public sealed class UsersConfig
{
    public Dictionary<string, UserAccount> Users { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One account of <see cref="UsersConfig"/>.</summary>
public sealed class UserAccount
{
    public string PasswordHash { get; set; } = "";

    /// <summary>Random, new with each password: a login made under another stamp no longer counts.</summary>
    public string Stamp { get; set; } = "";
}

/// <summary>
/// `crews.config` as Tractor writes it: `{"Crews": {"Administrators": ["ana"], "Wranglers": [...], ...}}`. Administrators
/// may act as any user and on any job (Tractor's rule); the engine's own account and root are administrators too.
/// </summary>
public sealed class CrewsConfig
{
    public Dictionary<string, List<string>> Crews { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The members of the Administrators crew (none when the file has no such crew).</summary>
    public IReadOnlyList<string> Administrators => Crews.TryGetValue("Administrators", out var members) ? members : [];
}
