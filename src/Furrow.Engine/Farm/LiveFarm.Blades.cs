using Furrow.Client.Protocol;
using Furrow.Engine.Blades;
using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>A blade the sweep found silent: how long, and how many of its commands went back to ready.</summary>
internal sealed record SilentBlade(string Name, long SilentMs, int Lost);

/// <summary>A registration's outcome: how many of an earlier blade process's commands went back to ready, and which it kept.</summary>
internal sealed record BladeJoin(int Lost, IReadOnlyList<long> Kept);

internal sealed partial class LiveFarm
{
    /// <summary>
    /// A blade joins or comes back. A new boot id means a new blade process: whatever the old one ran goes back to ready
    /// (counted in <see cref="BladeJoin.Lost"/>), except invocations the new process has in its journal that are still
    /// this blade's (<see cref="BladeJoin.Kept"/>): it reports on those itself. Nimby survives re-registration.
    /// </summary>
    /// <param name="address">The address the blade connected from, for blade.config `Hosts` patterns on addresses.</param>
    public BladeJoin Register(BladeRegistration registration, bool isLocal, string? address, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                var now = Now;
                // Matched under the lock, so a registration racing a config reload gets the profile of the config in force.
                var profile = BladeProfiles.Resolve(_rules.Blades, registration.Name, registration.Host, registration.Figures?.Platform, address);
                var lost = 0;
                var kept = new List<long>();
                foreach (var iid in registration.Journal ?? [])
                    if (_invocations.TryGetValue(iid, out var invocation) && invocation.Blade == registration.Name)
                        kept.Add(iid);
                _blades.TryGetValue(registration.Name, out var known);
                if (known is not null && known.Record.BootId != registration.BootId)
                    lost = RewindAll(known, InvocationState.BladeRestarted, changes, "restarted (a new blade process) without this command", [.. kept]);
                var record = new BladeRecord(registration.Name, registration.Host, registration.Slots, registration.Version,
                    registration.BootId, known?.Record.BootId == registration.BootId ? known.Record.RegisteredMs : now, now, "up")
                {
                    Profile = profile?.Name,
                    Nimby = known?.Record.Nimby ?? false,
                };
                var blade = known ?? new LiveBlade(record);
                blade.Record = record;
                blade.LastContactMs = now;
                blade.OpenPolls = 0;
                blade.IsLocal = isLocal;
                blade.Address = address;
                blade.Profile = profile;
                if (registration.Figures is { } figures)
                    blade.Figures = figures;
                _blades[registration.Name] = blade;
                changes.Add(new UpsertBlade(record));
                changes.WorkBecameAvailable = true;
                return new BladeJoin(lost, kept);
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>
    /// Puts back to ready the commands of every blade silent for longer than <paramref name="timeoutMs"/>: neither a
    /// report nor a heartbeat (<paramref name="lastHeartbeat"/>, by blade name and boot id) from its process in that time.
    /// </summary>
    public List<SilentBlade> SweepSilent(long timeoutMs, Func<string, string, long?> lastHeartbeat, ChangeSet changes)
    {
        var silent = new List<SilentBlade>();
        lock (_gate)
        {
            try
            {
                var now = Now;
                foreach (var blade in _blades.Values)
                {
                    var silentMs = now - Math.Max(blade.LastContactMs, lastHeartbeat(blade.Name, blade.Record.BootId) ?? 0);
                    if (silentMs <= timeoutMs || blade.Record.Status is "silent" or "stopped")
                        continue;
                    // An idle blade waiting on a long poll is there: its poll ends within MaxWaitMs, and its contact
                    // counts from then. A blade with commands must report them (a hung one holding a poll open must not
                    // keep its commands from running elsewhere).
                    if (blade.OpenPolls > 0 && blade.UsedSlots == 0)
                        continue;
                    var lost = RewindAll(blade, InvocationState.BladeSilent, changes,
                        $"silent for {silentMs / 1000} s (if it comes back with this command still running, it is told to end it)");
                    blade.Record = blade.Record with { Status = "silent", LastContactMs = blade.LastContactMs };
                    changes.Add(new UpsertBlade(blade.Record));
                    silent.Add(new SilentBlade(blade.Name, silentMs, lost));
                }
            }
            finally
            {
                Seal(changes);
            }
        }
        return silent;
    }

    /// <summary>
    /// A long poll of blade <paramref name="name"/>'s process <paramref name="bootId"/> begins (<paramref name="waiting"/>)
    /// or ends waiting for work: both are contact. Ignored for another process of the blade.
    /// </summary>
    public void NotePollWaiting(string name, string bootId, bool waiting)
    {
        lock (_gate)
        {
            if (!_blades.TryGetValue(name, out var blade) || blade.Record.BootId != bootId)
                return;
            blade.OpenPolls = Math.Max(0, blade.OpenPolls + (waiting ? 1 : -1));
            blade.LastContactMs = Now;
        }
    }

    /// <summary>
    /// A blade process stopping cleanly: shown as <c>stopped</c> from now on, and what it still ran (results it could not
    /// deliver) goes back to ready as interrupted. Null when <paramref name="bootId"/> is not the blade's current process.
    /// </summary>
    public int? Leave(string name, string bootId, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_blades.TryGetValue(name, out var blade) || blade.Record.BootId != bootId)
                    return null;
                var requeued = RewindAll(blade, InvocationState.Interrupted, changes, "stopped before it could deliver this command's result");
                var now = Now;
                blade.Record = blade.Record with { Status = "stopped", LastContactMs = now };
                blade.LastContactMs = now;
                changes.Add(new UpsertBlade(blade.Record));
                return requeued;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>Blades could not get through while the database was away: their silence then was not theirs.</summary>
    public void RefreshBladeContacts()
    {
        lock (_gate)
        {
            var now = Now;
            foreach (var blade in _blades.Values)
                blade.LastContactMs = now;
        }
    }

    // why: what happened to the blade, for a line in each task's log, so the log of a task that ran twice says why.
    private int RewindAll(LiveBlade blade, InvocationState status, ChangeSet changes, string why, HashSet<long>? keep = null)
    {
        var lost = 0;
        foreach (var iid in blade.Running.ToList())
        {
            if (keep?.Contains(iid) == true)
                continue;
            if (!_invocations.TryGetValue(iid, out var invocation) || !_jobs.TryGetValue(invocation.Jid, out var job))
                continue;
            var task = job.Tasks[invocation.Tid];
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, iid,
                $"[furrow] blade {blade.Name} {why}: invocation {iid} is given up and the task goes back to ready\n", false));
            Rewind(job, task, task.NextCommand - 1, status, changes, countRetry: false);
            lost++;
        }
        if (keep is null)
        {
            blade.Running.Clear();
            blade.UsedSlots = 0;
        }
        return lost;
    }
}
