using System.Globalization;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Furrow.Client.Protocol;
using Furrow.Core.Access;
using Furrow.Core.Jobs;
using Furrow.Storage;
using Furrow.Storage.Queries;
using Furrow.Core.Query;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Farm;
using Furrow.Engine.Jobs;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Api;

/// <summary>What tq, tractor-spool and the Dashboard call: spool, list, operate on jobs and tasks, ask why, switch dispatch.</summary>
internal static class QueueEndpoints
{
    /// <summary>
    /// Maps jobs, tasks, commands, invocations, operations, dispatch, the engine's status and the blocklist, each a group
    /// under <paramref name="v1"/> with its OpenAPI tag (blades: <see cref="BladeEndpoints"/>, the column query:
    /// <see cref="ColumnQueryEndpoints"/>).
    /// </summary>
    public static void MapQueueApi(this IEndpointRouteBuilder v1)
    {
        var jobs = v1.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("", SpoolAsync).WithName("SpoolJob").WithQueryParameters(QueryParameters.Spool).AddEndpointFilter(SpoolRequestChecks.CheckAsync)
            .WithTextBody("The job script: alfred text, or the JSON job form.", SpoolRequestChecks.Accepted).Replies<SpoolReply>(400, 413, 415)
            .WithSummary("Spools a job script (alfred text, or the JSON job form) as tractor-spool does; replies with the new job's id.")
            .WithDescription("403 when crews.config's ReadOnlyLogins lists the caller, or it defines SpoolLogins and does not; the message names the crew.");
        jobs.MapGet("", ListJobsAsync).WithName("ListJobs").AsListing<List<JobRow>>(QueryParameters.JobListing)
            .WithSummary("Jobs matching a search clause, a page at a time, without their comments unless comment=1.")
            .WithDescription("A caller in crews.config's RestrictedViewLogins is shown only its own jobs and those whose crews name a crew of its, " +
                "here and in every listing, log, script and why; a job outside that answers by its id as one that does not exist (404). " +
                "With allowed=1 each job lists in `allowed` the operations the caller may run on it with force=1, by the rules the " +
                "operations endpoint applies (JobEditAccessPolicies, locks, ReadOnlyLogins).");
        jobs.MapGet("/{jid:long}/script", ReadScriptAsync).WithName("ReadJobScript").Produces<string>(200, "text/plain", "application/json").Errors(404)
            .WithSummary("A job's script exactly as it was spooled.");
        jobs.MapGet("/{jid:long}/why", WhyJobAsync).WithName("WhyJob").WithQueryParameters(QueryParameters.WhyJob).Replies<List<WhyReply>>(400, 404)
            .WithSummary("Why each unfinished task of a job is not running (tq why JID).");
        jobs.MapPost("/{jid:long}/unblock", UnblockAsync).WithName("UnblockJob").WithQueryParameters(QueryParameters.Unblock).Replies<OperationReply>(404)
            .WithSummary("Clears a job's blocklist for one blade, or for every blade.");

        var tasks = v1.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapGet("", ListTasksAsync).WithName("ListTasks").AsListing<List<TaskRow>>(QueryParameters.Listing)
            .WithSummary("Tasks matching a search clause, a page at a time, with the blade running each and why it waits.");
        // A task is addressed under its job.
        var task = v1.MapGroup("/jobs/{jid:long}/tasks/{tid:int}").WithTags("Tasks");
        task.MapGet("/log", TaskLogEndpoints.ReadLogAsync).WithName("ReadTaskLog").WithQueryParameters(QueryParameters.Log)
            .Produces<byte[]>(200, "application/octet-stream").Errors(404)
            .WithSummary("A task's log as stored: the bytes its commands printed.");
        task.MapGet("/log/text", TaskLogEndpoints.ReadLogTextAsync).WithName("ReadTaskLogText").WithQueryParameters(QueryParameters.LogText)
            .Replies<TaskLogText>(400, 404)
            .WithSummary("A task's log decoded for display, saying which encoding was assumed and whether it was lossless.");
        task.MapGet("/why", WhyTaskAsync).WithName("WhyTask").Replies<WhyReply>(404).WithSummary("Why a task is not running (tq why JID TID).");

        v1.MapGroup("/commands").WithTags("Commands")
            .MapGet("", ListCommandsAsync).WithName("ListCommands").AsListing<List<CommandRow>>(QueryParameters.Listing)
            .WithSummary("Commands matching a search clause, a page at a time.");

        v1.MapGroup("/invocations").WithTags("Invocations")
            .MapGet("", ListInvocationsAsync).WithName("ListInvocations").AsListing<List<InvocationRow>>(QueryParameters.Listing)
            .WithSummary("Invocations (runs of commands on blades) matching a search clause, a page at a time.");

        v1.MapGroup("/operations").WithTags("Operations")
            .MapPost("/{operation}", OperateAsync).WithName("Operate").WithQueryParameters(QueryParameters.Operation).Replies<OperationReply>(400)
            .WithPathValues("operation", [.. OperationRequest.Names])
            .WithSummary("Runs an operation (retry, skip, pause, delete, chpri, jattr ...) on everything a search clause matches.")
            .WithDescription("403 for a caller in crews.config's ReadOnlyLogins. Jobs the caller may not see (RestrictedViewLogins) are not matched; " +
                "each matched job the rules refuse (locks, JobEditAccessPolicies, --force) is named in `refused`.");

        var dispatch = v1.MapGroup("/dispatch").WithTags("Dispatch");
        dispatch.MapPost("/pause", PauseDispatchAsync).WithName("PauseDispatch").Replies<EngineStatus>()
            .WithSummary("Stops handing out new work (running commands go on); survives restarts.");
        dispatch.MapPost("/resume", ResumeDispatchAsync).WithName("ResumeDispatch").Replies<EngineStatus>().WithSummary("Hands out work again.");

        v1.MapGroup("/status").WithTags("Engine")
            .MapGet("", StatusAsync).WithName("EngineStatus").Replies<EngineStatus>().WithSummary("The engine's version, uptime, dispatch switch and queue sizes.");

        v1.MapGroup("/blocklist").WithTags("Blocklist")
            .MapGet("", ListBlocklist).WithName("ListBlocklist").WithQueryParameters(QueryParameters.Blocklist).Replies<List<BlocklistRow>>()
            .WithSummary("Blades that jobs' commands failed on, and whether each no longer gets them.");
    }

    // Who may spool is asked before a byte of the script is read. Only this endpoint spools for a caller: what a job's
    // expand commands print is added to that job by the engine (ReportProcessor), as the job's own, and asks no one.
    private static async Task<IResult> SpoolAsync(HttpContext context, SpoolService spool, SpoolAdmission admission, Access.UserAccounts accounts,
        IOptions<EngineOptions> options, CancellationToken ct)
    {
        if (accounts.Crews.SpoolRefusal(Named(CallerOf(context))) is { } refusal)
            return ApiResults.Error(StatusCodes.Status403Forbidden, refusal);
        var q = context.Request.Query;
        // What a job's record keeps of the spool (its file, host and directory) is text a search, a log or PostgreSQL
        // would cut at a NUL.
        foreach (var name in new[] { "file", "host", "cwd" })
        {
            if (q[name].FirstOrDefault() is { } given && given.Contains('\0', StringComparison.Ordinal))
                return ApiResults.BadRequest($"bad {name}: it may not contain a NUL character");
        }
        var limit = options.Value.ScriptLimits.MaxBytes;
        // Memory is held from the first byte read until the job is committed: the lease covers all of it. A body of
        // unstated length may be as large as the limit.
        using var lease = await admission.EnterAsync(context.Request.ContentLength ?? limit, ct);
        if (lease is null)
        {
            context.Response.Headers.RetryAfter = "10";
            return ApiResults.Unavailable($"the engine is reading as many scripts as it may at once ({admission.MaxInFlightBytes} bytes, " +
                $"SpoolMaxInFlightBytes in tractor.config) and this one waited {admission.QueueWait.TotalSeconds:0.#} s (SpoolQueueWaitSecs): spool it again");
        }
        var text = await ReadBodyAsync(context.Request, limit, ct);
        if (text is null)
            return SpoolRequestChecks.TooLarge(context.Request, limit);
        var isJson = string.Equals(q["format"].FirstOrDefault(), "json", StringComparison.OrdinalIgnoreCase) || (context.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) ?? false);
        var request = new SpoolRequest(text, isJson, Access.Caller.User(context) ?? "unknown", q["file"].FirstOrDefault(),
            q["host"].FirstOrDefault(), q["cwd"].FirstOrDefault())
        {
            Scope = ScopeOf(context),
            Overrides = Core.Scripts.JobWideValues.Read(SpoolRequestChecks.Given(q), out _),
        };
        var result = await spool.SpoolAsync(request, ct);
        return result.Ok
            ? TypedResults.Json(new SpoolReply(0, $"job {result.Jid} spooled", result.Jid), FurrowJsonContext.Default.SpoolReply)
            : ApiResults.BadRequest(result.Error!);
    }

    private const int BodyPieceSize = 1 << 20;

    // The pieces' own pool, keeping 8 at most: the shared pool keeps up to 32 of a size per core, so after a few large
    // spools it held 64 MB of pieces, given back only slowly.
    private static readonly System.Buffers.ArrayPool<byte> BodyPieces = System.Buffers.ArrayPool<byte>.Create(BodyPieceSize, 8);

    // Reads the script (a declared length over the limit was refused by SpoolRequestChecks), refusing as soon as the bytes
    // that arrive pass the limit instead of buffering them, and decodes it by the one rule for scripts (ScriptText.Decode:
    // UTF-8, or Latin-1 byte for byte when it is not UTF-8; Tractor's /spool arrives here too). The body is gathered in pooled 1 MB pieces, so memory follows the bytes that
    // actually arrived (not a length a client merely declared), and is copied whole once at the end (a 100,000-task
    // script is 13 MB: growing one stream to it copied it several times over).
    private static async Task<string?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        const int PieceSize = BodyPieceSize;
        var pieces = new List<byte[]>();
        long total = 0;
        try
        {
            while (true)
            {
                var piece = BodyPieces.Rent(PieceSize);
                pieces.Add(piece);
                var filled = 0;
                int got;
                while (filled < PieceSize && (got = await request.Body.ReadAsync(piece.AsMemory(filled, PieceSize - filled), ct)) > 0)
                    filled += got;
                total += filled;
                if (total > limit)
                    return null;
                if (filled < PieceSize)
                    break;
            }
            if (pieces.Count == 1)
                return Core.Scripts.ScriptText.Decode(pieces[0].AsSpan(0, (int)total));
            var body = GC.AllocateUninitializedArray<byte>((int)total);
            var at = 0;
            foreach (var piece in pieces)
            {
                var length = (int)Math.Min(PieceSize, total - at);
                piece.AsSpan(0, length).CopyTo(body.AsSpan(at));
                at += length;
            }
            return Core.Scripts.ScriptText.Decode(body);
        }
        finally
        {
            foreach (var piece in pieces)
                BodyPieces.Return(piece);
        }
    }

    // ?allowed=1 adds what the caller may do to each job (JobRow.Allowed), with force, as the Dashboard acts. The rules
    // are taken after the ETag is (inside the load), so a tag never names rules newer than the rows were judged by.
    private static Task<IResult> ListJobsAsync(HttpContext context, QueueRows rows, ListingETags tags, TimeProvider clock, Access.UserAccounts accounts,
        CancellationToken ct)
    {
        var q = context.Request.Query;
        var allowed = q["allowed"] == "1";
        return ListAsync(context, QueryTable.Jobs, tags, clock,
            query => rows.JobsAsync(query with { WithComment = q["comment"] == "1" }, ct, allowed ? (accounts.Crews, CallerOf(context)) : null),
            FurrowJsonContext.Default.ListJobRow);
    }

    private static Task<IResult> ListTasksAsync(HttpContext context, QueueRows rows, ListingETags tags, TimeProvider clock, CancellationToken ct) =>
        ListAsync(context, QueryTable.Tasks, tags, clock, query => rows.TasksAsync(query, ct), FurrowJsonContext.Default.ListTaskRow);

    private static Task<IResult> ListCommandsAsync(HttpContext context, QueueRows rows, ListingETags tags, TimeProvider clock, CancellationToken ct) =>
        ListAsync(context, QueryTable.Commands, tags, clock, query => rows.CommandsAsync(query, ct), FurrowJsonContext.Default.ListCommandRow);

    private static Task<IResult> ListInvocationsAsync(HttpContext context, QueueRows rows, ListingETags tags, TimeProvider clock,
        CancellationToken ct) =>
        ListAsync(context, QueryTable.Invocations, tags, clock, query => rows.InvocationsAsync(query, ct), FurrowJsonContext.Default.ListInvocationRow);

    private static long? JidHint(HttpContext context) =>
        Core.Text.ValueText.IsId(context.Request.Query["jid"].FirstOrDefault(), out var jid) ? jid : null;

    /// <summary>
    /// A listing's reply: ?q= clause, ?sortby= columns (-col descending), ?limit= and ?offset= (a page, <see cref="ListPage"/>),
    /// ?archived=1 (deleted jobs too), ?jid= one job. 304 when the client has it already (<see cref="ListingETags"/>).
    /// </summary>
    internal static async Task<IResult> ListAsync<T>(HttpContext context, QueryTable table, ListingETags tags, TimeProvider clock,
        Func<ListQuery, Task<List<T>>> load, JsonTypeInfo<List<T>> type)
    {
        if (ReadListQuery(context, table, clock, out var page) is { } problem)
            return problem;
        var tag = tags.Of(context, table);
        if (tag.IsKnownTo(context.Request))
            return tag.NotModified(context.Response);
        var rows = await load(ListPage.Probe(page));
        var more = ListPage.Cut(rows, page);
        tag.WriteTo(context.Response);
        ListPage.LinkNext(context, page, rows.Count, more);
        return TypedResults.Json(rows, type);
    }

    /// <summary>
    /// Reads ?q, ?sortby, ?limit, ?offset, ?archived and ?jid; a problem result for the first bad one, else null. The
    /// query's limit is the page size (<see cref="ListPage.SizeFor"/>), never null.
    /// </summary>
    internal static IResult? ReadListQuery(HttpContext context, QueryTable table, TimeProvider clock, out ListQuery query)
    {
        query = new ListQuery();
        var q = context.Request.Query;
        var where = Compile(context, table, clock);
        if (where.Error is { } error)
            return ApiResults.BadRequest($"bad query: {error.Message}: '{error.Token}'");
        SortSpec? sort = null;
        if (q["sortby"].FirstOrDefault() is { Length: > 0 } sortText)
        {
            var parsed = SortSpec.Parse(sortText, table);
            if (parsed.Error is { } sortError)
                return ApiResults.BadRequest($"bad sort: {sortError.Message}: '{sortError.Token}'");
            sort = parsed.Sort;
        }
        int? limit = null;
        if (q["limit"].FirstOrDefault() is { Length: > 0 } limitText)
        {
            if (!Core.Text.ValueText.IsWhole(limitText, out var l))
                return ApiResults.BadRequest($"bad limit '{limitText}': expected a whole number (0 for the largest page, {ListPage.MaxSize} rows)");
            limit = l;
        }
        var offset = 0;
        if (q["offset"].FirstOrDefault() is { Length: > 0 } offsetText && !Core.Text.ValueText.IsWhole(offsetText, out offset))
            return ApiResults.BadRequest($"bad offset '{offsetText}': expected a whole number");
        if (q["jid"].FirstOrDefault() is { Length: > 0 } jidText && JidHint(context) is null)
            return ApiResults.BadRequest($"bad jid '{jidText}': expected a job id");
        query = new ListQuery(where.Query, sort, ListPage.SizeFor(limit), offset, q["archived"] == "1") { Jid = JidHint(context), Scope = ScopeOf(context) };
        return null;
    }

    /// <summary>
    /// The jobs the caller may see (crews.config's RestrictedViewLogins, <see cref="CrewRules.ViewScope"/>), or null for
    /// every job. Every read of jobs and their tasks, commands, invocations, logs, why and trace answers within it.
    /// </summary>
    internal static JobScope? ScopeOf(HttpContext context) =>
        context.RequestServices.GetRequiredService<Access.UserAccounts>().Crews.ViewScope(CallerOf(context));

    /// <summary>
    /// True when the caller may not see job <paramref name="jid"/> (outside its <see cref="ScopeOf"/>), or there is no
    /// such job: a reader then answers exactly as it does for a job that does not exist, so a hidden job's existence
    /// does not show. Always false for a caller who sees every job.
    /// </summary>
    internal static async Task<bool> HiddenAsync(HttpContext context, long jid, IJobStore store, CancellationToken ct) =>
        ScopeOf(context) is { } scope && !await Access.JobVisibility.JobExistsAsync(store, jid, scope, ct);

    private static QueryParseResult Compile(HttpContext context, QueryTable table, TimeProvider clock) =>
        TractorQuery.Parse(context.Request.Query["q"].FirstOrDefault() ?? "", table,
            new QueryContext(Access.Caller.User(context) ?? "", clock.GetUtcNow(), TimeZoneInfo.Local));

    /// <summary>The latest time an operation accepts, in Unix ms: the end of year 9999, as far as a DateTimeOffset goes.</summary>
    private const long MaxTimeMs = 253402300799999;

    // POST /api/v1/operations/{operation}?q=CLAUSE: retry, skip, resume, kill, tattr and chkeys act on the tasks the clause
    // matches, cattr on commands, the rest on jobs (undelete on deleted ones). chpri takes ?priority=N, delay
    // ?aftertime=UNIX_MS, jattr/tattr/cattr ?key=K&value=V, chkeys ?value=SERVICE-KEY. Other users' jobs need ?force=1 and
    // crews.config's leave. The request is read and the targets found here; what may be done to each is TaskOperations'
    // to say, from the caller this request is (CallerOf).
    private static async Task<IResult> OperateAsync(string operation, HttpContext context, QueueRows rows, TaskOperations operations,
        IJobStore store, TimeProvider clock, CancellationToken ct)
    {
        var q = context.Request.Query;
        if (OperationRequest.TableOf(operation) is not { } table)
            return ApiResults.BadRequest($"unknown operation '{operation}': expected one of {string.Join(", ", OperationRequest.Names)}");
        if (context.RequestServices.GetRequiredService<Access.UserAccounts>().Crews.ReadOnlyRefusal(Named(CallerOf(context)), $"{operation} jobs")
            is { } readOnly)
            return ApiResults.Error(StatusCodes.Status403Forbidden, readOnly);
        double priority = 0;
        if (operation == "chpri")
        {
            if (JobPriority.Parse(q["priority"].FirstOrDefault() ?? "", out _) is not { } given)
                return ApiResults.BadRequest($"chpri needs ?priority= a number from {JobPriority.RangeText}, got '{q["priority"]}'");
            priority = given;
        }
        long afterMs = 0;
        if (operation == "delay" && (!Core.Text.ValueText.IsWholeLong(q["aftertime"].FirstOrDefault(), out afterMs) || afterMs > MaxTimeMs))
            return ApiResults.BadRequest($"delay needs ?aftertime= a time in Unix ms between 0 and {MaxTimeMs} (the end of year 9999), got '{q["aftertime"]}'");
        AttributeEdit? edit = null;
        if (operation is "jattr" or "tattr" or "cattr" or "chkeys")
        {
            var key = operation == "chkeys" ? "service" : q["key"].FirstOrDefault();
            var value = q["value"].FirstOrDefault();
            if (string.IsNullOrEmpty(key) || value is null)
                return ApiResults.BadRequest(operation == "chkeys" ? "chkeys needs ?value= the new service key" : $"{operation} needs ?key= and ?value=");
            edit = AttributeEdit.Parse(table, key, value, out var refusal);
            if (edit is null)
                return ApiResults.BadRequest($"{operation}: {refusal}");
            // A tier the site does not have is a bad value whichever jobs it is for, as the spool's -tier is.
            // A known one is kept as the site spells it.
            if (edit.Key == "tier")
            {
                var policy = context.RequestServices.GetRequiredService<Dispatch.DispatchPolicy>();
                if (!policy.KnowsTier(edit.Text))
                    return ApiResults.BadRequest($"{operation}: tier {edit.Text}: not one of this site's DispatchTiers ({string.Join(", ", policy.Tiers)})");
                edit = edit with { Text = policy.TierName(edit.Text) };
            }
            // So is a job to wait for that does not exist (to the caller), as the spool's -afterjids is.
            if (edit.Key == "afterjids")
            {
                var unknown = new List<long>();
                foreach (var other in edit.Ids!)
                {
                    if (!await Access.JobVisibility.JobExistsAsync(store, other, ScopeOf(context), ct))
                        unknown.Add(other);
                }
                if (unknown.Count > 0)
                    return ApiResults.BadRequest($"{operation}: afterjids names job(s) {string.Join(", ", unknown)}, which do not exist");
            }
        }
        var query = Compile(context, table, clock);
        if (query.Error is { } error)
            return ApiResults.BadRequest($"bad query: {error.Message}: '{error.Token}'");
        if (string.IsNullOrWhiteSpace(query.Query!.Clause))
            return ApiResults.BadRequest($"{operation} needs a search clause naming what to {operation}, as ?q=CLAUSE (e.g. ?q=jid%3D12)" +
                (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0 ? "; an operation reads no request body" : ""));

        // A job the caller may not see is not matched, so it is neither acted on nor named among the refused.
        var search = new ListQuery(query.Query, IncludeDeleted: operation == "undelete") { Scope = ScopeOf(context) };
        List<OperationTarget> targets = table switch
        {
            QueryTable.Tasks => [.. (await rows.TasksAsync(search, ct)).Select(r => new OperationTarget(r.Jid, r.Tid, 0, r.Owner))],
            QueryTable.Commands => [.. (await rows.CommandsAsync(search, ct)).Select(r => new OperationTarget(r.Jid, r.Tid, r.Cid, r.Owner))],
            _ => [.. (await rows.JobsAsync(search, ct)).Where(j => operation != "undelete" || j.Deleted).Select(r => new OperationTarget(r.Jid, 0, 0, r.Owner))],
        };
        var request = new OperationRequest(operation, CallerOf(context), q["force"] == "1") { Priority = priority, AfterMs = afterMs, Edit = edit };
        var outcome = await operations.ApplyAsync(request, targets, ct);
        return TypedResults.Json(new OperationReply(operation, outcome.Done.Count, outcome.Done, outcome.Refused) { Forbidden = outcome.Forbidden },
            FurrowJsonContext.Default.OperationReply);
    }

    private static async Task<IResult> ReadScriptAsync(long jid, HttpContext context, IJobStore store, CancellationToken ct) =>
        !await HiddenAsync(context, jid, store, ct) && await store.GetJobScriptAsync(jid, ct) is { } script
            ? TypedResults.Text(script.Text, script.Format == JobScript.Json ? "application/json" : "text/plain", Encoding.UTF8)
            : ApiResults.NotFound($"no job {jid}");

    /// <summary>
    /// The caller as crews.config's rules see it: the user the request acts as (<see cref="Access.Caller.User"/>), and
    /// whether its login is an administrator. An administrator acting as another user (?user=) keeps full access: it
    /// could act as each job's owner anyway.
    /// </summary>
    internal static AccessCaller CallerOf(HttpContext context) =>
        new(Access.Caller.User(context) ?? "", context.User.IsInRole(Access.EngineAuthentication.AdministratorRole));

    /// <summary>A caller as a refusal names it: an anonymous one (an engine that allows them, no ?user=) by what it is.</summary>
    internal static AccessCaller Named(AccessCaller caller) => caller.Name.Length > 0 ? caller : caller with { Name = "an anonymous caller" };

    /// <summary>A 403 naming the rule when the caller may not change the farm as a whole (<paramref name="action"/>); else null.</summary>
    internal static IResult? FarmRefusal(HttpContext context, Access.UserAccounts accounts, string action)
    {
        return accounts.Crews.FarmRefusal(Named(CallerOf(context)), action) is { } refusal
            ? ApiResults.Error(StatusCodes.Status403Forbidden, refusal)
            : null;
    }

    private static Task<IResult> PauseDispatchAsync(HttpContext context, Access.UserAccounts accounts, DispatchSwitch dispatch, LiveFarm farm,
        IOptions<EngineOptions> options, EngineClock started, IJobStore store, CancellationToken ct) =>
        SwitchDispatchAsync(true, context, accounts, dispatch, farm, options, started, store, ct);

    private static Task<IResult> ResumeDispatchAsync(HttpContext context, Access.UserAccounts accounts, DispatchSwitch dispatch, LiveFarm farm,
        IOptions<EngineOptions> options, EngineClock started, IJobStore store, CancellationToken ct) =>
        SwitchDispatchAsync(false, context, accounts, dispatch, farm, options, started, store, ct);

    private static async Task<IResult> SwitchDispatchAsync(bool paused, HttpContext context, Access.UserAccounts accounts, DispatchSwitch dispatch,
        LiveFarm farm, IOptions<EngineOptions> options, EngineClock started, IJobStore store, CancellationToken ct)
    {
        if (FarmRefusal(context, accounts, paused ? "pause dispatch" : "resume dispatch") is { } refused)
            return refused;
        await dispatch.SetPausedAsync(paused, ct);
        return await StatusAsync(farm, options, started, store, ct);
    }

    private static async Task<IResult> StatusAsync(LiveFarm farm, IOptions<EngineOptions> options, EngineClock started, IJobStore store, CancellationToken ct)
    {
        var counts = farm.Counts();
        var database = options.Value.Database;
        var status = new EngineStatus(EngineVersion.Current, started.StartedMs, counts.DispatchPaused, counts.Jobs, counts.ReadyTasks,
            counts.ActiveTasks, counts.Blades, options.Value.DataDirectory, Environment.MachineName, Environment.ProcessId,
            options.Value.Port, Environment.WorkingSet, GC.GetGCMemoryInfo().HeapSizeBytes,
            [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)], Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1))
        {
            SchemaVersion = await store.SchemaVersionAsync(ct).ConfigureAwait(false),
            QueuedTasks = counts.QueuedTasks,
            Store = database.DBProvider == "sqlite" ? database.DBProvider : $"{database.DBProvider} ({database.DBMode})",
            LastJid = farm.LastJid(),
        };
        return TypedResults.Json(status, FurrowJsonContext.Default.EngineStatus);
    }

    // Why a task is not running; for a task not in memory the database says whether it is done, deleted or unknown.
    private static async Task<IResult> WhyTaskAsync(long jid, int tid, HttpContext context, LiveFarm farm, IJobStore store, CancellationToken ct)
    {
        if (await HiddenAsync(context, jid, store, ct))
            return NoJob(jid);
        if (farm.Why(jid, tid) is { } why)
            return TypedResults.Json(ToReply(why), FurrowJsonContext.Default.WhyReply);
        return await NotLiveAsync(jid, tid, store, ct);
    }

    // The job's unfinished tasks in tid order, with their reasons: at most ?limit (default 100) of them, since a job
    // may have tens of thousands; ask for one task for the rest.
    private static async Task<IResult> WhyJobAsync(long jid, HttpContext context, LiveFarm farm, IJobStore store, CancellationToken ct)
    {
        if (await HiddenAsync(context, jid, store, ct))
            return NoJob(jid);
        var views = farm.TaskViews(jid);
        if (views.Count == 0)
            return await NotLiveAsync(jid, null, store, ct);
        var limitText = context.Request.Query["limit"].FirstOrDefault();
        var limit = 100;
        if (limitText is { Length: > 0 } && !(Core.Text.ValueText.IsWhole(limitText, out limit) && limit > 0))
            return ApiResults.BadRequest($"bad limit '{limitText}': expected a whole number of at least 1");
        var replies = views.Keys.OrderBy(k => k.Tid).Select(k => farm.Why(jid, k.Tid)).OfType<WhyView>()
            .Where(w => w.State != "done").Take(limit).Select(ToReply).ToList();
        return TypedResults.Json(replies, FurrowJsonContext.Default.ListWhyReply);
    }

    private static async Task<IResult> NotLiveAsync(long jid, int? tid, IJobStore store, CancellationToken ct)
    {
        // The farm forgets a job only when every task is done or the job is deleted, so its rows tell which.
        var tasks = await store.ListTasksAsync(jid, ct);
        if (tasks.Count == 0)
            return NoJob(jid);
        if (tasks.Any(x => x.State != TaskState.Done))
            return ApiResults.NotFound($"job {jid} was deleted");
        if (tid is not { } t)
            return TypedResults.Json(new List<WhyReply>(), FurrowJsonContext.Default.ListWhyReply);
        if (tasks.FirstOrDefault(x => x.Tid == t) is not { } task)
            return ApiResults.NotFound($"job {jid} has no task {t}");
        return TypedResults.Json(new WhyReply(jid, t, task.Title, task.State.ToName(), null, []), FurrowJsonContext.Default.WhyReply);
    }

    /// <summary>The reply for a job that does not exist, or that the caller may not see (<see cref="HiddenAsync"/>): the same for both.</summary>
    internal static IResult NoJob(long jid) => ApiResults.NotFound($"there is no job {jid}");

    private static WhyReply ToReply(WhyView why) =>
        new(why.Jid, why.Tid, why.Title, why.State, why.RunningOn, why.Reasons.Select(r => new WhyReason(r.Kind.ToString(), r.Text)).ToList());

    private static IResult ListBlocklist(HttpContext context, LiveFarm farm) => TypedResults.Json(
        farm.Blocklists(JidHint(context), ScopeOf(context)).Select(b => new BlocklistRow(b.Jid, b.Blade, b.Failures, b.Blocked)).ToList(),
        FurrowJsonContext.Default.ListBlocklistRow);

    private static async Task<IResult> UnblockAsync(long jid, HttpContext context, Access.UserAccounts accounts, TaskOperations operations,
        CancellationToken ct)
    {
        if (FarmRefusal(context, accounts, $"unblock J{jid}'s blades") is { } refused)
            return refused;
        var blade = context.Request.Query["blade"].FirstOrDefault();
        blade = string.IsNullOrWhiteSpace(blade) ? null : blade;
        var problem = await operations.UnblockAsync(jid, blade, ct);
        // Nothing to clear is a refusal as operations give one (200, affected 0): the caller named a job that is there.
        return problem switch
        {
            null => TypedResults.Json(new OperationReply("unblock", 1, [blade is null ? $"J{jid}" : $"J{jid} {blade}"], []), FurrowJsonContext.Default.OperationReply),
            { NotInQueue: true } => ApiResults.NotFound(problem.Value.Problem),
            _ => TypedResults.Json(new OperationReply("unblock", 0, [], [problem.Value.Problem]), FurrowJsonContext.Default.OperationReply),
        };
    }
}
