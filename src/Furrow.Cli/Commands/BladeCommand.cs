using System.CommandLine;
using System.Runtime.InteropServices;
using Furrow.Blade;
using Microsoft.Extensions.Logging;

namespace Furrow.Cli.Commands;

/// <summary>`furrow blade`: runs a blade that takes work from the engine.</summary>
internal static class BladeCommand
{
    public static Command Create()
    {
        var engine = CommonOptions.Engine();
        var name = new Option<string>("--name") { Description = "blade name (default: host name)", DefaultValueFactory = _ => Environment.MachineName };
        var slots = new Option<int>("--slots") { Description = "commands run at once (default: CPU count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var drain = new Option<bool>("--drain")
        {
            Description = "on SIGTERM, let running commands finish before exiting (a second SIGTERM ends them); without it they are ended and requeued",
        };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = "where the blade keeps its journal of running commands and undelivered results (default: ~/.local/share/furrow/blades/NAME@ENGINE)",
        };
        var command = new Command("blade", "run a blade") { engine, name, slots, drain, stateDir };
        command.SetAction(async (result, ct) =>
        {
            using var logging = Logging.Create();
            var options = new BladeOptions
            {
                Engine = result.GetValue(engine), Name = result.GetValue(name)!, Slots = Math.Max(1, result.GetValue(slots)),
                Drain = result.GetValue(drain), StateDirectory = result.GetValue(stateDir),
            };
            BladeAgent agent;
            IDisposable stateLock;
            try
            {
                (agent, stateLock) = BladeAgent.Open(options, logging.CreateLogger("Furrow.Blade"));
            }
            catch (IOException error)
            {
                return CommonOptions.Fail("furrow blade", error.Message);
            }
            using (stateLock)
            {
                // The blade winds down on SIGTERM and SIGINT itself (Program turns off the parser's own 2 s handling for
                // it): a drain lasts as long as its commands do. Cancel keeps the runtime from ending the process.
                void Stop(PosixSignalContext context)
                {
                    context.Cancel = true;
                    agent.RequestStop();
                }
                using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                try
                {
                    await agent.RunAsync(ct);
                }
                catch (KeeperUnavailableException error)
                {
                    return CommonOptions.Fail("furrow blade", error.Message);
                }
            }
            return 0;
        });
        return command;
    }

    /// <summary>Whether a parsed command line runs a blade, which handles its own termination signals.</summary>
    public static bool IsBlade(ParseResult parsed) => parsed.CommandResult.Command.Name == "blade";
}

/// <summary>Console logging for the commands that run long (blade, up), in the engine's one-line format.</summary>
internal static class Logging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(b => b.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
    }));
}
