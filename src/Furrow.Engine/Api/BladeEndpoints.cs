using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Furrow.Client.Protocol;
using Furrow.Engine.Access;
using Furrow.Engine.Blades;
using Furrow.Core.Query;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Farm;
using Furrow.Engine.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Furrow.Engine.Api;

/// <summary>
/// Blades: what the operator lists and switches (nimby), and what blade processes call: register, long-poll for work,
/// report starts, output and exits.
/// </summary>
internal static class BladeEndpoints
{
    /// <summary>The rate-limiting policy of blade reports (<see cref="LimitOutputReports"/>).</summary>
    public const string OutputReports = "output-reports";

    /// <summary>A report body up to this size (bytes) goes straight in: starts, exits, progress, a little output.</summary>
    public const int SmallReportBytes = 64 * 1024;

    /// <summary>Reports larger than that (or of no stated length) processed at once; the rest wait their turn, oldest first.</summary>
    public const int OutputReportsAtOnce = 16;

    /// <summary>
    /// Lets at most <see cref="OutputReportsAtOnce"/> reports bigger than <see cref="SmallReportBytes"/> in at once. Each
    /// carries up to a few MB of command output that is held until its log text is synced and its rows committed, so a
    /// farm of chatty renders (100 blades streaming 200 MB) took the engine past 300 MB; waiting ones are not read yet.
    /// Reports of starts and exits are never held behind them.
    /// </summary>
    public static void LimitOutputReports(RateLimiterOptions options) =>
        options.AddPolicy(OutputReports, context => context.Request.ContentLength is <= SmallReportBytes
            ? RateLimitPartition.GetNoLimiter("small")
            : RateLimitPartition.GetConcurrencyLimiter("output", _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = OutputReportsAtOnce,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));

    /// <summary>
    /// Maps the blades group under <paramref name="v1"/>: the operator's listing and nimby switch, and inside it what blade
    /// processes call, where every call carries a JSON body.
    /// </summary>
    public static void MapBladeApi(this IEndpointRouteBuilder v1)
    {
        var blades = v1.MapGroup("/blades").WithTags("Blades");
        blades.MapGet("", ListBladesAsync).WithName("ListBlades").AsListing<List<BladeRow>>(QueryParameters.BladeListing)
            .WithSummary("Blades matching a search clause, with their live slots, figures, profile and nimby switch.");
        blades.MapPost("/{name}/nimby", NimbyAsync).WithName("NimbyBlade").Replies<OperationReply>(404).WithSummary("The blade takes no new work (what runs goes on).");
        blades.MapPost("/{name}/unnimby", UnnimbyAsync).WithName("UnnimbyBlade").Replies<OperationReply>(404).WithSummary("The blade takes work again.");
        blades.MapGet("/{name}/trace", TraceBlade).WithName("TraceBlade").WithQueryParameters(QueryParameters.Trace)
            .Produces<string>(200, "text/plain").Errors(400, 404)
            .WithSummary("What the scheduler would give the blade on its next request, job by job, or why not (tq trace), as text.");

        // Blade processes prove themselves by their own means, not a user's login.
        var agent = blades.MapGroup("").AllowAnonymous().WithMetadata(BladeAgentCall.Instance);
        // Every blade call carries a JSON body: anything else is refused before it is read, naming what came.
        agent.AddEndpointFilter(async (call, next) => call.HttpContext.Request.HasJsonContentType()
            ? await next(call)
            : ApiResults.Error(StatusCodes.Status415UnsupportedMediaType, ApiResults.NotJsonMessage(call.HttpContext.Request)));
        agent.MapPost("/register", RegisterAsync).WithName("RegisterBlade").TakesJson<BladeRegistration>().Replies<BladeWelcome>(401, 403)
            .WithSummary("A blade process announces itself with its key (X-Furrow-Blade-Key), or enrols showing the site's enrolment " +
                "secret (X-Furrow-Enrolment-Secret) and is issued a key; the reply says how often to report.");
        // Every call of an enrolled blade carries its key, checked against the name in the route before the call is read.
        var enrolled = agent.MapGroup("/{name}").AddEndpointFilter(RequireBladeKeyAsync);
        enrolled.MapPost("/work", PollWorkAsync).WithName("PollWork").TakesJson<WorkRequest>().Replies<WorkReply>(401, 403, 409)
            .WithSummary("A blade's long poll for commands to run.");
        enrolled.MapPost("/report", ReportAsync).RequireRateLimiting(OutputReports).WithName("ReportWork").TakesJson<BladeReport>()
            .Replies<ReportReply>(401, 403, 409)
            .WithSummary("A blade reports starts, output, progress and exits of its commands.");
        enrolled.MapPost("/heartbeat", HeartbeatAsync).WithName("BladeHeartbeat").TakesJson<BladeHeartbeat>().Replies<BladeHeartbeat>(401, 403)
            .WithSummary("A blade process says it is alive.");
        enrolled.MapPost("/leave", LeaveAsync).WithName("LeaveFarm").TakesJson<BladeLeaving>().Replies<BladeLeft>(401, 403)
            .WithSummary("A blade process stops; what it still ran goes back to ready.");
        blades.MapDelete("/{name}/key", ReleaseKeyAsync).WithName("ReleaseBladeName").Replies<OperationReply>(404)
            .WithSummary("Releases a blade name from the key it was enrolled with (its machine was rebuilt, its state directory lost): " +
                "the next blade showing the enrolment secret enrols under it (tq releaseblade).");
    }

    private static async ValueTask<object?> RequireBladeKeyAsync(EndpointFilterInvocationContext call, EndpointFilterDelegate next)
    {
        var http = call.HttpContext;
        var name = (string)http.Request.RouteValues["name"]!;
        var keys = http.RequestServices.GetRequiredService<BladeKeys>();
        return await keys.CheckAsync(name, http.Request.Headers[BladeCredentialHeaders.Key], http.RequestAborted) is { } refusal
            ? Refuse(http, refusal)
            : await next(call);
    }

    // A 401 names the scheme the blade answers it with, as HTTP asks of every 401.
    private static ErrorResult Refuse(HttpContext http, BladeRefusal refusal)
    {
        if (refusal.Status == StatusCodes.Status401Unauthorized)
            http.Response.Headers.WWWAuthenticate = BladeCredentialHeaders.Key;
        return ApiResults.Error(refusal.Status, refusal.Message);
    }

    // Releasing, nimbying or unnimbying a blade changes the farm for everyone: administrators and wranglers only.
    private static async Task<IResult> ReleaseKeyAsync(string name, HttpContext context, UserAccounts accounts, BladeKeys keys, CancellationToken ct) =>
        QueueEndpoints.FarmRefusal(context, accounts, $"release blade name {name}") is { } refused ? refused
        : await keys.ReleaseAsync(name, ct)
            ? TypedResults.Json(new OperationReply("releaseblade", 1, [name], []), FurrowJsonContext.Default.OperationReply)
            : ApiResults.NotFound($"blade name {name} is not enrolled with this engine; nothing to release");

    private static Task<IResult> ListBladesAsync(HttpContext context, QueueRows rows, ListingETags tags, TimeProvider clock, CancellationToken ct) =>
        QueueEndpoints.ListAsync(context, QueryTable.Blades, tags, clock, query => rows.BladesAsync(query, ct), FurrowJsonContext.Default.ListBladeRow);

    private static Task<IResult> NimbyAsync(string name, HttpContext context, UserAccounts accounts, TaskOperations operations, CancellationToken ct) =>
        SetNimbyAsync(name, true, context, accounts, operations, ct);

    // GET /api/v1/blades/{name}/trace[?jobs=N]: tq trace's plain text, one line per job with work waiting (at most N, 50).
    private static IResult TraceBlade(string name, HttpContext context, LiveFarm farm)
    {
        var jobsText = context.Request.Query["jobs"].FirstOrDefault();
        var jobs = 50;
        if (jobsText is { Length: > 0 } && !(Core.Text.ValueText.IsWhole(jobsText, out jobs) && jobs > 0))
            return ApiResults.BadRequest($"bad jobs '{jobsText}': expected a whole number of at least 1");
        return farm.Trace(name, jobs, QueueEndpoints.ScopeOf(context)) is { } lines
            ? TypedResults.Text(string.Join('\n', lines) + "\n", "text/plain", Encoding.UTF8)
            : ApiResults.NotFound($"no blade named {name} has registered with this engine");
    }

    private static Task<IResult> UnnimbyAsync(string name, HttpContext context, UserAccounts accounts, TaskOperations operations, CancellationToken ct) =>
        SetNimbyAsync(name, false, context, accounts, operations, ct);

    private static async Task<IResult> SetNimbyAsync(string name, bool nimby, HttpContext context, UserAccounts accounts, TaskOperations operations,
        CancellationToken ct)
    {
        if (QueueEndpoints.FarmRefusal(context, accounts, $"{(nimby ? "nimby" : "unnimby")} blade {name}") is { } refused)
            return refused;
        var problem = await operations.SetNimbyAsync(name, nimby, ct);
        return problem is null
            ? TypedResults.Json(new OperationReply(nimby ? "nimby" : "unnimby", 1, [name], []), FurrowJsonContext.Default.OperationReply)
            : ApiResults.NotFound(problem);
    }

    private static async Task<Results<JsonHttpResult<BladeLeft>, ErrorResult>> LeaveAsync(
        string name, HttpContext context, BladeRegistry registry, CancellationToken cancellationToken)
    {
        var leaving = await context.Request.ReadFromJsonAsync(FurrowJsonContext.Default.BladeLeaving, cancellationToken);
        if (leaving is null || string.IsNullOrEmpty(leaving.BootId))
            return ApiResults.BadRequest("a blade leaving needs its boot id");
        var requeued = await registry.LeaveAsync(name, leaving.BootId, cancellationToken);
        return TypedResults.Json(new BladeLeft(requeued), FurrowJsonContext.Default.BladeLeft);
    }

    private static async Task<Results<JsonHttpResult<BladeHeartbeat>, ErrorResult>> HeartbeatAsync(
        string name, HttpContext context, BladeHeartbeats heartbeats, CancellationToken cancellationToken)
    {
        var heartbeat = await context.Request.ReadFromJsonAsync(FurrowJsonContext.Default.BladeHeartbeat, cancellationToken);
        if (heartbeat is null || string.IsNullOrEmpty(heartbeat.BootId))
            return ApiResults.BadRequest("a heartbeat needs the blade's boot id");
        heartbeats.Note(name, heartbeat.BootId);
        return TypedResults.Json(heartbeat, FurrowJsonContext.Default.BladeHeartbeat);
    }

    private static async Task<Results<JsonHttpResult<BladeWelcome>, ErrorResult>> RegisterAsync(
        HttpContext context, BladeRegistry registry, BladeKeys keys, CancellationToken cancellationToken)
    {
        var registration = await context.Request.ReadFromJsonAsync(FurrowJsonContext.Default.BladeRegistration, cancellationToken);
        if (registration is null || string.IsNullOrWhiteSpace(registration.Name) || registration.Slots < 1)
            return ApiResults.BadRequest("a registration needs a blade name and at least one slot");
        var address = context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
        // Checked before the farm hears of it: a refused registration takes no commands from the blade that has the name.
        var admission = await keys.AdmitAsync(registration.Name, context.Request.Headers[BladeCredentialHeaders.Key],
            context.Request.Headers[BladeCredentialHeaders.EnrolmentSecret], address, cancellationToken);
        if (admission.Refusal is { } refusal)
            return Refuse(context, refusal);
        var welcome = await registry.RegisterAsync(registration, address, cancellationToken);
        return TypedResults.Json(welcome with { Key = admission.IssuedKey }, FurrowJsonContext.Default.BladeWelcome);
    }

    private static async Task<Results<JsonHttpResult<WorkReply>, ErrorResult>> PollWorkAsync(
        string name, HttpContext context, WorkDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var request = await context.Request.ReadFromJsonAsync(FurrowJsonContext.Default.WorkRequest, cancellationToken);
        if (request is null)
            return ApiResults.BadRequest("a work request needs a body");
        var reply = await dispatcher.PollAsync(name, request, cancellationToken);
        return reply is null ? ApiResults.RegisterAgain(name) : TypedResults.Json(reply, FurrowJsonContext.Default.WorkReply);
    }

    private static async Task<Results<JsonHttpResult<ReportReply>, ErrorResult>> ReportAsync(
        string name, HttpContext context, ReportProcessor processor, CancellationToken cancellationToken)
    {
        var report = await context.Request.ReadFromJsonAsync(FurrowJsonContext.Default.BladeReport, cancellationToken);
        if (report is null)
            return ApiResults.BadRequest("a report needs a body");
        var reply = await processor.ProcessAsync(name, report, cancellationToken);
        return reply is null ? ApiResults.RegisterAgain(name) : TypedResults.Json(reply, FurrowJsonContext.Default.ReportReply);
    }
}
