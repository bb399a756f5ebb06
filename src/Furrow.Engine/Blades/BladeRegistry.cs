using Furrow.Client.Protocol;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Blades;

/// <summary>Blades joining, coming back after a restart, and going silent.</summary>
internal sealed class BladeRegistry(FarmState farm, ChangeCommitter committer, IOptions<EngineOptions> options,
    ILogger<BladeRegistry> logger)
{
    private static readonly string EngineHost = Environment.MachineName;

    public async Task<BladeWelcome> RegisterAsync(BladeRegistration registration, CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            var now = farm.NowMs;
            if (farm.Blades.TryGetValue(registration.Name, out var known) && known.Record.BootId != registration.BootId)
            {
                // A new boot id means a new blade process: whatever the old one ran is not coming back.
                var lost = RequeueAll(known, "blade restarted", changes);
                if (lost > 0)
                    EngineLog.BladeRebooted(logger, registration.Name, lost);
            }
            var record = new BladeRecord(registration.Name, registration.Host, registration.Slots, registration.Version,
                registration.BootId, known?.Record.BootId == registration.BootId ? known.Record.RegisteredMs : now, now, "up");
            var blade = known ?? new LiveBlade(record);
            blade.Record = record;
            blade.LastContactMs = now;
            blade.IsLocal = string.Equals(registration.Host, EngineHost, StringComparison.OrdinalIgnoreCase)
                || registration.Host is "localhost" or "127.0.0.1";
            farm.Blades[registration.Name] = blade;
            changes.Add(new UpsertBlade(record));
            changes.WorkBecameAvailable = true;
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        EngineLog.BladeRegistered(logger, registration.Name, registration.Host, registration.Slots);
        var o = options.Value;
        return new BladeWelcome(o.BladeReportIntervalMs, (int)o.BladeSilenceTimeout.TotalMilliseconds);
    }

    /// <summary>Puts back to ready the commands of every blade silent for longer than the timeout.</summary>
    public async Task SweepSilentAsync(CancellationToken cancellationToken)
    {
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            var now = farm.NowMs;
            var timeoutMs = (long)options.Value.BladeSilenceTimeout.TotalMilliseconds;
            foreach (var blade in farm.Blades.Values)
            {
                var silentMs = now - blade.LastContactMs;
                if (silentMs <= timeoutMs || blade.Record.Status == "silent")
                    continue;
                var lost = RequeueAll(blade, "blade silent", changes);
                blade.Record = blade.Record with { Status = "silent", LastContactMs = blade.LastContactMs };
                changes.Add(new UpsertBlade(blade.Record));
                EngineLog.BladeLost(logger, blade.Name, silentMs, lost);
            }
        }
        if (changes.Writes.Count > 0)
            await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
    }

    private int RequeueAll(LiveBlade blade, string status, ChangeSet changes)
    {
        var lost = 0;
        foreach (var iid in blade.Running.ToList())
        {
            if (!farm.Invocations.TryGetValue(iid, out var invocation) || !farm.Jobs.TryGetValue(invocation.Jid, out var job))
                continue;
            var task = job.Tasks[invocation.Tid];
            farm.Requeue(job, task, task.NextCommand - 1, status, changes, countRetry: false);
            lost++;
        }
        blade.Running.Clear();
        return lost;
    }
}
