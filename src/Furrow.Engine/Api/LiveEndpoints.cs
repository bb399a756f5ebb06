using Furrow.Client.Protocol;
using Furrow.Engine.Access;
using Furrow.Engine.Events;
using Furrow.Engine.Farm;
using Furrow.Engine.Site;
using Furrow.Storage;
using Furrow.Storage.Queries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Api;

/// <summary>What the Dashboard keeps itself current with: the live event stream, the farm summary, and reading the site config again.</summary>
internal static class LiveEndpoints
{
    /// <summary>Maps GET /events, GET /summary and POST /config/reload under <paramref name="v1"/>.</summary>
    public static void MapLiveApi(this IEndpointRouteBuilder v1)
    {
        v1.MapGroup("/events").WithTags("Events")
            .MapGet("", EventStream.StreamAsync).WithName("EventStream").Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .Errors(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Server-Sent Events naming what changed (jobs, tasks, log, blades, engine; reset to reload everything), for re-reading the listings.")
            .WithDescription("Each event's data is JSON: jobs {\"jids\":[..]}, tasks {\"jid\":..,\"tids\":[..]}, log {\"jid\":..,\"tid\":..}, " +
                "blades {\"names\":[..]}, engine {\"dispatchPaused\":..,\"configReloaded\":true?}, reset {}. Ids are BOOT-SEQ; a reconnect's " +
                $"Last-Event-ID header replays the last {EventFeed.Kept} events after it, or sends reset. A comment line every " +
                $"{EventStream.PingEvery.TotalSeconds} s while nothing happens. A caller in RestrictedViewLogins sees events of its jobs only. " +
                $"503 when {EventFeed.MaxSubscribers} streams are open.");
        v1.MapGroup("/summary").WithTags("Engine")
            .MapGet("", SummaryAsync).WithName("FarmSummary").Replies<FarmSummary>()
            .WithSummary("Task, job and blade counts and dispatches in each of the last 60 minutes, over the jobs the caller may see.");
        v1.MapGroup("/config").WithTags("Engine")
            .MapPost("/reload", ReloadConfigAsync).WithName("ReloadConfig").Replies<ConfigReloadReply>(StatusCodes.Status400BadRequest)
            .WithSummary("Reads the site config files again now (tq reloadconfig); administrators only.")
            .WithDescription("users.config, crews.config, limits.config and blade.config are read and applied at once, as Tractor's " +
                "reconfigure does (users.config and crews.config are also read again by themselves when they change): every loaded command's " +
                "limits are named again and the counts recounted from the commands running now (none is stopped; a raised cap lets waiting " +
                "commands start at the next dispatch, a lowered one holds new starts until use falls below it), and every known blade is " +
                "matched to its profile again. tractor.config and db.config are read and checked; restartNeeded names each whose settings " +
                "differ from those the engine started with, and which differ; ignored names each of their keys Furrow does not read, with its " +
                "line and column (they are not refused: Tractor's own tractor.config has many). A file that does not parse or check gets 400 naming the file, " +
                "line and reason, and nothing changes.");
    }

    private static async Task<IResult> SummaryAsync(HttpContext context, IJobStore store, QueueRows rows, DispatchCounter dispatches,
        TimeProvider clock, CancellationToken ct)
    {
        var jobs = await store.SummarizeJobsAsync(QueueEndpoints.ScopeOf(context), ct);
        var blades = await rows.BladesAsync(new ListQuery(), ct);
        var down = blades.Count(b => b.Status != "up");
        var nimby = blades.Count(b => b.Status == "up" && b.Nimby);
        var busy = blades.Count(b => b.Status == "up" && !b.Nimby && b.SlotsInUse > 0);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var t = jobs.Tasks;
        var summary = new FarmSummary(
            new SummaryTasks(t.Blocked, t.Ready, t.Active, t.Done, t.Error, t.Total),
            new SummaryJobs(jobs.Jobs, jobs.Active, jobs.Paused, jobs.WithErrors, jobs.Done, jobs.Deleted),
            new SummaryBlades(blades.Count, busy, blades.Count - down - nimby - busy, nimby, down),
            await dispatches.LastHourAsync(now, ct), now);
        return TypedResults.Json(summary, FurrowJsonContext.Default.FarmSummary);
    }

    private static async Task<IResult> ReloadConfigAsync(HttpContext context, UserAccounts accounts, IOptions<EngineOptions> options,
        EventFeed feed, LiveFarm farm, ChangeCommitter committer, ILogger<EventFeed> logger, CancellationToken ct)
    {
        var who = Caller.User(context) ?? "an anonymous caller";
        if (accounts.Crews.AdministratorRefusal(QueueEndpoints.Named(QueueEndpoints.CallerOf(context)), "reload the site config") is { } refusal)
            return ApiResults.Error(StatusCodes.Status403Forbidden, refusal);
        var directory = options.Value.ConfigDirectory;
        bool Exists(string file) => File.Exists(Path.Combine(directory, file));
        SiteRules rules;
        IReadOnlyList<IgnoredSetting> ignored;
        try
        {
            // Every file is read and checked before any is applied, so a bad one changes nothing; the files read at
            // start only are checked too, so a mistake in them shows now rather than at the next start.
            ignored = SiteConfigLoader.IgnoredKeys(directory, SiteConfigLoader.LoadEngine(directory), SiteConfigLoader.LoadDb(directory));
            var limits = SiteConfigLoader.LoadLimits(directory, out var fingerprint);
            rules = new SiteRules(limits, SiteConfigLoader.LoadBlade(directory), fingerprint);
            accounts.Reload();
        }
        catch (SiteConfigException error)
        {
            EngineLog.ConfigReloadRefused(logger, who, error.MessageIn(directory));
            return ApiResults.BadRequest("nothing was reloaded: " + error.MessageIn(directory));
        }
        var changes = new ChangeSet();
        farm.Reconfigure(rules, changes);
        await committer.CommitAsync(changes, ct).ConfigureAwait(false);
        string[] live = [AccessFiles.UsersFile, AccessFiles.CrewsFile, SiteConfigLoader.BladeConfigFile, SiteConfigLoader.LimitsConfigFile];
        var restart = options.Value.StartupFiles.ChangedSince(directory)
            .Select(c => new ConfigFileNote(c.File, $"{c.Difference}; the engine reads it at start only: restart the engine to apply it"))
            .ToList();
        string[] startOnly = [SiteConfigLoader.EngineConfigFile, SiteConfigLoader.DbConfigFile];
        feed.Publish(ChangeEvents.EngineEvent(farm.ViewState().DispatchPaused, configReloaded: true));
        var reply = new ConfigReloadReply([.. live.Concat(startOnly).Where(Exists)], [.. live.Where(Exists)], restart)
        {
            Absent = [.. live.Where(file => !Exists(file))],
            Ignored = [.. ignored.Select(s => new ConfigFileNote(s.File,
                $"{(s.Place is { } at ? $"line {at.Line}, column {at.Column}: " : "")}\"{s.Key}\" is not a setting Furrow reads, so it is ignored"))],
        };
        if (ignored.Count > 0)
            EngineLog.SettingsIgnored(logger, string.Join("; ", ignored));
        static string Listed(IEnumerable<string> files) => files.Any() ? string.Join(", ", files) : "none";
        EngineLog.ConfigReloaded(logger, who, Listed(reply.Applied), Listed(reply.Absent), Listed(restart.Select(r => $"{r.File} ({r.Reason})")));
        return TypedResults.Json(reply, FurrowJsonContext.Default.ConfigReloadReply);
    }
}
