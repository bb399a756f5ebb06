using System.CommandLine;
using System.CommandLine.Help;
using Furrow.Blade;

// furrow-blade: `furrow blade` compiled to native code; the same options, and the same messages.
// Help and messages name the command as the user typed it: `furrow blade`, or `tractor-blade` through bin/tractor-blade
// (FURROW_INVOKED_AS, as furrow's shims do), never this file's name.
var shim = Environment.GetEnvironmentVariable("FURROW_INVOKED_AS") == "tractor-blade";
// Read once: the commands this blade runs are not the shim the user typed.
Environment.SetEnvironmentVariable("FURROW_INVOKED_AS", null);
var blade = new Command(shim ? "tractor-blade" : "blade", "Furrow blade: takes work from the engine and runs it") { new HelpOption() };
Furrow.Blade.BladeCommandLine.Configure(blade, BladeCommandLine.EngineOption(), shim ? "tractor-blade" : "furrow blade");
var root = shim ? blade : new Command("furrow") { blade };
// What users wrote (owners, commands) reaches the operator's terminal through its log lines: escaped, never obeyed.
ConsoleLogging.GuardConsole();
// The blade stops on SIGTERM in its own time (ending or draining its commands): not the parser's 2 s.
// The same option rules as every furrow command (an empty value, a repeated option, a flag's attached value).
var (prepared, wordsError) = Furrow.Cli.OptionWords.Prepare(root, shim ? args : ["blade", .. args]);
if (wordsError is not null)
{
    Console.Error.WriteLine(wordsError);
    return 2;
}
var parsed = root.Parse(prepared);
if (parsed.Errors.Count > 0)
    return Furrow.Cli.UsageErrors.Report(parsed);
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
