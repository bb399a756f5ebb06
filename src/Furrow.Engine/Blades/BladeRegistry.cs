using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Furrow.Engine.Site;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Blades;

/// <summary>Blades joining (matched to their blade.config profile), coming back after a restart, and going silent.</summary>
internal sealed class BladeRegistry(LiveFarm farm, ChangeCommitter committer, BladeHeartbeats heartbeats,
    IOptions<EngineOptions> options, ILogger<BladeRegistry> logger)
{
    private static readonly string EngineHost = Environment.MachineName;

    /// <param name="address">The address the blade connected from, for blade.config `Hosts` patterns on addresses.</param>
    public async Task<BladeWelcome> RegisterAsync(BladeRegistration registration, string? address, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var isLocal = string.Equals(registration.Host, EngineHost, StringComparison.OrdinalIgnoreCase)
            || registration.Host is "localhost" or "127.0.0.1";
        var join = farm.Register(registration, isLocal, address, changes);
        if (join.Lost > 0)
            EngineLog.BladeRebooted(logger, registration.Name, join.Lost);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        EngineLog.BladeRegistered(logger, registration.Name, registration.Host, registration.Slots);
        var o = options.Value;
        return new BladeWelcome(o.BladeReportIntervalMs, (int)o.BladeSilenceTimeout.TotalMilliseconds, join.Kept, OpenPollIsContact: true);
    }

    /// <summary>A blade process stopping cleanly (<see cref="BladeLeaving"/>); returns how many of its commands went back to ready.</summary>
    public async Task<int> LeaveAsync(string name, string bootId, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var requeued = farm.Leave(name, bootId, changes);
        if (requeued is null)
            return 0;
        EngineLog.BladeLeft(logger, name, requeued.Value);
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        return requeued.Value;
    }

    /// <summary>Puts back to ready the commands of every blade silent for longer than the timeout.</summary>
    public async Task SweepSilentAsync(CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        var silent = farm.SweepSilent((long)options.Value.BladeSilenceTimeout.TotalMilliseconds, heartbeats.LastFrom, changes);
        foreach (var blade in silent)
            EngineLog.BladeLost(logger, blade.Name, blade.SilentMs, blade.Lost);
        if (changes.Writes.Count > 0)
            await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
    }
}
