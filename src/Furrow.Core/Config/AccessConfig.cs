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
/// `crews.config` as Tractor writes it: `{"Crews": {"ValidLogins": [...], "BannedLogins": [...], "Administrators": [...],
/// "Wranglers": [...], "fx": [...]}, "JobEditAccessPolicies": {"defaultPolicy": {"delete": ["JobOwner", "Wranglers",
/// "Administrators"], ...}, "NAME": {...}}}`. A crew lists user names and other crews' names (expanded recursively, as
/// Tractor does). What the crews and policies allow is <see cref="Access.CrewRules"/>'s to say; a key no rule acts on is
/// kept in <see cref="Unknown"/> so that <see cref="Access.CrewRules.Check"/> refuses it by name.
/// </summary>
public sealed class CrewsConfig
{
    /// <summary>Crew name → its members (user names or crew names).</summary>
    public Dictionary<string, List<string>> Crews { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Policy name → (operation or group of operations → who may: "JobOwner" or crew names).</summary>
    public Dictionary<string, Dictionary<string, List<string>>> JobEditAccessPolicies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Tractor's `SitePasswordValidator`: the command the engine runs to check a login users.config has no account for,
    /// as a command line (string) or the program and its arguments (array of strings); null when absent. Read by
    /// <see cref="Access.PasswordValidatorSetting"/>.
    /// </summary>
    public System.Text.Json.JsonElement? SitePasswordValidator { get; set; }

    /// <summary>Furrow's: seconds one validator check may run before it is killed (default 10, at most 300); only with <see cref="SitePasswordValidator"/>.</summary>
    public double? SitePasswordValidatorTimeout { get; set; }

    /// <summary>Top-level keys other than Crews, JobEditAccessPolicies and the validator's: refused at start, never ignored.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Unknown { get; set; }

    /// <summary>The members of the Administrators crew as written (none when the file has no such crew).</summary>
    public IReadOnlyList<string> Administrators => Crews.TryGetValue("Administrators", out var members) ? members : [];
}
