using System.CommandLine;
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
        var command = new Command("blade", "run a blade") { engine, name, slots };
        command.SetAction(async (result, ct) =>
        {
            using var logging = Logging.Create();
            var options = new BladeOptions { Engine = result.GetValue(engine), Name = result.GetValue(name)!, Slots = Math.Max(1, result.GetValue(slots)) };
            await new BladeAgent(options, logging.CreateLogger("Furrow.Blade")).RunAsync(ct);
            return 0;
        });
        return command;
    }
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
