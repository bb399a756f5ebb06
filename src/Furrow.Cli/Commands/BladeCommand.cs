using System.CommandLine;
using Furrow.Blade;

namespace Furrow.Cli.Commands;

/// <summary>
/// `furrow blade`: runs a blade that takes work from the engine. Program hands the command line to the native
/// <c>furrow-blade</c> installed beside furrow.dll before it gets here (<see cref="NativeHandover"/>); this runs the same
/// blade in this process when there is none.
/// </summary>
internal static class BladeCommand
{
    /// <summary>The command, named <paramref name="name"/> (`blade` under furrow, `tractor-blade` as bin/tractor-blade's root).</summary>
    public static Command Create(string name = "blade")
    {
        var command = new Command(name, "run a blade");
        BladeCommandLine.Configure(command, CommonOptions.Engine(), name == "blade" ? "furrow blade" : name);
        return command;
    }

    /// <summary>Whether a parsed command line runs a blade, which handles its own termination signals.</summary>
    public static bool IsBlade(ParseResult parsed) => parsed.CommandResult.Command.Name is "blade" or "tractor-blade";
}
