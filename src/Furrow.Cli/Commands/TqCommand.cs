using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Core.Query;

namespace Furrow.Cli.Commands;

/// <summary>`furrow tq` / `tq`: Tractor's query tool: list jobs, tasks, commands, invocations, blades; operate on them.</summary>
internal static class TqCommand
{
    public static Command Create()
    {
        var engine = CommonOptions.Engine();
        var json = CommonOptions.Json();
        var force = new Option<bool>("--force") { Description = "act on other users' jobs too", Recursive = true };
        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation", Recursive = true };
        var user = new Option<string>("--user")
        {
            Description = "who you are (default: $USER)",
            DefaultValueFactory = _ => CommonOptions.CurrentUser,
            Recursive = true,
        };
        var limit = new Option<int>("--limit") { Description = "at most this many rows", Recursive = true };
        var sortBy = new Option<string?>("--sortby", "-s") { Description = "sort columns, e.g. priority,-spooltime", Recursive = true };
        var tq = new Command("tq", "query and control the queue, as Tractor's tq") { engine, json, force, yes, user, limit, sortBy };
        var shared = new Shared(engine, json, force, yes, user, limit, sortBy);

        foreach (var (name, table) in new[]
        {
            ("jobs", QueryTable.Jobs), ("tasks", QueryTable.Tasks), ("commands", QueryTable.Commands),
            ("invocations", QueryTable.Invocations), ("blades", QueryTable.Blades),
        })
        {
            var clause = new Argument<string[]>("query") { Arity = ArgumentArity.ZeroOrMore, Description = "search clause" };
            var list = new Command(name, $"list {name} matching a search clause") { clause };
            list.TreatUnmatchedTokensAsErrors = false;
            list.SetAction((result, ct) => ListAsync(result, shared, table, Clause(result, clause), ct));
            tq.Subcommands.Add(list);
        }
        foreach (var operation in new[] { "retry", "skip", "pause", "unpause", "delete" })
        {
            var clause = new Argument<string[]>("query") { Arity = ArgumentArity.OneOrMore, Description = "search clause naming what to act on" };
            var op = new Command(operation, $"{operation} the {(operation is "retry" or "skip" ? "tasks" : "jobs")} matching a search clause") { clause };
            op.TreatUnmatchedTokensAsErrors = false;
            op.SetAction((result, ct) => OperateAsync(result, shared, operation, Clause(result, clause), ct));
            tq.Subcommands.Add(op);
        }
        foreach (var (name, paused) in new[] { ("pause-dispatch", true), ("resume-dispatch", false) })
        {
            var toggle = new Command(name, paused ? "stop starting new work (running commands go on)" : "start handing out work again");
            toggle.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
            {
                var status = await client.SetDispatchPausedAsync(paused, ct);
                Console.WriteLine(status.DispatchPaused
                    ? $"dispatching is paused: {status.ActiveTasks} running commands go on, nothing new starts"
                    : "dispatching resumed");
                return 0;
            }));
            tq.Subcommands.Add(toggle);
        }
        var jid = new Argument<long>("jid");
        var tid = new Argument<int>("tid");
        var encoding = new Option<string?>("--encoding") { Description = "with --json: decode the log as this encoding (default utf-8)" };
        var log = new Command("log", "print a task's log: what its commands printed, byte for byte, each run between a header and an exit line") { jid, tid, encoding };
        log.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            if (result.GetValue(shared.Json))
            {
                var text = await client.TaskLogTextAsync(result.GetValue(jid), result.GetValue(tid), result.GetValue(encoding), ct);
                Console.WriteLine(JsonSerializer.Serialize(text, FurrowJsonContext.Default.TaskLogText));
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
        foreach (var (name, on) in new[] { ("nimby", true), ("unnimby", false) })
        {
            var blade = new Argument<string>("blade") { Description = "the blade's name" };
            var toggle = new Command(name, on ? "the blade takes no new work (what runs goes on)" : "the blade takes work again") { blade };
            toggle.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
            {
                await client.SetNimbyAsync(result.GetValue(blade)!, on, ct);
                Console.WriteLine($"{name} {result.GetValue(blade)}");
                return 0;
            }));
            tq.Subcommands.Add(toggle);
        }
        var blockJid = new Argument<long?>("jid") { Arity = ArgumentArity.ZeroOrOne, Description = "only this job" };
        var blocklist = new Command("blocklist", "blades a job's commands failed on, and which no longer get them") { blockJid };
        blocklist.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var rows = await client.BlocklistAsync(result.GetValue(blockJid), ct);
            Print(rows, result.GetValue(shared.Json), FurrowJsonContext.Default.ListBlocklistRow, ["jid", "blade", "failures", "blocked"],
                b => [N(b.Jid), b.Blade, N(b.Failures), b.Blocked ? "yes" : "no"]);
            return 0;
        }));
        tq.Subcommands.Add(blocklist);
        var unblockJid = new Argument<long>("jid");
        var unblockBlade = new Argument<string?>("blade") { Arity = ArgumentArity.ZeroOrOne, Description = "only this blade (default: all)" };
        var unblock = new Command("unblock", "let a job's commands go to blades it was blocklisted on again") { unblockJid, unblockBlade };
        unblock.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var reply = await client.UnblockAsync(result.GetValue(unblockJid), result.GetValue(unblockBlade), ct);
            Console.WriteLine($"unblocked {string.Join(", ", reply.Items)}");
            return 0;
        }));
        tq.Subcommands.Add(unblock);
        return tq;
    }

    // `tq why JID`, `tq why JID TID` and `tq why JID/TID`: every reason the scheduler has, one per line.
    private static Command WhyCommand(Shared shared)
    {
        var target = new Argument<string>("jid") { Description = "a job id, or JID/TID" };
        var tidArgument = new Argument<int?>("tid") { Arity = ArgumentArity.ZeroOrOne, Description = "a task id" };
        var why = new Command("why", "say why a job's waiting tasks are not running, in the scheduler's own words") { target, tidArgument };
        why.SetAction(async (result, ct) => await WithClientAsync(result, shared, async client =>
        {
            var text = result.GetValue(target)!;
            var parts = text.Split('/', 2);
            if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var jidValue)
                || (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return CommonOptions.Fail("tq why", $"expected JID, JID TID or JID/TID, got '{text}'");
            int? tidValue = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : result.GetValue(tidArgument);
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
                    Console.WriteLine($"{head}, running on {blade}");
                else if (reply.Reasons.Count == 0)
                    Console.WriteLine(reply.State is "ready" or "active"
                        ? $"{head}; nothing holds it back: the next blade that asks for work takes it"
                        : head);
                else
                {
                    Console.WriteLine($"{head}; not running because:");
                    foreach (var reason in reply.Reasons)
                        Console.WriteLine($"  - {reason.Text}");
                }
            }
            return 0;
        }));
        return why;
    }

    private sealed record Shared(Option<string?> Engine, Option<bool> Json, Option<bool> Force, Option<bool> Yes, Option<string> User,
        Option<int> Limit, Option<string?> SortBy);

    // Words after the command form one clause; quotes the user typed for the shell are already gone.
    private static string Clause(ParseResult result, Argument<string[]> clause) =>
        TractorQuery.JoinArguments((result.GetValue(clause) ?? []).Concat(result.UnmatchedTokens));

    private static async Task<int> WithClientAsync(ParseResult result, Shared shared, Func<EngineClient, Task<int>> action)
    {
        using var client = new EngineClient(result.GetValue(shared.Engine));
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

    private static Task<int> ListAsync(ParseResult result, Shared shared, QueryTable table, string clause, CancellationToken ct) =>
        WithClientAsync(result, shared, async client =>
        {
            var user = result.GetValue(shared.User);
            var json = result.GetValue(shared.Json);
            var limit = result.GetValue(shared.Limit);
            var sort = result.GetValue(shared.SortBy);
            switch (table)
            {
                case QueryTable.Jobs:
                    Print(Sort(await client.JobsAsync(clause, user, cancellationToken: ct), sort, limit), json, FurrowJsonContext.Default.ListJobRow,
                        ["jid", "owner", "pri", "state", "done", "tasks", "title"],
                        j => [N(j.Jid), j.Owner, j.Priority.ToString("0.##", CultureInfo.InvariantCulture), JobState(j), N(j.NumDone), N(j.NumTasks), j.Title]);
                    break;
                case QueryTable.Tasks:
                    Print(Sort(await client.TasksAsync(clause, user, ct), sort, limit), json, FurrowJsonContext.Default.ListTaskRow,
                        ["jid", "tid", "owner", "state", "progress", "blade", "title", "why"],
                        t => [N(t.Jid), N(t.Tid), t.Owner, t.State, t.Progress is { } p ? N(p) : "", t.Blade ?? "", t.Title, t.WhyWaiting ?? ""]);
                    break;
                case QueryTable.Commands:
                    Print(Sort(await client.CommandsAsync(clause, user, ct), sort, limit), json, FurrowJsonContext.Default.ListCommandRow,
                        ["jid", "tid", "cid", "state", "type", "argv"],
                        c => [N(c.Jid), N(c.Tid), N(c.Cid), c.State, c.Kind, string.Join(' ', c.Argv)]);
                    break;
                case QueryTable.Invocations:
                    Print(Sort(await client.InvocationsAsync(clause, user, ct), sort, limit), json, FurrowJsonContext.Default.ListInvocationRow,
                        ["iid", "jid", "tid", "cid", "blade", "pid", "rc", "status", "elapsed", "cpu", "rss"],
                        i => [N(i.Iid), N(i.Jid), N(i.Tid), N(i.Cid), i.Blade, i.Pid?.ToString(CultureInfo.InvariantCulture) ?? "",
                            i.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "", i.Status, Secs(i.ElapsedReal),
                            F(i.Cpu), Bytes(i.PeakRss)]);
                    break;
                default:
                    Print(Sort(await client.BladesAsync(clause, ct), sort, limit), json, FurrowJsonContext.Default.ListBladeRow,
                        ["name", "host", "profile", "slots", "inuse", "status", "nimby", "cores", "load", "freemem", "freedisk", "platform", "version",
                            "clockskew"],
                        b => [b.Name, b.Host, b.Profile ?? "", N(b.Slots), N(b.SlotsInUse), b.Status, b.Nimby ? "nimby" : "",
                            b.Figures is { } f ? N(f.Cores) : "", F(b.Figures?.Load), Gb(b.Figures?.FreeMemoryGB), Gb(b.Figures?.FreeDiskGB),
                            b.Figures?.Platform ?? "", b.Version, Secs(b.ClockSkewMs / 1000.0)]);
                    break;
            }
            // A paused farm looks like a stuck one; say so where the wrangler looks, off the rows a script reads.
            if ((await client.StatusAsync(ct)).DispatchPaused)
                Console.Error.WriteLine("tq: dispatching is paused on this engine: nothing new starts until tq resume-dispatch");
            return 0;
        });

    private static string JobState(JobRow j) =>
        j.Deleted ? "deleted" : j.Paused ? "paused" : j.NumError > 0 ? "error" : j.NumDone == j.NumTasks ? "done" : j.NumActive > 0 ? "active" : "waiting";

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string F(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.##", CultureInfo.InvariantCulture) : "";

    private static string Secs(double? seconds) => F(seconds) is { Length: > 0 } text ? text + "s" : "";

    // Binary units, as the query language reads them back (rss > 1G).
    private static string Bytes(long? bytes) => bytes switch
    {
        null => "",
        >= 1L << 30 => F(bytes / (double)(1L << 30)) + "G",
        >= 1L << 20 => F(bytes / (double)(1L << 20)) + "M",
        >= 1L << 10 => F(bytes / (double)(1L << 10)) + "K",
        _ => N(bytes.Value) + "B",
    };

    private static string Gb(double? value) => F(value) is { Length: > 0 } text ? text + "G" : "";

    // Sorting here keeps the engine's listing simple; the column names are the JSON field names of each row.
    private static List<T> Sort<T>(List<T> rows, string? sortBy, int limit)
    {
        if (!string.IsNullOrWhiteSpace(sortBy))
        {
            foreach (var key in sortBy.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
            {
                var descending = key.StartsWith('-');
                var name = key.TrimStart('-');
                var property = typeof(T).GetProperties().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new EngineException(400, $"cannot sort by '{name}': no such column");
                rows = (descending ? rows.OrderByDescending(r => property.GetValue(r)) : rows.OrderBy(r => property.GetValue(r))).ToList();
            }
        }
        return limit > 0 ? rows.Take(limit).ToList() : rows;
    }

    private static void Print<T>(List<T> rows, bool json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<T>> type, string[] headers,
        Func<T, string[]> cells)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, type));
            return;
        }
        var table = rows.Select(cells).ToList();
        var widths = headers.Select((h, i) => Math.Min(60, Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(r => r[i].Length)))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in table)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => (c.Length > 60 ? c[..57] + "..." : c).PadRight(widths[i]))).TrimEnd());
    }

    private static Task<int> OperateAsync(ParseResult result, Shared shared, string operation, string clause, CancellationToken ct) =>
        WithClientAsync(result, shared, async client =>
        {
            var user = result.GetValue(shared.User)!;
            var force = result.GetValue(shared.Force);
            if (!result.GetValue(shared.Yes))
            {
                var count = operation is "retry" or "skip"
                    ? (await client.TasksAsync(clause, user, ct)).Count
                    : (await client.JobsAsync(clause, user, cancellationToken: ct)).Count;
                Console.Error.Write($"{operation} {count} {(operation is "retry" or "skip" ? "task(s)" : "job(s)")} matching '{clause}'? [y/N] ");
                var answer = Console.IsInputRedirected && Console.In.Peek() < 0 ? null : Console.ReadLine();
                if (answer is null || !answer.Trim().StartsWith('y'))
                {
                    Console.Error.WriteLine(answer is null ? "\nno answer (use --yes to confirm without asking); nothing done" : "nothing done");
                    return 1;
                }
            }
            var reply = await client.OperateAsync(operation, clause, user, force, ct);
            if (result.GetValue(shared.Json))
                Console.WriteLine(JsonSerializer.Serialize(reply, FurrowJsonContext.Default.OperationReply));
            else
            {
                foreach (var item in reply.Items)
                    Console.WriteLine($"{operation} {item}");
                foreach (var refusal in reply.Refused)
                    Console.Error.WriteLine($"tq: {refusal}");
            }
            return reply.Refused.Count > 0 && reply.Affected == 0 ? 1 : 0;
        });
}
