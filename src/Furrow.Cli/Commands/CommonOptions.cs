using System.CommandLine;

namespace Furrow.Cli.Commands;

/// <summary>
/// Options every command shares, with the defaults DESIGN.md gives them, and the exit codes every command keeps:
/// 0 done (a search that matched nothing, said on stderr, included); 1 an error (the engine refused or could not be
/// reached, a file could not be read, a job or task named by id does not exist);
/// 2 a usage error, found before anything is sent (an unknown command or option, a missing value, a value that is not
/// of its kind or outside its documented range, an option the command does not use).
/// </summary>
internal static class CommonOptions
{
    public static Option<string?> Engine() => Furrow.Blade.BladeCommandLine.EngineOption();

    /// <summary>A `--port` option: a TCP port from 1 to 65535, else a usage error naming it.</summary>
    public static Option<int?> Port(string description)
    {
        var port = NumberOptions.Whole(new Option<int?>("--port") { Description = description });
        port.Validators.Add(result =>
        {
            // A word that is no number at all is the parser's error already.
            if (result.Tokens is [var token] && int.TryParse(token.Value, out var value) && value is < 1 or > 65535)
                result.AddError($"--port takes a port number from 1 to 65535, not {value}");
        });
        return port;
    }

    public static Option<string> ConfigDir() => new("--configdir")
    {
        Description = "site config directory (default: $FURROW_CONFIGDIR, else ./furrow-site)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FURROW_CONFIGDIR") is { Length: > 0 } dir ? dir : "furrow-site",
    };

    public static Option<bool> Json(string description = "machine-readable output") => new("--json") { Description = description, Recursive = true };

    /// <summary>`--user NAME` (default: $USER); an empty or blank name is a usage error naming the option as typed, never an owner called "unknown".</summary>
    public static Option<string> User(string description, bool recursive = false)
    {
        var user = new Option<string>("--user")
        {
            Description = description,
            DefaultValueFactory = _ => CurrentUser,
            Recursive = recursive,
        };
        user.Validators.Add(result =>
        {
            var typed = result.IdentifierToken?.Value ?? "--user";
            if (!result.Implicit && string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
                result.AddError($"{typed}: the name is empty; give a user name, or leave {typed} out to be $USER");
        });
        OptionWords.MayBeEmpty(user);
        return user;
    }

    /// <summary>
    /// Who a command acts as: `--user` when given; else the user of the login kept for this engine (`tq --login`) when
    /// that is the token the client sends; else $USER. So a user logged in under a name other than their account's
    /// need not repeat it on every command.
    /// </summary>
    public static string ActingUser(System.CommandLine.ParseResult result, Option<string> user, Furrow.Client.EngineClient client) =>
        result.GetResult(user) is { Implicit: false } || client.Token is null
            || Furrow.Client.EngineLogins.Find(client.BaseAddress) is not { } kept || kept.Token != client.Token
            ? result.GetValue(user)!
            : kept.User;

    /// <summary>
    /// `--version` for a client command that has its own root (tq, tractor-spool, as Tractor's): prints Furrow's version
    /// as `furrow --version` does (e.g. `0.1.0+1e9806e...`).
    /// </summary>
    public static Option<bool> Version() => new("--version") { Description = "print Furrow's version, as furrow --version does" };

    /// <summary>Furrow's version as `furrow --version` prints it: the informational version, with the commit it was built from.</summary>
    public static string VersionText =>
        typeof(CommonOptions).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    public static string CurrentUser =>
        Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName;

    /// <summary>Writes an error the way every Furrow command does: to stderr, prefixed with the command; exit code 1.</summary>
    public static int Fail(string command, string message)
    {
        Console.Error.WriteLine($"{command}: {message}");
        return 1;
    }

    /// <summary>As <see cref="Fail"/> for a command used wrongly (an unknown option, a missing value): exit code 2.</summary>
    public static int Usage(string command, string message)
    {
        Console.Error.WriteLine($"{command}: {message}");
        return 2;
    }
}
