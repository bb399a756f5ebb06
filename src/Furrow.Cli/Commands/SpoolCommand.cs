using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Authoring;
using Command = System.CommandLine.Command;
using JobCommand = Furrow.Client.Authoring.Command;
using Furrow.Core.Jobs;
using Furrow.Core.Scripts;
using Furrow.Core.Text;

namespace Furrow.Cli.Commands;

/// <summary>
/// `furrow spool` / `tractor-spool`: submits job scripts (or a job it builds from `-c COMMAND ...` or RIB files) and
/// prints each new job's id. It takes Tractor 2.x tractor-spool's command line (and the spellings of Tractor's script
/// parser, `--owner`, `--cwd`, `--jtier`, `--paused 1`): each option either does what Tractor's does or is refused by
/// name with the reason (docs/tractor-compatibility.md, "tractor-spool options").
/// </summary>
internal static class SpoolCommand
{
    /// <param name="name">The command's name: `spool` under furrow, `tractor-spool` when it is the root (<see cref="ShimName"/>).</param>
    public static Command Create(string name = "spool")
    {
        var o = new SpoolOptionSet();
        var command = new Command(name, "submit job scripts, or a job of one command (-c); prints each new job's id");
        foreach (var option in o.All)
            command.Options.Add(option);
        command.Arguments.Add(o.Files);
        // The files take any number of words, so a mistyped option would arrive among them: it is a parse error instead,
        // which UsageErrors names with the closest option. After -c every word is the command's (the files hold the
        // command's words past its first); a mistyped option before -c is named by OptionWords.
        command.Validators.Add(result =>
        {
            if (result.GetResult(o.RemoteCommand) is null && result.GetResult(o.LocalCommand) is null
                && (result.GetValue(o.Files) ?? []).FirstOrDefault(UsageErrors.LooksLikeOption) is { } stray)
                result.AddError($"unknown option '{stray}'");
        });
        command.SetAction((result, ct) => RunAsync(result, o, ct));
        return command;
    }

    // Tractor's options, with Furrow's own spellings beside them.
    private sealed class SpoolOptionSet
    {
        public readonly Option<string?> Engine = CommonOptions.Engine();
        public readonly Option<string> User = CommonOptions.User("job owner (default: $USER); --owner is the same");
        public readonly Option<double?> Priority = NumberOptions.Decimal(new("--priority") { Description = $"the job's priority ({JobPriority.RangeText}), over the script's" });
        // Tractor's script parser spells it `--paused 1`. The parser hands a flag only a word that reads as a bool (true,
        // false): 1 and 0 arrive among the files and are taken back from there (PausedDigit), and any other word after
        // it is the next job file (`--paused job.alf`); `--paused=WORD` is checked before parsing (OptionWords).
        public readonly Option<bool> Paused = new("--paused")
        {
            Description = "spool the job paused (--paused 1 or true; --paused 0 or false spools it unpaused)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        public readonly Option<bool> Json = CommonOptions.Json("print {\"jid\": N} instead of the bare job id");
        public readonly Option<string?> Hname = new("--hname") { Description = "the job's spool host (default: this host's name)" };
        public readonly Option<string?> JobCwd = new("--jobcwd", "--cwd") { Description = "the directory the job's commands start in (default: the current directory)" };
        public readonly Option<bool> InJson = new("--in-json", "-J") { Description = "the job files are a JSON job form, Furrow's or Tractor's (default: by name and content)" };
        public readonly Option<bool> InAlfred = new("--in-alfred", "-A") { Description = "the job files are alfred scripts" };
        public readonly Option<string?> Projects = new("--projects", "--jprojects") { Description = "the job's projects, over the script's (words separated by spaces or commas)" };
        public readonly Option<string?> Tier = new("--tier", "--jtier") { Description = "the job's dispatching tier, over the script's" };
        public readonly Option<string?> Svckey = new("--svckey", "--service", "--jsvckey") { Description = "a service key ANDed with every key of the job; with -c or --rib(s), their commands' key" };
        public readonly Option<string?> Envkey = new("--envkey", "--jenvkey") { Description = "the job's environment keys, over the script's" };
        public readonly Option<string?> Title = new("--title") { Description = "the job's title, over the script's or the generated one" };
        public readonly Option<string?> AfterTime = new("--aftertime") { Description = "start no command before this time, as the script's -after ('MM DD HH:MM')" };
        public readonly Option<string?> AfterJid = new("--afterjid", "--afterjids") { Description = "start no command before these jobs are done (job ids, separated by spaces or commas)" };
        public readonly Option<int?> MaxActive = NumberOptions.Whole(new Option<int?>("--maxactive") { Description = "the most commands of the job active at once (0: no limit)" });
        public readonly Option<bool> RemoteCommand = new("-c", "--command") { Description = "spool a job of one task running the rest of the command line on a blade (RemoteCmd); last option" };
        public readonly Option<bool> LocalCommand = new("-C") { Description = "as -c, as a local Cmd (on the spool host's blade)" };
        public readonly Option<string?> CmdSvckey = new("--cmdsvckey", "--cmdservice") { Description = "with -c: each command's service key (RANGE and ITER are replaced)" };
        public readonly Option<string?> Range = new("--range") { Description = "with -c: a task for each number ('1-10', '1,4,9,16-20'), RANGE in the command replaced by it" };
        public readonly Option<string?> IterValues = new("--itervalues") { Description = "with -c: a task for each comma-separated value, ITER in the command replaced by it" };
        public readonly Option<string?> IterFile = new("--iterfile") { Description = "with -c: a task for each non-empty line of FILE, ITER in the command replaced by it" };
        public readonly Option<bool> Ribs = new("--ribs", "-r") { Description = "the files are RIB files, each rendered by its own prman task" };
        public readonly Option<bool> Rib = new("--rib", "-R") { Description = "the files are RIB files rendered by one prman command" };
        public readonly Option<bool> Nrm = new("--nrm") { Description = "with --rib(s): render with netrender from the spool host's blade (local Cmd)" };
        public readonly Option<bool> SpoolWait = new("--spool-wait") { Description = "wait until the job is spooled (every spool does: the engine answers once the job is committed)" };
        public readonly Option<bool> StatusJson = new("--status-json") { Description = "print the engine's reply, {\"rc\", \"msg\", \"jid\"}, or the error as {\"rc\", \"msg\"}, on standard output" };
        public readonly Option<bool> StatusPlain = new("--status-plain") { Description = "print the job id as plain text (the default)" };
        public readonly Option<bool> Verbose = new("-v", "--debug") { Description = "say on standard error what is spooled where" };
        public readonly Option<bool> Quiet = new("-q") { Description = "print nothing on success (not with --status-json)" };
        public readonly Option<bool> Version = CommonOptions.Version();
        public readonly Option<string?> Password = new("--passwd", "-p", "--password") { Description = "log in as --user, the job owner, with this password before spooling (others see it in ps: prefer --configfile)" };
        public readonly Option<string?> ConfigFile = new("--configfile") { Description = "log in as the user of FILE with its password, {\"tractorconfig\": {\"user\": ..., \"passwd\": ...}}; the job's owner unless --user names another" };
        public readonly Option<bool> Review = new("--review", "--print-alfscript", "-o") { Description = "print the job script instead of spooling it" };
        public readonly Option<string?> JobDelete = new("--jdelete", "--jretire") { Description = "delete job JID (as --user) instead of spooling" };
        // Tractor options whose effect Furrow cannot give: named so they are refused with the reason, not as unknown.
        public readonly Option<string?> Haddr = new("--haddr") { Description = "refused: Furrow keeps no spool address (spooladdr); --hname names the spool host" };
        public readonly Option<string?> RemoteCleanKey = new("--remotecleankey") { Description = "refused: Furrow does not turn a job's local cleanup Cmds into RemoteCmds" };
        public readonly Option<bool> AlfEscape = new("--alfescape") { Description = "refused: Furrow reads alfred scripts by one quoting rule" };
        public readonly Option<bool> ReviewDebug = new("--review-debug", "--print-jobjson", "-O") { Description = "refused: Tractor's client-side job JSON is not Furrow's; --review prints the script" };
        public readonly Argument<string[]> Files = new("file") { Description = "alfred job scripts or JSON jobs (- for stdin); after -c, the command and its arguments", Arity = ArgumentArity.ZeroOrMore };

        public IEnumerable<Option> All =>
        [
            Engine, User, Priority, Paused, Json, Hname, JobCwd, InJson, InAlfred, Projects, Tier, Svckey, Envkey, Title, AfterTime,
            AfterJid, MaxActive, RemoteCommand, LocalCommand, CmdSvckey, Range, IterValues, IterFile, Ribs, Rib, Nrm, SpoolWait,
            StatusJson, StatusPlain, Verbose, Quiet, Version, Password, ConfigFile, Review, JobDelete, Haddr, RemoteCleanKey, AlfEscape, ReviewDebug,
        ];

        public SpoolOptionSet()
        {
            User.Aliases.Add("--owner");
            // After -c every word is the command's, options of ours too (OptionWords leaves them as they are).
            OptionWords.EndsOptions(RemoteCommand);
            OptionWords.EndsOptions(LocalCommand);
            // An empty list empties the script's, as the engine's projects= and afterjids= do.
            OptionWords.MayBeEmpty(Projects);
            OptionWords.MayBeEmpty(Envkey);
            OptionWords.MayBeEmpty(AfterJid);
        }

    }

    private const string PausedWords = ValueText.SwitchWords;

    // What to spool: a script's text and the name it is spooled under.
    private sealed record Script(string Text, string Name, bool IsJson);

    private static async Task<int> RunAsync(ParseResult result, SpoolOptionSet o, CancellationToken ct)
    {
        var said = UsageErrors.Name(result.CommandResult.Command);
        int Usage(string message) => CommonOptions.Usage(said, message);
        bool Given(Option option) => result.GetResult(option) is { Implicit: false };
        // The option as it was typed (-O, not --review-debug).
        string Typed(Option option) => result.GetResult(option) is OptionResult { IdentifierToken: { } token } ? token.Value : option.Name;

        if (Given(o.Version))
        {
            Console.WriteLine(CommonOptions.VersionText);
            return 0;
        }

        foreach (var (option, why) in new (Option, string)[]
                 {
                     (o.Haddr, "Furrow keeps no spool address (the spooladdr column is not recorded); --hname names the spooling host"),
                     (o.RemoteCleanKey, "Furrow does not turn a job's local cleanup Cmds into RemoteCmds; write RemoteCmd -service KEY in the script"),
                     (o.AlfEscape, "Furrow reads alfred scripts by one quoting rule, Tractor's default; there is no second unquoting to ask for"),
                     (o.ReviewDebug, "Furrow's engine parses the script, so there is no client-side job JSON to print; --review prints the script"),
                 })
        {
            if (Given(option))
                return Usage($"{Typed(option)} is not supported: {why}");
        }
        if (result.GetValue(o.Priority) is { } given && JobPriority.Refusal(given) is { } badPriority)
            return Usage($"--priority: {badPriority}");
        if (result.GetValue(o.MaxActive) is < 0)
            return Usage("--maxactive: expected a whole number from 0 up (0: no limit)");
        if (Given(o.InJson) && Given(o.InAlfred))
            return Usage("--in-json and --in-alfred: give one");
        if (Given(o.Password) && Given(o.ConfigFile))
            return Usage("--passwd and --configfile: give one");
        if (new[] { Given(o.Range), Given(o.IterValues), Given(o.IterFile) }.Count(g => g) > 1)
            return Usage("only one of --range, --itervalues and --iterfile can be given");
        if (Given(o.StatusJson) && (Given(o.StatusPlain) || Given(o.Json)))
            return Usage("--status-json with --status-plain or --json: give one");
        if (Given(o.StatusJson) && Given(o.Quiet))
            return Usage("-q and --status-json: give one (-q prints nothing on success, --status-json prints the engine's reply)");
        if (result.GetValue(o.Hname) is { } hname && SpoolPlace.HostProblem(hname) is { } badHost)
            return Usage($"{Typed(o.Hname)}: '{hname}' is no host name: {badHost}");
        if (result.GetValue(o.JobCwd) is { } cwd && !SpoolPlace.IsWholeDirectory(cwd))
            return Usage($"{Typed(o.JobCwd)}: '{cwd}' is a relative directory: give it whole (/show/shot010), as the blades start the job's commands there, not here");
        if (Given(o.User) && result.GetValue(o.User) is { } named && Furrow.Core.Config.AccountName.Problem(named) is { } badName)
            return Usage($"{Typed(o.User)} {Furrow.Core.Config.AccountName.Quote(named)} is no account name: {badName}");
        var files = result.GetValue(o.Files) ?? [];
        bool? paused = Given(o.Paused) ? result.GetValue(o.Paused) : null;
        // The parser hands a bool option only true and false: Tractor's `--paused 1` / `--paused 0` arrive among the files.
        if (PausedDigit(result) is { } digit)
        {
            paused = ValueText.Switch(digit) == true;
            var at = Array.IndexOf(files, digit);
            files = [.. files[..at], .. files[(at + 1)..]];
        }
        var commandMode = Given(o.RemoteCommand) || Given(o.LocalCommand);
        var ribMode = Given(o.Rib) || Given(o.Ribs) || (!commandMode && files.Length > 0 && files.All(f => f.EndsWith(".rib", StringComparison.Ordinal)));
        foreach (var option in new Option[] { o.CmdSvckey, o.Range, o.IterValues, o.IterFile })
        {
            if (Given(option) && !commandMode)
                return Usage($"{Typed(option)} goes with -c or -C");
        }
        if (Given(o.Nrm) && !ribMode)
            return Usage("--nrm goes with --rib or --ribs");

        string[] argv = [];
        if (commandMode)
        {
            if (ribMode)
                return Usage("-c with --rib or --ribs: give one");
            // Everything after -c is the command, as in Tractor; an option of ours there was refused before parsing (OptionWords).
            var tokens = result.Tokens;
            var at = tokens.ToList().FindIndex(t => t.Type == TokenType.Option && t.Value is "-c" or "-C" or "--command");
            var tail = tokens.Skip(at + 1).Where(t => t.Type != TokenType.DoubleDash).ToList();
            if (tail.Count != files.Length)
                return Usage("-c takes the command after it: name no job file before -c");
            argv = files;
            if (argv.Length == 0 || argv[0].Length == 0)
                return Usage("-c: name the command to run after it");
        }
        if (Given(o.JobDelete))
        {
            if (files.Length > 0)
                return Usage("--jdelete takes a job id and no job files");
            if (!long.TryParse(result.GetValue(o.JobDelete), NumberStyles.None, CultureInfo.InvariantCulture, out var doomed) || doomed < 1)
                return Usage($"--jdelete: '{result.GetValue(o.JobDelete)}' is no job id");
        }
        else if (files.Length == 0)
        {
            return Usage($"name a job script (- for standard input), or -c COMMAND ...; see {said} --help");
        }

        // With --status-json every failure after the command line was read, a job file that cannot be read too, is also
        // the reply's shape on standard output, as a script that parses it expects.
        var statusJson = result.GetValue(o.StatusJson);
        int Failed(string message)
        {
            if (statusJson)
                Console.WriteLine(new StatusReply(1, message, null).ToJson());
            return CommonOptions.Fail(said, message);
        }

        List<Script> scripts;
        try
        {
            scripts = commandMode ? [new Script(CommandJob(result, o, argv).ToAlfred(), "tractor-spool-generated", false)]
                : ribMode ? [new Script(RibJob(result, o, files).ToAlfred(), files[0], false)]
                : Given(o.JobDelete) ? []
                : await ReadScriptsAsync(files, result.GetValue(o.InJson) ? true : result.GetValue(o.InAlfred) ? false : null, WordAfterPaused(result), ct);
        }
        catch (SpoolInputException error)
        {
            return error.IsUsage ? Usage(error.Message) : Failed(error.Message);
        }
        catch (InvalidJobException error)
        {
            return Failed(error.Message);
        }
        if (result.GetValue(o.Review))
        {
            // What would be spooled: the script with the job-wide values written over it, as the engine applies them.
            var afterJids = JobWideValues.JobIds(result.GetValue(o.AfterJid), out var badJids, "--afterjid");
            if (badJids is not null)
                return CommonOptions.Fail(said, badJids);
            var wide = new JobWideValues(result.GetValue(o.Title), result.GetValue(o.Tier), JobWideValues.Words(result.GetValue(o.Projects)),
                result.GetValue(o.Svckey), JobWideValues.Words(result.GetValue(o.Envkey)), result.GetValue(o.MaxActive), result.GetValue(o.AfterTime),
                afterJids, result.GetValue(o.Priority), paused);
            foreach (var script in scripts)
            {
                var text = script.Text;
                if (wide != new JobWideValues())
                {
                    // Tractor's JSON job form is read as the engine reads it, and printed in Furrow's (there is no writer of Tractor's).
                    var parsed = !script.IsJson ? AlfredParser.Parse(text, script.Name)
                        : TractorJobJson.IsTractorForm(text) ? TractorJobJson.Read(text, script.Name, ScriptLimits.Default, TimeZoneInfo.Local)
                        : JobJson.Deserialize(text, script.Name);
                    if (!parsed.Succeeded)
                        return CommonOptions.Fail(said, parsed.Error.ToString());
                    wide.ApplyTo(parsed.Job);
                    text = script.IsJson ? JobJson.Serialize(parsed.Job) : AlfredWriter.Write(parsed.Job);
                }
                Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
            }
            return 0;
        }

        EngineClient client;
        string? password = result.GetValue(o.Password);
        string owner;
        string login;
        try
        {
            var engine = result.GetValue(o.Engine);
            string? configUser = null;
            if (result.GetValue(o.ConfigFile) is { } configFile)
                (configUser, password, engine) = ReadConfigFile(configFile, engine);
            client = new EngineClient(engine);
            // As Tractor's: --passwd logs in as the --user it spools as; --configfile logs in as the file's user, who
            // spools as --user when it is given (which the engine allows an administrator only).
            owner = configUser is not null && !Given(o.User) ? configUser : CommonOptions.ActingUser(result, o.User, client);
            login = configUser ?? owner;
        }
        catch (SpoolInputException error)
        {
            return error.IsUsage ? Usage(error.Message) : Failed(error.Message);
        }
        catch (UriFormatException error)
        {
            return Usage(error.Message);
        }
        using var owned = client;
        try
        {
            if (password is not null)
            {
                try
                {
                    await client.LoginAsync(login, password, ct);
                }
                catch (EngineException error)
                {
                    var hint = result.GetResult(o.Password)?.IdentifierToken?.Value == "-p"
                        ? " (-p is Tractor's --passwd, the job owner's password; the job's priority is --priority)" : "";
                    return Failed($"cannot log in as {login}: {error.Message}{hint}");
                }
                if (result.GetValue(o.Verbose))
                    Console.Error.WriteLine($"{said}: logged in as {login} at {client.BaseAddress}");
            }
            if (result.GetValue(o.JobDelete) is { } jid && Given(o.JobDelete))
            {
                var deleted = await client.OperateAsync("delete", $"jid={jid}", owner, force: false, ct);
                if (deleted.Affected == 0)
                    return Failed(deleted.Refused.Count > 0 ? string.Join("; ", deleted.Refused) : $"no job {jid} to delete");
                if (!result.GetValue(o.Quiet))
                    Console.WriteLine($"J{jid} delete OK");
                return 0;
            }
            var options = new SpoolOptions(owner, null, result.GetValue(o.Hname) ?? Environment.MachineName,
                result.GetValue(o.JobCwd) ?? Environment.CurrentDirectory, result.GetValue(o.Priority),
                paused)
            {
                Title = result.GetValue(o.Title),
                Tier = result.GetValue(o.Tier),
                Projects = result.GetValue(o.Projects),
                Service = result.GetValue(o.Svckey),
                EnvKey = result.GetValue(o.Envkey),
                MaxActive = result.GetValue(o.MaxActive),
                After = result.GetValue(o.AfterTime),
                AfterJids = result.GetValue(o.AfterJid),
            };
            foreach (var script in scripts)
            {
                if (result.GetValue(o.Verbose))
                    Console.Error.WriteLine($"{said}: spooling {script.Name} to {client.BaseAddress} as {owner}");
                Furrow.Client.Protocol.SpoolReply reply;
                try
                {
                    reply = await client.SpoolAsync(script.Text, options with { FileName = script.Name, IsJson = script.IsJson }, ct);
                }
                catch (EngineException error)
                {
                    return Failed(error.Message);
                }
                if (statusJson)
                    Console.WriteLine(new StatusReply(reply.Rc, reply.Msg, reply.Jid).ToJson());
                else if (!result.GetValue(o.Quiet))
                    Console.WriteLine(result.GetValue(o.Json) ? $"{{\"jid\": {reply.Jid}}}" : reply.Jid.ToString(CultureInfo.InvariantCulture));
            }
            return 0;
        }
        catch (EngineException error)
        {
            return Failed(error.Message);
        }
        catch (HttpRequestException error)
        {
            return Failed($"cannot reach the engine at {client.BaseAddress}: {error.Message}");
        }
    }

    private static string? PausedDigit(ParseResult result)
    {
        var tokens = result.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            // 1 and 0 as Tractor writes them, and the other switch words the engine takes (yes, no, on, off, any case).
            if (tokens[i] is { Type: TokenType.Option, Value: "--paused" } && tokens[i + 1] is { Type: TokenType.Argument } word
                && ValueText.Switch(word.Value) is not null && !bool.TryParse(word.Value, out _))
                return word.Value;
        }
        return null;
    }

    // The word right after --paused when it was not --paused's value (so it is read as a job file): a missing file of
    // that name is more likely a mistyped value, which the error then says.
    private static string? WordAfterPaused(ParseResult result)
    {
        var tokens = result.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i] is { Type: TokenType.Option, Value: "--paused" } && tokens[i + 1] is { Type: TokenType.Argument } word
                && ValueText.Switch(word.Value) is null)
                return word.Value;
        }
        return null;
    }

    // A job of one task per value (one task without --range/--iter*), each running argv, as Tractor's -c builds it.
    private static Job CommandJob(ParseResult result, SpoolOptionSet o, string[] argv)
    {
        argv = [.. argv];
        var generatedTitle = argv[0];
        if (argv[0].StartsWith('='))
        {
            // `-c =printenv`: one of the blade's built-in verbs, as Tractor's tractor-spool spells it.
            generatedTitle = argv[0][1..];
            argv = ["TractorBuiltIn", generatedTitle, .. argv[1..]];
        }
        var job = new Job(result.GetValue(o.Title) ?? generatedTitle);
        IReadOnlyList<string?> values = result.GetValue(o.Range) is { } range ? RangeValues(range)
            : result.GetValue(o.IterValues) is { } items ? IterValues(items)
            : result.GetValue(o.IterFile) is { } file ? FileLines(file)
            : [null];
        var placeholder = result.GetValue(o.Range) is not null ? "RANGE" : "ITER";
        var local = result.GetResult(o.LocalCommand) is { Implicit: false };
        foreach (var value in values)
        {
            string Fill(string text) => value is null ? text : text.Replace(placeholder, value, StringComparison.Ordinal);
            var task = new JobTask(Path.GetFileName(argv[0]));
            task.Commands.Add(new JobCommand(argv.Select(Fill))
            {
                Local = local,
                Service = local || result.GetValue(o.CmdSvckey) is not { } key ? null : Fill(key),
            });
            job.Subtasks.Add(task);
        }
        return job;
    }

    // RIB files rendered by prman, one task each (--ribs) or one command for all (--rib); --nrm renders with netrender
    // from the spool host's blade.
    private static Job RibJob(ParseResult result, SpoolOptionSet o, string[] ribs)
    {
        var job = new Job(result.GetValue(o.Title) ?? Path.GetFileName(ribs[0]) + (ribs.Length > 1 ? " ..." : ""));
        var nrm = result.GetValue(o.Nrm);
        IEnumerable<string[]> groups = result.GetValue(o.Rib) ? [ribs] : ribs.Select(r => new[] { r });
        foreach (var group in groups)
        {
            var task = new JobTask(group.Length == 1 ? group[0] : string.Join(' ', group.Select(Path.GetFileName)));
            string[] argv = nrm ? ["netrender", "%H", "-f", "-Progress", .. group] : ["prman", "-Progress", .. group];
            task.Commands.Add(new JobCommand(argv) { Local = nrm, Tags = ["prman"] });
            job.Subtasks.Add(task);
        }
        return job;
    }

    /// <summary>The most tasks --range, --itervalues or --iterfile may make: a typo's 1-1000000 is refused, not spooled.</summary>
    private const int MaxValues = 100_000;

    // Tractor's range list: "1-10", "1,4,9,16-20", negative numbers too ("-14--10"); ascending parts only.
    private static List<string?> RangeValues(string range)
    {
        const string Example = "e.g. 1-10 or 1,4,9,16-20";
        var values = new List<string?>();
        foreach (var part in range.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
                throw new SpoolInputException($"--range '{range}' has an empty part between commas ({Example})", isUsage: true);
            var dash = part.IndexOf('-', 1);
            if (!long.TryParse(dash < 0 ? part : part[..dash], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var first)
                || !long.TryParse(dash < 0 ? part : part[(dash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var last))
                throw new SpoolInputException($"--range: '{part}' is not a number or FIRST-LAST ({Example})", isUsage: true);
            if (last < first)
                throw new SpoolInputException($"--range: '{part}' goes down; write it from the lower number up ({last}-{first})", isUsage: true);
            if (last - first >= MaxValues - values.Count)
                throw new SpoolInputException($"--range '{range}' makes more than {MaxValues} tasks, the most one spool makes", isUsage: true);
            for (var n = first; n <= last; n++)
                values.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        return values;
    }

    // --itervalues' comma-separated values, each kept as written; an empty one (`a,,b`, `a,b,`) is refused.
    private static List<string?> IterValues(string items)
    {
        var values = items.Split(',');
        if (Array.FindIndex(values, v => v.Length == 0) is var empty and >= 0)
            throw new SpoolInputException($"--itervalues '{items}': value {empty + 1} is empty; separate the values by single commas, with none at either end", isUsage: true);
        return values.Length <= MaxValues ? [.. values]
            : throw new SpoolInputException($"--itervalues gives {values.Length} values, more than {MaxValues}, the most tasks one spool makes", isUsage: true);
    }

    // --iterfile: a value for each line, kept as written (spaces at either end too, only a Windows line end dropped);
    // lines that are empty or only blanks are skipped.
    private static List<string?> FileLines(string file)
    {
        List<string?> lines;
        try
        {
            lines = File.ReadAllLines(file).Where(l => !string.IsNullOrWhiteSpace(l)).ToList<string?>();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new SpoolInputException($"--iterfile: cannot read {file}: {error.Message}", isUsage: false);
        }
        return lines.Count == 0 ? throw new SpoolInputException($"--iterfile {file}: the file has no values (no line but blank ones)", isUsage: false)
            : lines.Count > MaxValues ? throw new SpoolInputException($"--iterfile {file}: {lines.Count} values, more than {MaxValues}, the most tasks one spool makes", isUsage: false)
            : lines;
    }

    // Tractor's --configfile: {"tractorconfig": {"user": U, "passwd": P[, "monitor": "HOST[:PORT]"][, "port": N]}}.
    private static (string User, string Password, string? Engine) ReadConfigFile(string path, string? engine)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new SpoolInputException($"--configfile: cannot read {path}: {error.Message}", isUsage: false);
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var config = document.RootElement.GetProperty("tractorconfig");
            var user = config.GetProperty("user").GetString();
            var password = config.GetProperty("passwd").GetString();
            if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
                throw new KeyNotFoundException();
            if (engine is null && config.TryGetProperty("monitor", out var monitor) && monitor.GetString() is { Length: > 0 } host)
            {
                engine = config.TryGetProperty("port", out var port) && !host.Contains(':', StringComparison.Ordinal)
                    ? $"{host}:{(port.ValueKind == JsonValueKind.Number ? port.GetInt32().ToString(CultureInfo.InvariantCulture) : port.GetString())}"
                    : host;
            }
            return (user, password, engine);
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SpoolInputException($"--configfile {path}: expected {{\"tractorconfig\": {{\"user\": \"NAME\", \"passwd\": \"PASSWORD\"}}}} as JSON", isUsage: false);
        }
    }

    private static async Task<List<Script>> ReadScriptsAsync(string[] paths, bool? isJson, string? afterPaused, CancellationToken ct)
    {
        var scripts = new List<Script>();
        foreach (var path in paths)
        {
            if (path != "-" && Directory.Exists(path))
                throw new SpoolInputException($"{path} is a directory, not a job script: name an alfred (.alf) or JSON job file, or - for standard input", isUsage: false);
            string text;
            try
            {
                // Read as bytes and decoded by the engine's own rule, so a Latin-1 script keeps its accents.
                text = ScriptText.Decode(path == "-" ? await ReadStandardInputAsync(ct) : await File.ReadAllBytesAsync(path, ct));
            }
            catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
            {
                throw path == afterPaused
                    ? new SpoolInputException($"cannot read {path}: no such file; it follows --paused, which takes no value or one of {PausedWords}, so it was read as a job file", isUsage: true)
                    : new SpoolInputException($"cannot read {path}: no such file", isUsage: false);
            }
            catch (UnauthorizedAccessException)
            {
                throw new SpoolInputException($"cannot read {path}: permission denied (user {CommonOptions.CurrentUser} may not read it)", isUsage: false);
            }
            catch (IOException error)
            {
                throw new SpoolInputException($"cannot read {path}: {error.Message}", isUsage: false);
            }
            scripts.Add(new Script(text, path == "-" ? "stdin" : path,
                isJson ?? (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith('{'))));
        }
        return scripts;
    }

    private static async Task<byte[]> ReadStandardInputAsync(CancellationToken ct)
    {
        using var input = Console.OpenStandardInput();
        using var bytes = new MemoryStream();
        await input.CopyToAsync(bytes, ct);
        return bytes.ToArray();
    }

    private sealed class SpoolInputException(string message, bool isUsage) : Exception(message)
    {
        public bool IsUsage { get; } = isUsage;
    }
}

/// <summary>What `tractor-spool --status-json` prints: the engine's reply, {"rc", "msg", "jid"}, or the error as {"rc", "msg"} (no jid).</summary>
internal sealed record StatusReply(int Rc, string Msg, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Jid)
{
    // Apostrophes and accents written as they are ("can't", not "can\u0027t"): the reply is read as JSON, never pasted into HTML.
    private static readonly StatusJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public string ToJson() => JsonSerializer.Serialize(this, Context.StatusReply);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StatusReply))]
internal sealed partial class StatusJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
