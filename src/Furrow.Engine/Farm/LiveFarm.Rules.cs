using Furrow.Core.Config;
using Furrow.Core.Scheduling;
using Furrow.Engine.Blades;
using Furrow.Engine.Site;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

internal sealed partial class LiveFarm
{
    /// <summary>
    /// Puts a newly read limits.config and blade.config in force at once, as Tractor's reconfigure does. Every loaded
    /// command's limits are named again from its tags and service key; the limit counts are recounted from the commands
    /// running now under their new names, so nothing running is stopped or lost: a raised cap lets waiting commands start
    /// at the next dispatch, a lowered one holds new starts until its count falls below it, a removed limit is no longer
    /// counted. Every known blade is matched to a profile again (its slots, service keys, floors, environments); a blade
    /// whose profile changed has its row rewritten (`tq blades` shows the new one).
    /// </summary>
    public void Reconfigure(SiteRules rules, ChangeSet changes)
    {
        ArgumentNullException.ThrowIfNull(rules);
        lock (_gate)
        {
            try
            {
                // A limits.config read again as it was changes no class: a reload for users or crews then costs no pass
                // over every loaded command (a million on a full farm) under the lock dispatch needs.
                var limitsChanged = rules.LimitsFingerprint is null || rules.LimitsFingerprint != _rules.LimitsFingerprint;
                if (!limitsChanged)
                    rules = rules with { Limits = _rules.Limits };
                Volatile.Write(ref _rules, rules);
                if (limitsChanged)
                {
                    foreach (var job in _jobs.Values)
                        Classify(job);
                    _limits = CounterFor(rules.Limits);
                    foreach (var invocation in _invocations.Values)
                    {
                        // A command no longer in memory keeps the names it was counted under.
                        if (_jobs.TryGetValue(invocation.Jid, out var job) && invocation.Tid < job.Tasks.Length
                            && job.Tasks[invocation.Tid].Command(invocation.Cid) is { } command)
                            invocation.Limits = command.Class.Needs.Limits;
                        _limits?.Acquire(invocation.Limits, invocation.Host, invocation.Owner);
                    }
                }
                foreach (var blade in _blades.Values)
                {
                    var was = blade.Profile?.Name;
                    blade.Profile = BladeProfiles.Resolve(rules.Blades, blade.Name, blade.Record.Host, blade.Figures?.Platform, blade.Address);
                    if (blade.Profile?.Name == was)
                        continue;
                    blade.Record = blade.Record with { Profile = blade.Profile?.Name };
                    changes.Add(new UpsertBlade(blade.Record));
                }
                foreach (var job in _jobs.Values)
                    Requeue(job);
                changes.WorkBecameAvailable = true;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    private static LimitCounter? CounterFor(LimitsConfig? limits) => limits is null ? null : new LimitCounter(limits);

    // A job built outside the lock (spooled, or read from the database) while a reload put another limits.config in force.
    private void ClassifyIfStale(LiveJob job)
    {
        if (!ReferenceEquals(job.ClassesUnder, _rules.Limits))
            Classify(job);
    }

    /// <summary>
    /// Makes the job's command classes again under the limits.config in force, keeping each command's service key, slots
    /// and tags, and moves the tasks waiting for a blade into their command's new class.
    /// </summary>
    private void Classify(LiveJob job)
    {
        var limits = _rules.Limits;
        job.ClassIndex.Clear();
        job.Classes.Clear();
        foreach (var task in job.Tasks.AsSpan(1))
        {
            for (var i = 0; i < task.Commands.Count; i++)
            {
                var command = task.Commands[i];
                var needs = command.Class.Needs;
                task.ReplaceCommand(command with
                {
                    Class = LiveJobBuilder.ClassFor(job, needs.Service, command.Tags, needs.AtLeast, needs.AtMost, needs.EngineHostOnly, limits),
                });
            }
        }
        job.Ready.Clear();
        foreach (var task in job.Tasks.AsSpan(1))
        {
            if (task.QueuedAs is null)
                continue;
            // Queued tasks wait in the class of the command they run next (Enqueue), so that command's new class is theirs,
            // on the one blade a -samehost command waits for.
            var cls = LiveJobBuilder.OnBlade(job, task.Commands[task.NextCommand].Class, task.QueuedAs.Needs.SameHostBlade, task.QueuedAs.Needs.PinnedBy);
            if (!job.Ready.TryGetValue(cls.Id, out var tids))
                job.Ready[cls.Id] = tids = [];
            tids.Add(task.Tid);
            task.QueuedAs = cls;
        }
        job.ClassesUnder = limits;
    }
}
