using System.CommandLine;
using Furrow.Cli;
using Furrow.Cli.Commands;

if (args is ["blade", .. var bladeArgs])
    NativeHandover.ExecBladeIfInstalled(bladeArgs);
if (args is ["tq" or "spool", ..])
    NativeHandover.ExecClientIfInstalled(args);

var root = new RootCommand("Furrow: a render-farm queue manager that speaks Tractor.")
{
    EngineCommand.Create(),
    BladeCommand.Create(),
    SpoolCommand.Create(),
    TqCommand.Create(),
    DbctlCommand.Create(),
    UpCommand.Create(),
    UserCommand.Create(),
    DashboardCommand.Create(),
};
// No bundling of short options: in `tq jobs title = -draft`, -draft is a value, not -d -r -a -f -t. Through bin/tq or
// bin/tractor-spool, bin/tractor-dbctl, bin/tractor-engine and bin/tractor-blade the command is the root, named as the shim is (ShimName).
var configuration = new ParserConfiguration { EnablePosixBundling = false, ResponseFileTokenReplacer = null };
var (parsing, words) = ShimName.Root(args, [.. ShimName.ClientShims, ("tractor-dbctl", "dbctl", DbctlCommand.Create), ("tractor-engine", "engine", EngineCommand.Create),
    ("tractor-blade", "blade", BladeCommand.Create)]) is var (shim, shimArgs) ? (shim, shimArgs) : (root, args);
var (prepared, wordsError) = OptionWords.Prepare(parsing, words);
if (wordsError is not null)
{
    Console.Error.WriteLine(wordsError);
    return 2;
}
var parsed = parsing.Parse(prepared, configuration);
if (parsed.Errors.Count > 0)
    return UsageErrors.Report(parsed);
// A blade stops on SIGTERM in its own time (ending or draining its commands), and `furrow up` through its engine's host
// (which stops the blade with it): the parser's default of ending the process 2 s after the signal, with exit code 143,
// would cut either short on a loaded machine.
// What users wrote reaches the operator's terminal through the logs of the long-running commands: escaped, never obeyed.
if (BladeCommand.IsBlade(parsed) || UpCommand.IsUp(parsed) || EngineCommand.IsEngine(parsed))
    Furrow.Blade.ConsoleLogging.GuardConsole();
var invocation = new InvocationConfiguration();
if (BladeCommand.IsBlade(parsed) || UpCommand.IsUp(parsed))
    invocation.ProcessTerminationTimeout = null;
return await parsed.InvokeAsync(invocation);
