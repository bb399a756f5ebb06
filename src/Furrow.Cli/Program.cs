using System.CommandLine;
using Furrow.Cli.Commands;

var root = new RootCommand("Furrow: a render-farm queue manager that speaks Tractor.")
{
    EngineCommand.Create(),
    BladeCommand.Create(),
    SpoolCommand.Create(),
    TqCommand.Create(),
    DbctlCommand.Create(),
    UpCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
