using System.CommandLine;
using Furrow.Blade;

// furrow-blade: `furrow blade` compiled to native code; the same options, and the same messages (as `furrow blade`,
// which is how it is started).
var root = new RootCommand("Furrow blade: takes work from the engine and runs it");
Furrow.Blade.BladeCommandLine.Configure(root, BladeCommandLine.EngineOption(), "furrow blade");
// What users wrote (owners, commands) reaches the operator's terminal through its log lines: escaped, never obeyed.
ConsoleLogging.GuardConsole();
// The blade stops on SIGTERM in its own time (ending or draining its commands): not the parser's 2 s.
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
    return Furrow.Cli.UsageErrors.Report(parsed);
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
