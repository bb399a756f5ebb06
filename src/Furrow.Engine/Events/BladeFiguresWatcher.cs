using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Events;

/// <summary>
/// Publishes a blades event for every blade whose live standing changed (slots in use, load, memory, last contact,
/// status, nimby): looked at every <see cref="Period"/>, so figures that change with every heartbeat make at most one
/// event per blade in that time. Registrations, nimby and new invocations are published with their commits as well.
/// </summary>
internal sealed class BladeFiguresWatcher(LiveFarm farm, EventFeed feed, TimeProvider clock) : BackgroundService
{
    /// <summary>How often the blades are looked at: the most often one blade's figures alone make an event.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private sealed record Standing(string Status, int Slots, int SlotsInUse, long LastContactMs, BladeFigures? Figures, bool Nimby, string? Profile);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = new Dictionary<string, Standing>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(Period, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var now = farm.BladeViews().ToDictionary(b => b.Key,
                b => new Standing(b.Value.Status, b.Value.Slots, b.Value.SlotsInUse, b.Value.LastContactMs, b.Value.Figures, b.Value.Nimby, b.Value.Profile),
                StringComparer.Ordinal);
            var changed = now.Where(b => !last.TryGetValue(b.Key, out var was) || was != b.Value).Select(b => b.Key)
                .Concat(last.Keys.Where(name => !now.ContainsKey(name)))
                .Order(StringComparer.Ordinal).ToList();
            last = now;
            if (changed.Count > 0)
                feed.Publish(ChangeEvents.BladesEvent(changed));
        }
    }
}
