using System.Globalization;
using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Engine.Dispatch;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

internal sealed partial class LiveFarm
{
    /// <summary>How many slots blade <paramref name="bladeName"/>'s commands have given back so far (0 for a blade it does not know).</summary>
    public long SlotsFreedMark(string bladeName)
    {
        lock (_gate)
            return _blades.TryGetValue(bladeName, out var blade) ? blade.SlotsFreed : 0;
    }

    /// <summary>
    /// Hands a polling blade the commands it should run now, at most its free slots' worth, best first: the ready
    /// queue's order (tier, priority), fair shares within a priority, and only what <see cref="DispatchRules.Check"/>
    /// allows on this blade. Returns null when the blade is unknown or restarted since it registered (it must register
    /// again); the assignments are in memory at once and the caller commits <paramref name="changes"/> before replying.
    /// </summary>
    /// <param name="reportedFreeSlots">The free slots the blade said it had when its poll began.</param>
    /// <param name="freedMark">
    /// <see cref="SlotsFreedMark"/> when the poll began: slots its commands gave back since then count as free too, so a
    /// command that needs more slots than the blade had free when it asked is not held back until the poll ends.
    /// </param>
    /// <param name="changes">Where the assignments' writes go.</param>
    public List<Assignment>? Assign(string bladeName, string bootId, int reportedFreeSlots, long freedMark, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (!_blades.TryGetValue(bladeName, out var blade) || blade.Record.BootId != bootId)
                    return null;
                var now = Now;
                blade.LastContactMs = now;
                var taken = new List<Assignment>();
                if (_dispatchPaused || _ready.JobCount == 0)
                    return taken;
                var reported = reportedFreeSlots + (int)Math.Clamp(blade.SlotsFreed - freedMark, 0, blade.Slots);
                var free = Math.Min(reported, blade.Slots - blade.UsedSlots);
                while (free > 0)
                {
                    var situation = SituationOf(blade, free);
                    if (DispatchRules.BladeReason(situation) is not null)
                        break;
                    if (Pick(situation, now) is not { } pick)
                        break;
                    var slots = Math.Max(pick.Class.Needs.AtLeast, Math.Min(pick.Class.Needs.AtMost, free));
                    if (Start(pick.Job, pick.Job.Tasks[pick.Tid], blade, slots, now, changes) is not { } assignment)
                        continue; // failed at once (its %ID(host) has no host): the slots it took are free again
                    taken.Add(assignment);
                    free -= slots;
                }
                return taken;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    private readonly record struct Pick_(LiveJob Job, CommandClass Class, int Tid);

    // The best job of the first tier-and-priority level that has anything this blade may run. Within a level the
    // least used share bucket (share group, then owner) goes first, and among buckets used alike the job first in the
    // static order; a bucket's jobs are looked into in that order only until one has something to run, and only while
    // it could still beat the best found, so a flood of one user's jobs costs the jobs this blade cannot run, not all.
    private Pick_? Pick(BladeSituation blade, long now)
    {
        var buckets = _bucketScratch;
        foreach (var level in _ready.Levels)
        {
            buckets.Clear();
            foreach (var bucket in level.Buckets.Values)
            {
                var group = bucket.Key.ShareGroup;
                buckets.Add((_policy.ShareUse(group, _activeByShareGroup.GetValueOrDefault(group)),
                    _activeByOwner.GetValueOrDefault(bucket.Key.Owner), bucket));
            }
            buckets.Sort(static (a, b) => (a.Share, a.Owner).CompareTo((b.Share, b.Owner)));
            for (var first = 0; first < buckets.Count;)
            {
                // Buckets [first, end) are used alike: the best pick among them is the earliest job with something to run.
                var end = first + 1;
                while (end < buckets.Count && (buckets[end].Share, buckets[end].Owner).CompareTo((buckets[first].Share, buckets[first].Owner)) == 0)
                    end++;
                Pick_? best = null;
                for (var i = first; i < end; i++)
                {
                    foreach (var job in buckets[i].Bucket.Jobs)
                    {
                        if (best is { } b && ReadyQueue.Compare(job, b.Job) > 0)
                            break;
                        if (FirstRunnable(job, blade, now) is { } pick)
                        {
                            best = pick;
                            break;
                        }
                    }
                }
                if (best is not null)
                    return best;
                first = end;
            }
        }
        return null;
    }

    // Pick's list of a level's buckets with their use; Pick runs under the farm's lock, one at a time.
    private readonly List<(double Share, int Owner, ShareBucket Bucket)> _bucketScratch = [];

    // The lowest-tid waiting task of this job whose command class the rules allow on the blade. These are
    // DispatchRules.Check's parts in its order: the farm's pause was checked by Assign and only ready tasks are queued,
    // so the job's reasons are asked once per job and the blade's once per class.
    private Pick_? FirstRunnable(LiveJob job, BladeSituation blade, long now)
    {
        var situation = job.Situation(_options.BlocklistFailures);
        if (DispatchRules.JobReason(situation, now) is not null)
            return null;
        Pick_? best = null;
        foreach (var (classId, tids) in job.Ready)
        {
            var cls = job.Classes[classId];
            if (tids.Count == 0 || (best is { } b && tids.Min > b.Tid))
                continue;
            if (DispatchRules.Fits(situation, cls.Needs, blade, _limits))
                best = new Pick_(job, cls, tids.Min);
        }
        return best;
    }

    // Hands the task's next command to the blade, or, when a %ID(host) code of its line has no host to give or its
    // -refersto command no blade, fails it at once with the reason in its task log and gives null: it is never run with
    // a wrong or missing host.
    private Assignment? Start(LiveJob job, LiveTask task, LiveBlade blade, int slots, long now, ChangeSet changes)
    {
        var command = task.Commands[task.NextCommand];
        var iid = NextIid();
        Dequeue(job, task);
        var hosts = HostsOf(job, command, out var noHost);
        var argv = noHost is null ? SubstitutedArgv(job, task, command, blade, slots, command.Argv, hosts) : command.Argv;
        task.ResumeCommand = null;
        var invocation = new LiveInvocation(iid, job.Jid, task.Tid, command.Cid, blade.Name, now)
        {
            MappedArgv = ReferenceEquals(argv, command.Argv) ? null : argv,
            Slots = slots,
            Limits = command.Class.Needs.Limits,
            Host = blade.Record.Host,
            Owner = job.Owner,
            ExpandOutput = command.Expand ? new MemoryStream() : null,
        };
        _invocations[iid] = invocation;
        Hold(job, blade, invocation);
        task.RunningIid = iid;
        task.LastRun = (task.NextCommand, blade.Name);
        task.NextCommand++;
        changes.Add(new InsertInvocation(iid, job.Jid, task.Tid, command.Cid, blade.Name, now, invocation.MappedArgv));
        changes.Add(new SetCommandState(job.Jid, command.Cid, CommandState.Active));
        SetState(job, task, TaskState.Active, changes);
        if (!job.Started)
        {
            job.Started = true;
            changes.Add(new SetJobTimes(job.Jid, now, null));
        }
        Requeue(job);
        if (noHost is not null)
        {
            MarkStarted(job, invocation, null, now, changes);
            changes.Logs.Add(new LogAppend(job.Owner, job.Jid, task.Tid, iid, $"[furrow] not run: {noHost}\n", false));
            Finish(job, invocation, null, now, changes);
            return null;
        }
        if (command.Id is not null)
            job.LatestBladeByCid[command.Cid] = blade.Name;
        var environment = ProfileEnvironment(blade, command);
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["TR_ENV_JID"] = job.Jid.ToString(CultureInfo.InvariantCulture),
            ["TR_ENV_TID"] = task.Tid.ToString(CultureInfo.InvariantCulture),
            ["TR_ENV_CID"] = command.Cid.ToString(CultureInfo.InvariantCulture),
            ["TR_ENV_JOBOWNER"] = job.Owner,
            ["TR_ENV_SLOTS"] = slots.ToString(CultureInfo.InvariantCulture),
        })
            environment[name] = value;
        return new Assignment(iid, job.Jid, task.Tid, command.Cid, job.Owner, argv, command.KindName, environment, slots);
    }

    // Tractor's percent codes (CommandSubstitution) made for this blade; most commands have none and keep their list.
    private static IReadOnlyList<string> SubstitutedArgv(LiveJob job, LiveTask task, LiveCommand command, LiveBlade blade, int slots,
        IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? hosts)
    {
        if (!argv.Any(CommandSubstitution.MayHaveCodes))
            return argv;
        var values = new CommandSubstitution.Values(job.Record.DirMaps,
            DirMapping.ZoneOf(blade.Profile?.Profile?.DirMapZone, blade.Figures?.Platform), HostName(blade), slots,
            task.ResumeCommand == task.NextCommand, job.Jid, task.Tid, command.Cid, hosts);
        return CommandSubstitution.ExpandArgv(argv, values);
    }

    // The one blade the task's next command may run on, and why: its -samehost blade (DispatchRules.SameHostBlade), else,
    // for a -refersto naming a command's -id, the blade of that command's latest run. A -refersto whose command has no
    // run binds nothing here; Start fails the command rather than run it elsewhere (HostsOf).
    private static (string? Blade, string? PinnedBy) PinOf(LiveJob job, LiveTask task)
    {
        if (task.SameHostBlade() is { } sameHost)
            return (sameHost, null);
        if (task.NextCommand < task.Commands.Count && task.Commands[task.NextCommand].RefersTo is { } id
            && job.CidById.TryGetValue(id, out var cid) && job.LatestBladeByCid.TryGetValue(cid, out var blade))
            return (blade, $"{CommandName(job, cid)} (-refersto {id})");
        return (null, null);
    }

    // "command T2 C3": where a command of the job is, as the task log names it.
    private static string CommandName(LiveJob job, int cid) =>
        job.Tasks.FirstOrDefault(t => t.IndexOfCommand(cid) >= 0) is { } task ? $"command T{task.Tid} C{cid}" : $"command C{cid}";

    // What %h gives for a blade: the host it registered with, else its name.
    private static string HostName(LiveBlade blade) => string.IsNullOrEmpty(blade.Record.Host) ? blade.Name : blade.Record.Host;

    // The host each %ID(host) code of the command names: that of the blade of the latest run of the job's command of that
    // -id (kept at each start, and read from the store at a load). Spool made sure that command runs before this one, but
    // it may not have: its task was skipped, or its run's record is gone. Then noHost says so and the hosts are null.
    private IReadOnlyDictionary<string, string>? HostsOf(LiveJob job, LiveCommand command, out string? noHost)
    {
        noHost = null;
        if (command.RefersTo is { } refersTo && job.CidById.TryGetValue(refersTo, out var referred) && !job.LatestBladeByCid.ContainsKey(referred))
        {
            noHost = $"-refersto {refersTo} names {CommandName(job, referred)}, which has no run in this job " +
                "(its task was skipped, or its run's record is gone), so there is no blade to run on; retry its task, then this one";
            return null;
        }
        if (command.HostIds.Count == 0)
            return null;
        var hosts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in command.HostIds)
        {
            if (!job.CidById.TryGetValue(id, out var cid))
            {
                noHost = $"%{id}(host) names the -id {id}, which no command of the job has";
                return null;
            }
            if (!job.LatestBladeByCid.TryGetValue(cid, out var bladeName))
            {
                noHost = $"%{id}(host) names {CommandName(job, cid)} (-id {id}), which has no run in this job " +
                    "(its task was skipped, or its run's record is gone), so there is no host to give; retry its task, then this one";
                return null;
            }
            // A blade that ran it and has not registered since this engine started is known by name only.
            hosts[id] = _blades.TryGetValue(bladeName, out var blade) ? HostName(blade) : bladeName;
        }
        return hosts;
    }

    // Tractor's default envhandler: the blade profile's "default" EnvKeys entry, then each entry naming one of the
    // command's -envkey names, in the command's order; later entries override earlier ones.
    private static Dictionary<string, string> ProfileEnvironment(LiveBlade blade, LiveCommand command)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (blade.Profile?.Profile is not { EnvKeys.Count: > 0 } profile)
            return environment;
        void Apply(string key)
        {
            foreach (var entry in profile.EnvKeys)
                if (entry.Keys?.Contains(key, StringComparer.Ordinal) == true)
                    foreach (var (name, value) in entry.Environment ?? [])
                        environment[name] = value;
        }
        Apply("default");
        foreach (var key in command.EnvKeys)
            if (key != "default")
                Apply(key);
        return environment;
    }

    private BladeSituation SituationOf(LiveBlade blade, int freeSlots)
    {
        var f = blade.Figures;
        var profile = blade.Profile?.Profile;
        // Figures a blade has not sent yet are unknown (NaN): a MinRAM or MinDisk floor does not hold it back, but a
        // service key's resource test (@.mem > 4) is not met by a value nobody knows.
        var traits = new BladeTraits(blade.Name, blade.Record.Host, f?.Platform ?? "", profile?.Provides,
            f?.Cores ?? 0, f?.FreeMemoryGB ?? double.NaN, f?.FreeDiskGB ?? double.NaN, f?.Load ?? double.NaN);
        // A profile's NIMBY is 0, 1 or a user name. Tractor's 1 takes only jobs spooled on the blade's own host; Furrow
        // takes it as no work at all (stricter, never looser). A user name takes only that user's jobs.
        var profileNimby = profile?.Nimby is { Length: > 0 } n && n != "0" ? n : null;
        var nimbyOwner = profileNimby is not null and not "1" ? profileNimby : null;
        return new BladeSituation(traits, blade.Record.Status == "up", blade.Profile is { Profile: null }, blade.Record.Nimby, freeSlots,
            profile?.MaxLoad, profile?.MinRAM ?? 0, profile?.MinDisk ?? 0, blade.IsLocal, nimbyOwner, profileNimby == "1");
    }
}
