using System.CommandLine;
using System.CommandLine.Help;
using Furrow.Cli;
using Furrow.Cli.Commands;

// furrow-tq: `furrow tq` compiled to native code; the same commands, options and messages, as `tq` (how it is started:
// by bin/tq, or by `furrow tq` handing over to it).
var tq = TqCommand.Create();
tq.Options.Add(new HelpOption());
var parsed = tq.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
if (parsed.Errors.Count > 0)
    return UsageErrors.Report(parsed);
return await parsed.InvokeAsync();
