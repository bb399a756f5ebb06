using System.Text;
using Furrow.Core.Access;
using Furrow.Engine.Access;
using Furrow.Engine.Farm;
using Furrow.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Events;

/// <summary>
/// GET /api/v1/events: the live event stream as Server-Sent Events. Each event names what changed; the page reads the rows
/// again through the listings. A reconnect's Last-Event-ID replays what it missed, or gets a reset.
/// </summary>
/// <remarks>
/// Kestrel's slow-client rules (SlowClientLimits) do not cut an idle stream: the minimum reply rate is measured only
/// while a write is waiting on the client, so a healthy client reading pings is never below it, and a dead one that
/// stops reading is cut once its socket's buffers fill. The per-caller request rate counts the stream once, when it
/// opens. The stream ends when its client goes, and at once when the engine stops.
/// </remarks>
internal static class EventStream
{
    /// <summary>How often a comment line is sent when nothing happens, so proxies keep the stream and a dead client is found.</summary>
    public static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(15);

    /// <summary>What EventSource waits before reconnecting (ms), sent when the stream opens.</summary>
    public const int RetryMs = 2000;

    private static readonly byte[] Ping = Encoding.UTF8.GetBytes(": ping\n\n");

    /// <summary>Streams events to the caller until it goes or the engine stops.</summary>
    public static async Task StreamAsync(HttpContext context, EventFeed feed, LiveFarm farm, IJobStore store, IHostApplicationLifetime lifetime)
    {
        var scope = Api.QueueEndpoints.ScopeOf(context);
        var lastEventId = context.Request.Headers["Last-Event-ID"].FirstOrDefault();
        var subscriber = feed.Subscribe(lastEventId, scope);
        if (subscriber is null)
        {
            await Api.ApiResults.Unavailable($"{EventFeed.MaxSubscribers} event streams are open already: try again later").ExecuteAsync(context)
                .ConfigureAwait(false);
            return;
        }
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache, no-store";
            // Proxies such as nginx buffer replies unless told not to; an event held back is no event.
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var token = stop.Token;
            var visible = new Dictionary<long, (bool Sees, long AskedMs)>();
            await WriteAsync(response, $"retry: {RetryMs}\n\n", token).ConfigureAwait(false);
            while (!token.IsCancellationRequested)
            {
                var events = await subscriber.TakeAsync(PingEvery, token).ConfigureAwait(false);
                if (events is null)
                {
                    await response.Body.WriteAsync(Ping, token).ConfigureAwait(false);
                    await response.Body.FlushAsync(token).ConfigureAwait(false);
                    continue;
                }
                var text = new StringBuilder();
                foreach (var farmEvent in events)
                {
                    var data = scope is null || !farmEvent.NamesJobs ? farmEvent.Data
                        : await VisibleDataAsync(farmEvent, scope, visible, farm, store, token).ConfigureAwait(false);
                    if (data is null)
                        continue;
                    text.Append("id: ").Append(feed.IdOf(farmEvent.Seq)).Append('\n')
                        .Append("event: ").Append(farmEvent.Type).Append('\n')
                        .Append("data: ").Append(data).Append("\n\n");
                }
                if (text.Length > 0)
                    await WriteAsync(response, text.ToString(), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went, or the engine is stopping: the stream simply ends.
        }
        catch (IOException)
        {
        }
        finally
        {
            feed.Unsubscribe(subscriber);
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken token)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);
    }

    // The event as a caller held to some jobs may see it: a jobs event with only the jobs it may see, or null when it
    // names none of them. Whether a job is visible is remembered per stream for a while (a job's crews may change).
    private static async Task<string?> VisibleDataAsync(FarmEvent farmEvent, JobScope scope, Dictionary<long, (bool Sees, long AskedMs)> visible,
        LiveFarm farm, IJobStore store, CancellationToken token)
    {
        var now = Environment.TickCount64;
        if (visible.Count > 100_000)
            visible.Clear();
        var shown = new List<long>();
        foreach (var jid in farmEvent.Jids)
        {
            if (!visible.TryGetValue(jid, out var known) || now - known.AskedMs > VisibilityKeptMs)
            {
                known = (farm.OwnerOf(jid) == scope.User || await store.JobExistsAsync(jid, scope, token).ConfigureAwait(false), now);
                visible[jid] = known;
            }
            if (known.Sees)
                shown.Add(jid);
        }
        if (shown.Count == 0)
            return null;
        return farmEvent.Type == FarmEvent.Jobs && shown.Count < farmEvent.Jids.Count ? ChangeEvents.JobsData(shown) : farmEvent.Data;
    }

    private const long VisibilityKeptMs = 10_000;
}
