using System.CommandLine;
using Furrow.Core.Config;
using Furrow.Engine.Access;
using Furrow.Engine.Site;

namespace Furrow.Cli.Commands;

/// <summary>
/// `furrow user add|passwd|remove|list`: the engine's own accounts in the site's users.config (0600, PBKDF2 hashes).
/// A running engine's next login sees a change; removing an account or changing its password ends its logins within a second.
/// </summary>
internal static class UserCommand
{
    private const string Name = "furrow user";

    public static Command Create()
    {
        var command = new Command("user", "manage the engine's accounts (users.config): add, passwd, remove, list");
        command.Subcommands.Add(SetPassword("add", "add an account", mustExist: false));
        command.Subcommands.Add(SetPassword("passwd", "change an account's password (its logins end)", mustExist: true));

        var configDir = CommonOptions.ConfigDir();
        var removed = new Argument<string>("name") { Description = "the account" };
        var remove = new Command("remove", "remove an account (its logins end)") { configDir, removed };
        remove.SetAction(result => Change(result.GetValue(configDir)!, users =>
        {
            var name = result.GetValue(removed)!;
            if (!users.Users.Remove(name))
                return $"no account {name} in {AccessFiles.UsersFile}";
            Console.WriteLine($"removed {name}");
            return null;
        }));
        command.Subcommands.Add(remove);

        var listDir = CommonOptions.ConfigDir();
        var list = new Command("list", "list the accounts and the administrators among them") { listDir };
        list.SetAction(result =>
        {
            try
            {
                var dir = result.GetValue(listDir)!;
                var administrators = AccessFiles.ReadCrews(dir).Administrators;
                foreach (var name in AccessFiles.ReadUsers(dir).Users.Keys.Order(StringComparer.Ordinal))
                    Console.WriteLine(administrators.Contains(name) ? $"{name}  (Administrators)" : name);
                return 0;
            }
            catch (SiteConfigException error)
            {
                return CommonOptions.Fail(Name, error.Message);
            }
        });
        command.Subcommands.Add(list);
        return command;
    }

    private static Command SetPassword(string verb, string description, bool mustExist)
    {
        var configDir = CommonOptions.ConfigDir();
        var name = new Argument<string>("name") { Description = "the account (letters, digits, '_', '-', '.', '@')" };
        var passwordFile = new Option<string?>("--password-file")
        {
            Description = "read the password from the first line of FILE (- for standard input); default: ask, or read standard input",
            HelpName = "FILE",
        };
        var command = new Command(verb, description) { configDir, name, passwordFile };
        command.Validators.Add(result =>
        {
            var given = result.GetValue(name) ?? "";
            if (AccountName.Problem(given) is { } problem)
                result.AddError($"user name {AccountName.Quote(given)}: {problem}");
        });
        command.SetAction(result =>
        {
            var user = result.GetValue(name)!;
            var dir = result.GetValue(configDir)!;
            return Change(dir, users =>
            {
                if (mustExist != users.Users.ContainsKey(user))
                    return mustExist ? $"no account {user} in {AccessFiles.UsersFile}: add it first" : $"{user} already has an account: use furrow user passwd";
                if (Passwords.Read(result.GetValue(passwordFile), $"password for {user}: ", out var problem) is not { } password)
                    return problem;
                users.Users[user] = new UserAccount
                {
                    PasswordHash = UserAccounts.HashPassword(user, password),
                    Stamp = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                };
                Console.WriteLine(mustExist ? $"changed the password of {user}" : $"added {user}");
                return null;
            });
        });
        return command;
    }

    // Reads users.config, applies the change (null: done; text: why not) and writes it back in one rename.
    private static int Change(string configDir, Func<UsersConfig, string?> change)
    {
        try
        {
            var users = AccessFiles.ReadUsers(configDir);
            if (change(users) is { } refused)
                return CommonOptions.Fail(Name, refused);
            AccessFiles.WriteUsers(configDir, users);
            return 0;
        }
        catch (Exception error) when (error is SiteConfigException or IOException or UnauthorizedAccessException)
        {
            return CommonOptions.Fail(Name, error.Message);
        }
    }
}
