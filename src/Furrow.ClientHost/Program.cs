using System.CommandLine;
using System.CommandLine.Help;
using Furrow.Cli;
using Furrow.Cli.Commands;

// furrow-client: `furrow tq` and `furrow spool` compiled to native code, with furrow's own command line (`furrow-client
// tq jobs`, `furrow-client spool job.alf`) and the same commands, options, messages and exit codes. bin/furrow starts it
// for tq and tractor-spool, and `furrow tq` / `furrow spool` hand over to it (NativeHandover). The root is named furrow,
// not after this file, so that help shows the command lines a user types.
var root = new Command("furrow", "Furrow's client commands: tq and spool.")
{
    TqCommand.Create(),
    SpoolCommand.Create(),
    new HelpOption(),
};
// As furrow parses: in `tq jobs title = -draft`, -draft is a value, not -d -r -a -f -t. Through bin/tq or
// bin/tractor-spool the command is the root, named as the shim is (ShimName).
var configuration = new ParserConfiguration { EnablePosixBundling = false, ResponseFileTokenReplacer = null };
var (parsing, words) = ShimName.Root(args, ShimName.ClientShims) is var (shim, shimArgs) ? (shim, shimArgs) : (root, args);
var (prepared, wordsError) = OptionWords.Prepare(parsing, words);
if (wordsError is not null)
{
    Console.Error.WriteLine(wordsError);
    return 2;
}
var parsed = parsing.Parse(prepared, configuration);
if (parsed.Errors.Count > 0)
    return UsageErrors.Report(parsed);
return await parsed.InvokeAsync();
