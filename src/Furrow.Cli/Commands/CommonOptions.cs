using System.CommandLine;

namespace Furrow.Cli.Commands;

/// <summary>Options every command shares, with the defaults DESIGN.md gives them.</summary>
internal static class CommonOptions
{
    public static Option<string?> Engine() => Furrow.Blade.BladeCommandLine.EngineOption();

    public static Option<string> ConfigDir() => new("--configdir")
    {
        Description = "site config directory (default: $FURROW_CONFIGDIR, else ./furrow-site)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FURROW_CONFIGDIR") is { Length: > 0 } dir ? dir : "furrow-site",
    };

    public static Option<bool> Json() => new("--json") { Description = "machine-readable output", Recursive = true };

    public static string CurrentUser =>
        Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName;

    /// <summary>Writes an error the way every Furrow command does: to stderr, prefixed with the command.</summary>
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
