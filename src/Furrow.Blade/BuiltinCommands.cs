using System.Globalization;
using Furrow.Client.Protocol;

namespace Furrow.Blade;

/// <summary>
/// Commands the blade carries out itself, as Tractor's blade does: `TractorBuiltIn echo|sleep|printenv|file`, the bare
/// `File delete path` of `-cleanup` blocks, and the `Alfred` placeholder old scripts use.
/// </summary>
internal static class BuiltinCommands
{
    /// <summary>Runs a builtin and returns its exit code, or null when the assignment is an ordinary program.</summary>
    public static async Task<int?> TryRunAsync(Assignment a, Action<string> output, Action started, CancellationToken cancellationToken)
    {
        var argv = a.Argv;
        if (argv.Count == 0)
            return null;
        if (a.Kind == "builtin" && argv[0].Equals("File", StringComparison.OrdinalIgnoreCase))
        {
            started();
            return DeleteFiles(argv.Skip(1).ToList(), output);
        }
        if (argv[0] == "Alfred")
        {
            started();
            output("Alfred built-in: nothing to run on a Furrow blade\n");
            return 0;
        }
        if (argv[0] != "TractorBuiltIn" || argv.Count < 2)
            return null;
        started();
        var rest = argv.Skip(2).ToList();
        switch (argv[1].ToLowerInvariant())
        {
            case "echo":
                output(string.Join(' ', rest) + "\n");
                return 0;
            case "printenv":
                foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Order(StringComparer.Ordinal))
                    output($"{key}={Environment.GetEnvironmentVariable(key)}\n");
                return 0;
            case "sleep":
                var seconds = rest.Count > 0 && double.TryParse(rest[0], CultureInfo.InvariantCulture, out var s) ? s : 1;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
                    return 0;
                }
                catch (OperationCanceledException)
                {
                    return 130;
                }
            case "file":
                return DeleteFiles(rest, output);
            default:
                output($"unknown TractorBuiltIn '{argv[1]}': expected echo, printenv, sleep or file\n");
                return 1;
        }
    }

    /// <summary>
    /// The paths a `File delete PATH...` (or `TractorBuiltIn file delete PATH...`) assignment deletes, so a blade that runs
    /// commands as their owner can delete them as that owner; null for any other assignment, and for a malformed one
    /// (which <see cref="TryRunAsync"/> answers with its usage).
    /// </summary>
    public static IReadOnlyList<string>? FileDeletePaths(Assignment a)
    {
        var argv = a.Argv;
        var args = argv.Count > 0 && a.Kind == "builtin" && argv[0].Equals("File", StringComparison.OrdinalIgnoreCase) ? argv.Skip(1).ToList()
            : argv.Count > 1 && argv[0] == "TractorBuiltIn" && argv[1].Equals("file", StringComparison.OrdinalIgnoreCase) ? argv.Skip(2).ToList()
            : null;
        return args is { Count: >= 2 } && args[0].Equals("delete", StringComparison.OrdinalIgnoreCase) ? [.. args.Skip(1).Where(p => !p.StartsWith('-'))] : null;
    }

    private static int DeleteFiles(List<string> args, Action<string> output)
    {
        if (args.Count < 2 || !args[0].Equals("delete", StringComparison.OrdinalIgnoreCase))
        {
            output("File: expected 'File delete PATH...'\n");
            return 1;
        }
        foreach (var path in args.Skip(1).Where(p => !p.StartsWith('-')))
        {
            if (File.Exists(path))
                File.Delete(path);
            else if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            output($"deleted {path}\n");
        }
        return 0;
    }
}
