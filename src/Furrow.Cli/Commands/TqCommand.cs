using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Query;
using Furrow.Core.Text;

namespace Furrow.Cli.Commands;

/// <summary>`furrow tq` / `tq`: Tractor's query tool: list jobs, tasks, commands, invocations, blades; operate on them.</summary>
internal static class TqCommand
{
    /// <summary>What `tq --help` says of exit codes; the same rule as every Furrow command (<see cref="CommonOptions"/>).</summary>
    public const string ExitCodes =
        "Exit codes: 0 done; 1 an error: the engine refused (a bad clause, a value it will not take such as an unknown tier, " +
        "no such job or task named by id), or the engine could not be reached; 2 a usage error, found before anything " +
        "was sent: an unknown command or option, a missing value, a value not of its kind or outside its range, an option the " +
        "command does not use. A search that matches nothing is no error, as with Tractor's tq: it says so on stderr and " +
        "exits 0 (a runbook's `tq --yes retry active` on a quiet farm has nothing to do).";

    /// <param name="commandName">The command's name: `tq` under furrow, and when it is the root (<see cref="ShimName"/>).</param>
    public static Command Create(string commandName = "tq")
    {
        var engine = CommonOptions.Engine();
        var json = CommonOptions.Json();
        var force = new Option<bool>("--force") { Description = "act on other users' jobs too", Recursive = true };
        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation", Recursive = true };
        var user = CommonOptions.User("who you are (default: $USER); every command takes it", recursive: true);
        var limit = NumberOptions.Whole(new Option<int>("--limit") { Description = "at most this many rows", Recursive = true });
        var sortBy = new Option<string?>("--sortby", "-s") { Description = "sort columns, e.g. priority,-spooltime", Recursive = true };
        var cols = new Option<string?>("--cols", "-c")
        {
            Description = "the columns to list, by Tractor's names, e.g. -c jid,owner,title (values plain, for scripts)",
            Recursive = true,
        };
        var noHeader = new Option<bool>("--nh", "--noheader") { Description = "no header line", Recursive = true };
        var distinct = new Option<bool>("--distinct", "-d") { Description = "each different row once", Recursive = true };
        var archives = new Option<bool>("--archives", "-a") { Description = "search deleted (archived) jobs too", Recursive = true };
        var tq = new Command(commandName, "query and control the queue, as Tractor's tq. " + ExitCodes)
        {
            engine, json, force, yes, user, limit, sortBy, cols, noHeader, distinct, archives,
        };
        var shared = new Shared(engine, json, force, yes, user, limit, sortBy, cols, noHeader, distinct, archives);

        foreach (var (name, table) in new[]
        {
            ("jobs", QueryTable.Jobs), ("tasks", QueryTable.Tasks), ("commands", QueryTable.Commands),
            ("invocations", QueryTable.Invocations), ("blades", QueryTable.Blades), ("params", QueryTable.Params),
        })
        {
            var clause = new Argument<string[]>("query") { Arity = ArgumentArity.ZeroOrMore, Description = "search clause" };
            var list = new Command(name, $"list {name} matching a search clause") { clause };
            // Tractor's tq answers to these short names too.
            if (table == QueryTable.Commands)
                list.Aliases.Add("cmds");
            if (table == QueryTable.Invocations)
                list.Aliases.Add("invos");
            list.TreatUnmatchedTokensAsErrors = false;
            RefuseUnused(list, shared, table is QueryTable.Blades or QueryTable.Params ? Uses.Listing : Uses.Listing | Uses.Archives);
            list.SetAction((result, ct) => Clause(result, clause, table) is { Error: null } words
                ? ListAsync(result, shared, table, words.Clause, ct)
                : Task.FromResult(CommonOptions.Usage("tq", Clause(result, clause, table).Error!)));
            tq.Subcommands.Add(list);
        }
        foreach (var (operation, description) in Operations)
        {
            var clause = new Argument<string[]>("query") { Arity = ArgumentArity.OneOrMore, Description = "search clause naming what to act on" };
            var op = new Command(operation, description) { clause };
            op.TreatUnmatchedTokensAsErrors = false;
            var priority = NumberOptions.Decimal(new Option<double?>("--pri", "-p", "--priority") { Description = "the new priority", Required = true });
            var time = new Option<string?>("--time", "-t")
            {
                Description = "when the jobs may start: 10pm, 3/15|4pm, +2h, an ISO 8601 time",
                Required = true,
            };
            var target = TargetOf(operation);
            var key = new Option<string?>("--key", "-k")
            {
                Description = $"the attribute to change: {string.Join(", ", AttributeEdit.KeysOf(target))}",
                Required = true,
            };
            var value = new Option<string?>("--value", "-v") { Description = "its new value (lists separated by commas)", Required = true };
            var serviceKey = new Option<string?>("--svckey", "-k") { Description = "the new service key expression, e.g. linux,prman", Required = true };
            var crews = new Option<string?>("--crews") { Description = "the jobs' new crews, separated by commas", Required = true };
            // An attribute may be set empty (no comment, no crews, any service): the attribute's own rule says whether it can.
            OptionWords.MayBeEmpty(value);
            OptionWords.MayBeEmpty(serviceKey);
            OptionWords.MayBeEmpty(crews);
            if (operation == "chpri")
                op.Options.Add(priority);
            if (operation == "delay")
                op.Options.Add(time);
            if (operation is "jattr" or "tattr" or "cattr")
            {
                op.Options.Add(key);
                op.Options.Add(value);
            }
            if (operation == "chkeys")
                op.Options.Add(serviceKey);
            if (operation == "chcrews")
                op.Options.Add(crews);
            RefuseUnused(op, shared, Uses.Force | Uses.Yes | Uses.Json);
            op.SetAction((result, ct) =>
            {
                var words = Clause(result, clause, target);
                if (words.Error is { } problem)
                    return Task.FromResult(CommonOptions.Usage("tq", problem));
                if (operation == "chpri" && result.GetValue(priority) is { } pri && JobPriority.Refusal(pri) is { } badPriority)
                    return Task.FromResult(CommonOptions.Usage("tq", $"chpri: --pri: {badPriority}"));
                DateTimeOffset? after = null;
                if (operation == "delay")
                {
                    var text = result.GetValue(time)!;
                    if (!TractorQuery.TryParseTime(text, new QueryContext(CommonOptions.CurrentUser, DateTimeOffset.Now, TimeZoneInfo.Local), out var at))
                        return Task.FromResult(CommonOptions.Usage("tq", $"delay: expected a time such as 10pm, 3/15|4pm or +2h for --time, got '{text}'"));
                    after = at;
                }
                (string Key, string Value)? attribute = null;
                if (operation is "jattr" or "tattr" or "cattr")
                {
                    var (name, text) = (result.GetValue(key)!, result.GetValue(value)!);
                    // aftertime as Tractor sends it is Unix seconds; a person may write a time as delay takes it.
                    if (name.Equals("aftertime", StringComparison.OrdinalIgnoreCase) && !text.All(char.IsAsciiDigit))
                    {
                        if (!TractorQuery.TryParseTime(text, new QueryContext(CommonOptions.CurrentUser, DateTimeOffset.Now, TimeZoneInfo.Local), out var at))
                            return Task.FromResult(CommonOptions.Usage("tq", $"{operation}: expected Unix seconds or a time such as 10pm or +2h for aftertime, got '{text}'"));
                        text = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                    }
                    if (AttributeEdit.Parse(target, name, text, out var refusal) is null)
                        return Task.FromResult(CommonOptions.Usage("tq", $"{operation}: {refusal}"));
                    attribute = (name, text);
                }
                if (operation == "chkeys")
                {
                    if (AttributeEdit.Parse(target, "service", result.GetValue(serviceKey)!, out var refusal) is null)
                        return Task.FromResult(CommonOptions.Usage("tq", $"{operation}: {refusal}"));
                    attribute = ("service", result.GetValue(serviceKey)!);
                }
                // Tractor's chcrews is jattr's set_crews: the engine decides it, and who may, as any jattr.
                if (operation == "chcrews")
                {
                    if (AttributeEdit.Parse(target, "crews", result.GetValue(crews)!, out var refusal) is null)
                        return Task.FromResult(CommonOptions.Usage("tq", $"{operation}: {refusal}"));
                    attribute = ("crews", result.GetValue(crews)!);
                }
                return OperateAsync(result, shared, operation, target, words.Clause, operation == "chpri" ? result.GetValue(priority) : null, after,
                    attribute, ct);
            });
            tq.Subcommands.Add(op);
        }
        foreach (var (name, paused) in new[] { ("pause-dispatch", true), ("resume-dispatch", false) })
        {
            var toggle = new Command(name, (paused ? "stop starting new work (running commands go on)" : "start handing out work again") +
                "; --json: the engine's status after it, as GET /api/v1/status gives it");
            RefuseUnused(toggle, shared, Uses.Json);
            toggle.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
            {
                var status = await client.SetDispatchPausedAsync(paused, ct);
                if (result.GetValue(shared.Json))
                    Console.WriteLine(JsonSerializer.Serialize(status, FurrowJsonContext.Default.EngineStatus));
                else
                    Console.WriteLine(status.DispatchPaused
                    ? $"dispatching is paused: {status.ActiveTasks} running commands go on, nothing new starts"
                    : "dispatching resumed");
                return 0;
            }));
            tq.Subcommands.Add(toggle);
        }
        var reload = new Command("reloadconfig", "have the engine read users.config, crews.config, limits.config and blade.config again and apply " +
            "them now (limits and blade profiles too, without a restart), and say whether tractor.config or db.config changed since the " +
            "engine started (those take a restart); administrators only; --json: the engine's reply");
        // Tractor's tq names the file to reload; the engine reads every one it can either way, and its reply says which.
        foreach (var (file, name) in new[] { ("crews.config", "--crews"), ("limits.config", "--limits"), ("blade.config", "--blade") })
            reload.Options.Add(new Option<bool>(name) { Description = $"as Tractor's tq: {file} is read with the others, and the reply says whether it applied" });
        RefuseUnused(reload, shared, Uses.Json);
        reload.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var reply = await client.ReloadConfigAsync(ct);
            if (result.GetValue(shared.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(reply, FurrowJsonContext.Default.ConfigReloadReply));
                return 0;
            }
            Console.WriteLine(reply.Applied.Count > 0 ? $"applied: {string.Join(", ", reply.Applied)}" : "no config file to apply");
            if (reply.Absent.Count > 0)
                Console.WriteLine($"absent, so in force as none: {string.Join(", ", reply.Absent)}");
            foreach (var note in reply.RestartNeeded.Concat(reply.Ignored))
                Console.WriteLine($"{note.File}: {note.Reason}");
            return 0;
        }));
        tq.Subcommands.Add(reload);
        var jid = NumberOptions.Id(new Argument<long>("jid"));
        var tid = NumberOptions.TaskId(new Argument<int>("tid"));
        var encoding = new Option<string?>("--encoding")
        {
            Description = "decode the log as this encoding (default utf-8) and print it as UTF-8 text; with --json, as the text of its JSON",
        };
        var log = new Command("log", "print a task's log: what its commands printed, byte for byte, each run between a header and an exit line") { jid, tid, encoding };
        RefuseUnused(log, shared, Uses.Json);
        log.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            if (result.GetValue(shared.Json) || result.GetValue(encoding) is not null)
            {
                var text = await client.TaskLogTextAsync(result.GetValue(jid), result.GetValue(tid), result.GetValue(encoding), ct);
                if (result.GetValue(shared.Json))
                    Console.WriteLine(JsonSerializer.Serialize(text, FurrowJsonContext.Default.TaskLogText));
                else
                    Console.Out.Write(text.Text);
                return 0;
            }
            // The bytes go out undecoded, so a log in any encoding reaches a file or a terminal as it was printed.
            var bytes = await client.TaskLogBytesAsync(result.GetValue(jid), result.GetValue(tid), ct);
            await using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(bytes, ct);
            return 0;
        }));
        tq.Subcommands.Add(log);
        tq.Subcommands.Add(WhyCommand(shared));
        tq.Subcommands.Add(HelpCommand(tq, shared));
        foreach (var (name, on) in new[] { ("nimby", true), ("unnimby", false) })
        {
            var blade = new Argument<string>("blade") { Description = "the blade's name" };
            var toggle = new Command(name, (on ? "the blade takes no new work (what runs goes on)" : "the blade takes work again") +
                "; --json: {\"operation\", \"affected\", \"items\", \"refused\"} as operations give it") { blade };
            RefuseUnused(toggle, shared, Uses.Json);
            toggle.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
            {
                var reply = await client.SetNimbyAsync(result.GetValue(blade)!, on, ct);
                if (result.GetValue(shared.Json))
                    Console.WriteLine(JsonSerializer.Serialize(reply, FurrowJsonContext.Default.OperationReply));
                else
                    Console.WriteLine($"{name} {TqTable.Escape(result.GetValue(blade)!)}");
                return 0;
            }));
            tq.Subcommands.Add(toggle);
        }
        var released = new Argument<string>("blade") { Description = "the blade's name" };
        var release = new Command("releaseblade", "release a blade name from the key it was enrolled with (its machine was rebuilt, its " +
            "state directory lost): the next blade showing the site's enrolment secret enrols under it; --json as operations give it") { released };
        RefuseUnused(release, shared, Uses.Json);
        release.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var reply = await client.ReleaseBladeNameAsync(result.GetValue(released)!, ct);
            Console.WriteLine(result.GetValue(shared.Json)
                ? JsonSerializer.Serialize(reply, FurrowJsonContext.Default.OperationReply)
                : $"released blade name {TqTable.Escape(result.GetValue(released)!)}");
            return 0;
        }));
        tq.Subcommands.Add(release);
        var traced = new Argument<string>("blade") { Description = "the blade's name" };
        var traceJobs = NumberOptions.Whole(new Option<int>("--jobs") { Description = "at most this many jobs (default 50)", DefaultValueFactory = _ => 50 });
        var trace = new Command("trace", "say what a blade would get on its next request for work, job by job, or why not; " +
            "--json: {\"blade\": NAME, \"lines\": [the same lines]}") { traced, traceJobs };
        RefuseUnused(trace, shared, Uses.Json);
        trace.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            if (result.GetValue(traceJobs) < 1)
                return CommonOptions.Usage("tq", $"trace: --jobs must be 1 or more, got {result.GetValue(traceJobs)}");
            if (string.IsNullOrWhiteSpace(result.GetValue(traced)))
                return CommonOptions.Usage("tq", "trace: name a blade (tq blades lists them)");
            var text = await client.TraceAsync(result.GetValue(traced)!, result.GetValue(traceJobs), ct);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (result.GetValue(shared.Json))
                Console.WriteLine(TraceJson(result.GetValue(traced)!, lines));
            else
                foreach (var line in lines)
                    Console.WriteLine(TqTable.Escape(line));
            return 0;
        }));
        tq.Subcommands.Add(trace);
        var blockJid = NumberOptions.Id(new Argument<long?>("jid") { Arity = ArgumentArity.ZeroOrOne, Description = "only this job" });
        var blocklist = new Command("blocklist", "blades a job's commands failed on, and which no longer get them") { blockJid };
        RefuseUnused(blocklist, shared, Uses.Json);
        blocklist.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var rows = await client.BlocklistAsync(result.GetValue(blockJid), ct);
            Print(rows, result.GetValue(shared.Json), FurrowJsonContext.Default.ListBlocklistRow, ["jid", "blade", "failures", "blocked"],
                b => [N(b.Jid), b.Blade, N(b.Failures), b.Blocked ? "yes" : "no"]);
            return 0;
        }));
        tq.Subcommands.Add(blocklist);
        var unblockJid = NumberOptions.Id(new Argument<long>("jid"));
        var unblockBlade = new Argument<string?>("blade") { Arity = ArgumentArity.ZeroOrOne, Description = "only this blade (default: all)" };
        var unblock = new Command("unblock", "let a job's commands go to blades it was blocklisted on again; " +
            "--json: {\"operation\", \"affected\", \"items\", \"refused\"} as operations give it") { unblockJid, unblockBlade };
        RefuseUnused(unblock, shared, Uses.Json);
        unblock.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var reply = await client.UnblockAsync(result.GetValue(unblockJid), result.GetValue(unblockBlade), ct);
            return ShowOperation(reply, result.GetValue(shared.Json), reply.Items.Count > 0 ? [$"unblocked {string.Join(", ", reply.Items)}"] : []);
        }));
        tq.Subcommands.Add(unblock);
        AddLogin(tq, shared);
        return tq;
    }

    // `tq --login [--user NAME] [--password-file FILE]` and `tq --logout`, as Tractor's tq: the token is kept per engine in
    // the user's tokens file (EngineLogins) and sent by every later tq, tractor-spool and Furrow client.
    private static void AddLogin(Command tq, Shared shared)
    {
        var login = new Option<bool>("--login") { Description = "log in to the engine as --user (default: $USER) and keep the token for later commands" };
        var logout = new Option<bool>("--logout") { Description = "end the kept login to the engine" };
        var passwordFile = new Option<string?>("--password-file")
        {
            Description = "with --login: the password is the first line of FILE (- for standard input); default: ask, or read standard input",
            HelpName = "FILE",
        };
        var password = new Option<string?>("--password") { Description = "with --login: the password itself (others can see it in ps: prefer --password-file)" };
        var version = CommonOptions.Version();
        tq.Options.Add(version);
        tq.Options.Add(login);
        tq.Options.Add(logout);
        tq.Options.Add(passwordFile);
        tq.Options.Add(password);
        // tq's own options are no command's: `tq --login jobs` would log in and list, or list and forget the login. The
        // parser checks only the command given, so each command checks them.
        Option[] alone = [version, login, logout, passwordFile, password];
        foreach (var command in tq.Subcommands)
        {
            command.Validators.Add(result =>
            {
                if (alone.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } given)
                    result.AddError($"{given.Name} goes with tq alone, not with tq {command.Name}");
            });
        }
        tq.Validators.Add(result =>
        {
            if (result.GetValue(login) && result.GetValue(logout))
                result.AddError("--login and --logout: give one");
            else if (!result.GetValue(login) && (result.GetResult(passwordFile) is { Implicit: false } || result.GetResult(password) is { Implicit: false }))
                result.AddError("--password and --password-file go with --login");
            else if (result.GetResult(passwordFile) is { Implicit: false } && result.GetResult(password) is { Implicit: false })
                result.AddError("--password and --password-file: give one");
        });
        tq.SetAction(async (result, ct) =>
        {
            if (result.GetValue(version))
            {
                if (result.GetValue(login) || result.GetValue(logout))
                    return CommonOptions.Usage("tq", "--version goes alone");
                Console.WriteLine(CommonOptions.VersionText);
                return 0;
            }
            if (!result.GetValue(login) && !result.GetValue(logout))
                return CommonOptions.Usage("tq", "name a command (tq help lists them), or --login / --logout");
            return await WithClientAsync(result, shared, async client =>
            {
                if (result.GetValue(logout))
                {
                    if (EngineLogins.Remove(client.BaseAddress) is not { } saved)
                        return CommonOptions.Fail("tq", $"no login to {client.BaseAddress} is kept in {EngineLogins.FilePath}");
                    using var ending = new EngineClient(client.BaseAddress.ToString(), token: saved.Token);
                    try
                    {
                        await ending.LogoutAsync(ct);
                    }
                    catch (EngineException)
                    {
                        // An expired or already-ended token: forgetting it was all there was to do.
                    }
                    Console.WriteLine(TqTable.Escape($"logged out {saved.User} from {client.BaseAddress}"));
                    return 0;
                }
                var user = result.GetValue(shared.User)!;
                var typed = result.GetValue(password) is { Length: > 0 } given ? given
                    : Passwords.Read(result.GetValue(passwordFile), $"password for {user} at {client.BaseAddress}: ", out var problem) is { } read ? read
                    : null;
                if (typed is null)
                    return CommonOptions.Fail("tq", "--login: the password is empty");
                var reply = await client.LoginAsync(user, typed, ct);
                EngineLogins.Save(client.BaseAddress, new SavedLogin(reply.User, reply.Token, reply.ExpiresMs));
                Console.WriteLine(TqTable.Escape($"logged in as {reply.User} at {client.BaseAddress} (kept in {EngineLogins.FilePath})"));
                return 0;
            });
        });
    }

    // `tq help`, `tq help COMMAND` (that command's options), `tq help columns` (what each listing can search and show).
    private static Command HelpCommand(Command tq, Shared shared)
    {
        var topic = new Argument<string?>("topic") { Arity = ArgumentArity.ZeroOrOne, Description = "a command, or 'columns'" };
        var help = new Command("help", "help on tq, one of its commands, or the columns each listing has (tq help columns)") { topic };
        RefuseUnused(help, shared, Uses.None);
        help.SetAction(result =>
        {
            var name = result.GetValue(topic);
            if (name is null)
                return tq.Parse(["--help"]).Invoke();
            if (name == "columns")
            {
                foreach (var schema in QuerySchema.All.Where(x => x.Table != QueryTable.Notes))
                {
                    Console.WriteLine($"{schema.PluralName}: {string.Join(' ', schema.Columns.Where(c => c.Recorded).Select(c => c.Name))}");
                    // An alias is listed with its column: among the aliases when the column is recorded, else beside it as not recorded.
                    var unrecorded = schema.Columns.Where(c => !c.Recorded).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
                    if (schema.Aliases.Where(a => !unrecorded.Contains(a.Value)).ToList() is { Count: > 0 } aliases)
                        Console.WriteLine($"  aliases: {string.Join(' ', aliases.Select(a => $"{a.Key}={a.Value}"))}");
                    if (unrecorded.Count > 0)
                    {
                        var named = schema.Columns.Where(c => !c.Recorded).Select(c => schema.Aliases.Where(a => a.Value == c.Name).Select(a => a.Key).ToList()
                            is { Count: > 0 } also ? $"{c.Name} ({string.Join(", ", also)})" : c.Name);
                        Console.WriteLine($"  not recorded by Furrow: {string.Join(' ', named)}");
                    }
                }
                Console.WriteLine("tasks, commands and invocations also see their job's columns (priority, Job.title), commands and invocations their task's (task.state).");
                Console.WriteLine("listings also show (not searchable): tasks blade why; blades inuse clockskew");
                Console.WriteLine("service: on tasks, the task's own -service, which its commands without one run with (else their job's); " +
                    "on commands, the command's own (- when it inherits), which chkeys and tattr -k service change");
                return 0;
            }
            var command = tq.Subcommands.FirstOrDefault(c => c.Name == name || c.Aliases.Contains(name));
            if (command is null)
            {
                var suggestion = TractorQuery.Suggest(name, tq.Subcommands.Select(c => c.Name).Append("columns"));
                return CommonOptions.Usage("tq", $"no help on '{name}'{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}");
            }
            return tq.Parse([command.Name, "--help"]).Invoke();
        });
        return help;
    }

    // `tq why JID`, `tq why JID TID` and `tq why JID/TID`: every reason the scheduler has, one per line.
    private static Command WhyCommand(Shared shared)
    {
        var target = new Argument<string>("jid") { Description = "a job id, or JID/TID" };
        var tidArgument = NumberOptions.TaskId(new Argument<int?>("tid") { Arity = ArgumentArity.ZeroOrOne, Description = "a task id" });
        var why = new Command("why", "say why a job's waiting tasks are not running, in the scheduler's own words") { target, tidArgument };
        RefuseUnused(why, shared, Uses.Json);
        why.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var text = result.GetValue(target)!;
            var parts = text.Split('/', 2);
            var tidGiven = 0;
            if (!ValueText.IsId(parts[0], out var jidValue) || (parts.Length == 2 && !NumberOptions.IsTaskId(parts[1], out tidGiven)))
                return CommonOptions.Usage("tq why", $"expected JID, JID TID or JID/TID, got '{text}'");
            int? tidValue = parts.Length == 2 ? tidGiven : result.GetValue(tidArgument);
            var replies = tidValue is { } t ? [await client.WhyAsync(jidValue, t, ct)] : await client.WhyJobAsync(jidValue, ct);
            if (result.GetValue(shared.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(replies, FurrowJsonContext.Default.ListWhyReply));
                return 0;
            }
            if (replies.Count == 0)
                Console.WriteLine($"J{jidValue}: nothing waits (the job is done)");
            foreach (var reply in replies)
            {
                var head = $"J{reply.Jid} T{reply.Tid} \"{reply.Title}\" is {reply.State}";
                if (reply.RunningOn is { } blade)
                    Console.WriteLine(TqTable.Escape($"{head}, running on {blade}"));
                else if (reply.Reasons.Count == 0)
                    Console.WriteLine(TqTable.Escape(reply.State is "ready" or "active"
                        ? $"{head}; nothing holds it back: the next blade that asks for work takes it"
                        : head));
                else
                {
                    Console.WriteLine(TqTable.Escape($"{head}; not running because:"));
                    foreach (var reason in reply.Reasons)
                        Console.WriteLine($"  - {TqTable.Escape(reason.Text)}");
                }
            }
            return 0;
        }));
        return why;
    }

    private sealed record Shared(Option<string?> Engine, Option<bool> Json, Option<bool> Force, Option<bool> Yes, Option<string> User,
        Option<int> Limit, Option<string?> SortBy, Option<string?> Cols, Option<bool> NoHeader, Option<bool> Distinct, Option<bool> Archives);

    /// <summary>Which of tq's shared options a command acts on; --engine and --user (where and who) every command takes.</summary>
    [Flags]
    private enum Uses
    {
        None = 0,
        Json = 1,
        Force = 2,
        Yes = 4,

        /// <summary>--json, --limit, --sortby, --cols, --nh, --distinct.</summary>
        Listing = 8 | Json,

        /// <summary>--archives: listings of what a deleted job leaves (jobs, tasks, commands, invocations).</summary>
        Archives = 16,
        All = Json | Force | Yes | Listing | Archives,
    }

    /// <summary>
    /// A shared option the command does not act on is a usage error naming it, never parsed and ignored: `tq jobs --force`
    /// or `tq why 12 --limit 5` would otherwise look as if they did something.
    /// </summary>
    private static void RefuseUnused(Command command, Shared shared, Uses uses)
    {
        (Option Option, Uses Needs, string Says)[] checks =
        [
            (shared.Json, Uses.Json, $"--json: {command.Name} writes text only"),
            (shared.Force, Uses.Force, "--force applies to operations only (retry, pause, chpri, ...): they act on other users' jobs with it"),
            (shared.Yes, Uses.Yes, "--yes applies to operations only (retry, pause, chpri, ...): they ask before acting on several matches"),
            (shared.Limit, Uses.Listing, $"--limit applies to listings only; {command.Name} {ActsOn(uses)}"),
            (shared.SortBy, Uses.Listing, $"--sortby applies to listings only; {command.Name} {ActsOn(uses)}"),
            (shared.Cols, Uses.Listing, $"--cols applies to listings only; {command.Name} {ActsOn(uses)}"),
            (shared.NoHeader, Uses.Listing, $"--nh applies to listings only; {command.Name} {ActsOn(uses)}"),
            (shared.Distinct, Uses.Listing, $"--distinct applies to listings only; {command.Name} {ActsOn(uses)}"),
            (shared.Archives, Uses.Archives, uses.HasFlag(Uses.Listing)
                ? $"--archives: {command.Name} are never deleted, so there is no archive of them to search"
                : $"--archives applies to listings only; {command.Name} {ActsOn(uses)}"),
        ];
        command.Validators.Add(result =>
        {
            foreach (var (option, needs, says) in checks)
            {
                if ((uses & needs) != needs && result.GetResult(option) is { Implicit: false })
                {
                    result.AddError(says);
                    return;
                }
            }
            // JSON has no header line to leave out.
            if (uses.HasFlag(Uses.Listing) && result.GetResult(shared.NoHeader) is { Implicit: false } && result.GetValue(shared.Json))
                result.AddError("--nh: --json output has no header line to leave out");
        });
    }

    private static string ActsOn(Uses uses) => uses.HasFlag(Uses.Force) ? "acts on everything the clause matches" : "lists no rows";

    // `tq trace --json`: {"blade": NAME, "lines": [...]}, the lines as the engine gave them (unescaped; JSON escapes them).
    private static string TraceJson(string blade, IEnumerable<string> lines)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("blade", blade);
            json.WriteStartArray("lines");
            foreach (var line in lines)
                json.WriteStringValue(line);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    // Words after the command form one clause; quotes the user typed for the shell are already gone.
    /// <summary>
    /// The words after a command as one clause. Tractor's id shorthands are expanded: on jobs, ids are jids
    /// (`tq jobs 2 15` is `jid in [2, 15]`); on tasks, commands and invocations the first is the jid and the rest tids
    /// (`tq tasks 15 3 4` is `jid=15 and tid in [3, 4]`). A word that looks like an option but is none (`--colz`, `-x`)
    /// is an error naming the closest real option, not part of the clause; `-1d` and other numbers stay values.
    /// </summary>
    private static (string Clause, string? Error) Clause(ParseResult result, Argument<string[]> clause, QueryTable table)
    {
        var words = (result.GetValue(clause) ?? []).Concat(result.UnmatchedTokens).ToList();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            // A value after an operator (`title = -draft`, `title like -v2`) is the clause's, not an option.
            var afterOperator = i > 0 && (words[i - 1] is "like" or "in" || words[i - 1].EndsWith('=') || words[i - 1].EndsWith('<')
                || words[i - 1].EndsWith('>'));
            if (!afterOperator && word.Length > 1 && word[0] == '-' && (char.IsLetter(word[1]) || (word[1] == '-' && word.Length > 2)))
                return ("", UsageErrors.UnknownOption(result.CommandResult.Command, word));
        }
        // Ids written as Tractor's URLs join them (jid=12,13), or padded: tq takes each id as a word of its own.
        if (words.Count > 0 && words.All(w => w.Trim().Length > 0 && w.All(c => char.IsAsciiDigit(c) || c is ',' or ' '))
            && words.Any(w => !w.All(char.IsAsciiDigit)))
            return ("", $"'{TerminalText.Escape(words.First(w => !w.All(char.IsAsciiDigit)))}': give ids as words of their own " +
                $"(tq {result.CommandResult.Command.Name} {string.Join(' ', words.SelectMany(w => w.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)))}), not joined by commas or spaces");
        if (words.Count > 0 && words.All(w => w.Length > 0 && w.All(char.IsAsciiDigit)))
        {
            if (words.FirstOrDefault(w => !long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out _)) is { } huge)
                return ("", $"'{huge}' is not a job or task id: too large");
            // By the engine's rule for ids (ValueText.IsId): 0 names nothing, so it is refused, not searched for.
            if (words.FirstOrDefault(w => !ValueText.IsId(w, out _)) is { } zero)
                return ("", $"'{zero}' is not a job or task id: ids are whole numbers from 1");
            if (table is QueryTable.Blades or QueryTable.Params)
            {
                var name = table.ToString().ToLowerInvariant();
                return ("", $"{name} are not named by ids (ids are jobs' and tasks'): give a search clause, e.g. tq {name} name=NAME");
            }
            var ids = words.Select(w => long.Parse(w, CultureInfo.InvariantCulture)).ToList();
            if (ids.Count - (table == QueryTable.Jobs ? 0 : 1) > TractorQuery.MaxListItems)
                return ("", $"{ids.Count} ids given: tq takes at most {TractorQuery.MaxListItems} in one command; give them in several");
            return table == QueryTable.Jobs
                ? (ids.Count == 1 ? $"jid={ids[0]}" : $"jid in [{string.Join(",", ids)}]", null)
                : (ids.Count == 1 ? $"jid={ids[0]}" : ids.Count == 2 ? $"jid={ids[0]} and tid={ids[1]}" : $"jid={ids[0]} and tid in [{string.Join(",", ids.Skip(1))}]", null);
        }
        return (TractorQuery.JoinArguments(words), null);
    }

    private static async Task<int> WithClientAsync(ParseResult result, Shared shared, Func<EngineClient, Task<int>> action)
    {
        EngineClient client;
        try
        {
            client = new EngineClient(result.GetValue(shared.Engine));
        }
        catch (UriFormatException error)
        {
            return CommonOptions.Usage("tq", error.Message);
        }
        using var owned = client;
        try
        {
            return await action(client);
        }
        catch (EngineException error)
        {
            return CommonOptions.Fail("tq", error.Message);
        }
        catch (HttpRequestException error)
        {
            return CommonOptions.Fail("tq", $"cannot reach the engine at {client.BaseAddress}: {error.Message}");
        }
    }

    // Tractor's operations that Furrow has, and what each does; a clause names what they act on.
    private static readonly (string Name, string Description)[] Operations =
    [
        ("retry", "run the matching tasks again from their first command"),
        ("skip", "mark the matching tasks done without running them, so what waits on them goes on"),
        ("resume", "run the matching tasks in error again from the command that failed or was stopped (%r is 1 for it)"),
        ("kill", "kill the matching tasks' running commands: each task goes to error and its job goes on (tq retry or tq resume runs it again)"),
        ("pause", "stop starting the matching jobs' commands (what runs goes on)"),
        ("unpause", "let the matching jobs' commands start again"),
        ("interrupt", "pause the matching jobs and kill their running commands, whose tasks go to error: nothing more starts until tq unpause, and tq retry or tq resume runs a killed task again"),
        ("restart", "start the matching jobs over: running commands stop and every task, done ones too, runs again"),
        ("delete", "stop the matching jobs and move them to the archive (tq undelete brings one back)"),
        ("undelete", "bring deleted jobs back from the archive, their work left queued again"),
        ("chpri", "give the matching jobs a new priority (--pri N)"),
        ("lock", "lock the matching jobs to you: no one else may act on them, --force or not, until tq unlock"),
        ("unlock", "unlock the matching jobs (--force breaks another user's lock)"),
        ("jattr", "change an attribute of the matching jobs: -k KEY -v VALUE (title, comment, priority, paused, aftertime, maxactive, afterjids, projects, tier, crews)"),
        ("chcrews", "give the matching jobs new crews (--crews fx,lighting); the same as jattr -k crews"),
        ("tattr", "change an attribute of the matching tasks: -k title -v TEXT, or -k service -v KEY for each of their commands"),
        ("cattr", "change an attribute of the matching commands: -k KEY -v VALUE (service, tags, envkey, retryrcodes, minslots, maxslots)"),
        ("chkeys", "give every command of the matching tasks a new service key (--svckey linux,prman)"),
        ("delay", "hold the matching jobs until a time (--time 10pm); what runs goes on"),
        ("undelay", "let delayed jobs start at once"),
        ("retryallerrs", "retry every task in error of the matching jobs"),
        ("skipallerrs", "skip every task in error of the matching jobs"),
    ];

    // Each listing's default columns, as tq shows them to a person: short headers and friendly units.
    private static readonly Dictionary<QueryTable, TqColumn[]> DefaultColumns = new()
    {
        [QueryTable.Jobs] =
        [
            new("jid", "jid"), new("owner", "owner"), new("priority", "pri", TqFormat.Fixed2), new("state", "state"), new("numdone", "done"),
            new("numtasks", "tasks"), new("spooltime", "spooled"), new("title", "title"),
        ],
        [QueryTable.Tasks] =
        [
            new("jid", "jid"), new("tid", "tid"), new("owner", "owner"), new("state", "state"), new("progress", "progress"),
            new("blade", "blade"), new("title", "title"), new("why", "why"),
        ],
        [QueryTable.Commands] =
        [
            new("jid", "jid"), new("tid", "tid"), new("cid", "cid"), new("state", "state"), new("kind", "type"), new("argv", "argv", TqFormat.Words),
        ],
        [QueryTable.Invocations] =
        [
            new("iid", "iid"), new("jid", "jid"), new("tid", "tid"), new("cid", "cid"), new("blade", "blade"), new("pid", "pid"),
            new("rcode", "rc"), new("state", "status"), new("elapsedreal", "elapsed", TqFormat.Seconds), new("cpu", "cpu", TqFormat.Fixed2),
            new("rss", "rss", TqFormat.Bytes),
        ],
        [QueryTable.Params] = [new("name", "name"), new("value", "value")],
        [QueryTable.Blades] =
        [
            new("name", "name"), new("ipaddr", "host"), new("profile", "profile"), new("numslots", "slots"), new("inuse", "inuse"),
            new("status", "status"), new("nimby", "nimby", TqFormat.Nimby), new("numcpu", "cores"), new("loadavg", "load", TqFormat.Fixed2),
            new("availmemory", "freemem", TqFormat.Bytes), new("availdisk", "freedisk", TqFormat.Bytes), new("osname", "platform"),
            new("version", "version"), new("clockskew", "clockskew", TqFormat.Seconds),
        ],
    };

    private static Task<int> ListAsync(ParseResult result, Shared shared, QueryTable table, string clause, CancellationToken ct) =>
        WithClientAsync(result, shared, async client =>
        {
            var user = CommonOptions.ActingUser(result, shared.User, client);
            if (result.GetValue(shared.Cols) is { } listed && ValueText.MissingItem(listed) is { } missing)
                return CommonOptions.Usage("tq", $"-c '{TerminalText.Escape(listed)}': {missing} (expected column names, separated by commas, e.g. -c jid,owner,title)");
            var chosen = result.GetValue(shared.Cols) is { } names
                ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => new TqColumn(n, n)).ToArray()
                : null;
            if (chosen is { Length: 0 })
                return CommonOptions.Usage("tq", "-c names no column: give one or more, separated by commas (e.g. -c jid,owner,title)");
            var columns = chosen ?? DefaultColumns[table];
            var options = new ListOptions(result.GetValue(shared.SortBy), result.GetValue(shared.Limit), Archived: result.GetValue(shared.Archives));
            var rows = await client.QueryColumnsAsync(table.ToString().ToLowerInvariant(), columns.Select(c => c.Name).ToList(), clause, user, options,
                result.GetValue(shared.Distinct), ct);
            if (result.GetValue(shared.Json))
                TqTable.PrintJson(rows, columns, Console.Out);
            else
                TqTable.Print(rows, columns, !result.GetValue(shared.NoHeader), chosen is not null, Console.Out);
            if (rows.Rows.Count == 0 && clause.Length > 0)
                Console.Error.WriteLine($"tq: no {table.ToString().ToLowerInvariant()} match '{TqTable.Escape(clause)}'");
            // A paused farm looks like a stuck one; say so where the wrangler looks, off the rows a script reads.
            if ((await client.StatusAsync(ct)).DispatchPaused)
                Console.Error.WriteLine("tq: dispatching is paused on this engine: nothing new starts until tq resume-dispatch");
            return 0;
        });

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void Print<T>(List<T> rows, bool json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<T>> type, string[] headers,
        Func<T, string[]> cells)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, type));
            return;
        }
        var table = rows.Select(r => cells(r).Select(TqTable.Escape).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Min(60, Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(r => r[i].Length)))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in table)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => (c.Length > 60 ? TqTable.Cut(c, 57) + "..." : c).PadRight(widths[i]))).TrimEnd());
    }

    // The listing an operation searches: tasks for the task verbs, commands for cattr, else jobs.
    private static QueryTable TargetOf(string operation) => operation switch
    {
        "retry" or "skip" or "resume" or "kill" or "tattr" or "chkeys" => QueryTable.Tasks,
        "cattr" => QueryTable.Commands,
        _ => QueryTable.Jobs,
    };

    private static Task<int> OperateAsync(ParseResult result, Shared shared, string operation, QueryTable target, string clause, double? priority,
        DateTimeOffset? after, (string Key, string Value)? attribute, CancellationToken ct) =>
        WithClientAsync(result, shared, async client =>
        {
            var user = CommonOptions.ActingUser(result, shared.User, client);
            var force = result.GetValue(shared.Force);
            // One match goes ahead; several ask first, unless --yes. No match says so and is no failure: a runbook's step
            // (the seed page's "tq --force --yes retry active" on a quiet farm) has nothing to do, and Tractor's tq exits 0.
            var what = target.ToString().ToLowerInvariant();
            var search = operation == "undelete" ? $"({clause}) and deletetime" : clause;
            var matches = (await client.QueryColumnsAsync(what, target switch
            {
                QueryTable.Jobs => ["jid"],
                QueryTable.Tasks => ["jid", "tid"],
                _ => ["jid", "tid", "cid"],
            }, search, user,
                new ListOptions(Limit: 1001, Archived: operation == "undelete"), false, ct)).Rows.Count;
            if (matches == 0)
            {
                Console.Error.WriteLine($"tq: no {(operation == "undelete" ? "deleted " : "")}{what} match '{TqTable.Escape(clause)}'; nothing done");
                return 0;
            }
            if (matches > 1 && !result.GetValue(shared.Yes))
            {
                var count = matches > 1000 ? "over 1000" : matches.ToString(CultureInfo.InvariantCulture);
                Console.Error.Write($"{operation} {count} {what} matching '{TqTable.Escape(clause)}'? [y/N] ");
                var answer = Console.IsInputRedirected && Console.In.Peek() < 0 ? null : Console.ReadLine();
                if (answer is null || !answer.Trim().StartsWith('y') && !answer.Trim().StartsWith('Y'))
                {
                    Console.Error.WriteLine(answer is null ? "\nno answer (use --yes to confirm without asking); nothing done" : "nothing done");
                    return 1;
                }
            }
            var reply = attribute is { } set
                ? await client.SetAttributeAsync(operation == "chcrews" ? "jattr" : operation, clause, user, force, set.Key, set.Value, ct)
                : await client.OperateAsync(operation, clause, user, force, priority, after, ct);
            return ShowOperation(reply, result.GetValue(shared.Json), reply.Items.Select(item => $"{operation} {item}"));
        });

    // An operation's reply as tq shows it: the reply itself with --json, else DONE (a line each) and a line per refusal on
    // standard error, each escaped for the terminal; exit code 1 when it refused and did nothing, else 0.
    private static int ShowOperation(OperationReply reply, bool json, IEnumerable<string> done)
    {
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(reply, FurrowJsonContext.Default.OperationReply));
        else
        {
            foreach (var line in done)
                Console.WriteLine(TqTable.Escape(line));
            foreach (var refusal in reply.Refused)
                Console.Error.WriteLine($"tq: {TqTable.Escape(refusal)}");
        }
        return reply.Refused.Count > 0 && reply.Affected == 0 ? 1 : 0;
    }
}
