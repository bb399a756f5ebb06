using System.CommandLine;
using System.CommandLine.Help;
using Furrow.Cli.Commands;

namespace Furrow.Cli;

/// <summary>
/// The name a user typed: bin/tq and bin/tractor-spool run `furrow tq` and `furrow spool` with FURROW_INVOKED_AS set to
/// their own name, so help and messages show `tractor-spool [options] <file>`, not a command line the user never typed.
/// Read once per process, at start; only a name that matches the command it runs counts (a stray export elsewhere does not
/// rename `furrow tq`).
/// </summary>
internal static class ShimName
{
    public const string Variable = "FURROW_INVOKED_AS";

    /// <summary>
    /// The command a shim ran, as the root of the command line and named as the shim is, with the words after furrow's
    /// own command; null when furrow was run by its own name.
    /// </summary>
    public static (Command Root, string[] Args)? Root(string[] args)
    {
        Command? root = (Environment.GetEnvironmentVariable(Variable), args) switch
        {
            ("tq", ["tq", ..]) => TqCommand.Create("tq"),
            ("tractor-spool", ["spool", ..]) => SpoolCommand.Create("tractor-spool"),
            _ => null,
        };
        if (root is null)
            return null;
        root.Options.Add(new HelpOption());
        return (root, args[1..]);
    }
}
