using System.CommandLine;
using System.CommandLine.Help;
using Furrow.Cli.Commands;

namespace Furrow.Cli;

/// <summary>
/// The name a user typed: bin/tq, bin/tractor-spool, bin/tractor-dbctl and bin/tractor-engine run `furrow tq`, `furrow
/// spool`, `furrow dbctl` and `furrow engine` with FURROW_INVOKED_AS set to their own name, so help and messages show
/// `tractor-spool [options] <file>`, not a command line the user never typed. Read once per process, at start; only a
/// name that matches the command it runs counts (a stray export elsewhere does not rename `furrow tq`).
/// </summary>
internal static class ShimName
{
    public const string Variable = "FURROW_INVOKED_AS";

    /// <summary>
    /// The command a shim ran, as the root of the command line and named as the shim is, with the words after furrow's
    /// own command; null when furrow was run by its own name. <paramref name="shims"/> are the shims this program answers:
    /// each one's name, the furrow command it runs, and how to make that command under a given name.
    /// </summary>
    public static (Command Root, string[] Args)? Root(string[] args, params (string Shim, string Verb, Func<string, Command> Create)[] shims)
    {
        var invokedAs = Environment.GetEnvironmentVariable(Variable);
        // Read once: what this process starts (an engine's keeper, a blade's commands) is not the shim the user typed.
        Environment.SetEnvironmentVariable(Variable, null);
        foreach (var (shim, verb, create) in shims)
        {
            if (invokedAs != shim || args.Length == 0 || args[0] != verb)
                continue;
            var root = create(shim);
            root.Options.Add(new HelpOption());
            return (root, args[1..]);
        }
        return null;
    }

    /// <summary>The two client shims, bin/tq and bin/tractor-spool, which furrow and furrow-client both answer.</summary>
    public static (string Shim, string Verb, Func<string, Command> Create)[] ClientShims { get; } =
        [("tq", "tq", TqCommand.Create), ("tractor-spool", "spool", SpoolCommand.Create)];
}
