using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

internal sealed partial class LiveFarm
{
    /// <summary>
    /// Changes one attribute of a job (`tq jattr`). A job in the queue takes it at once (its place in the queue, what it
    /// waits for, its share group, its cap); a finished or deleted one has it changed on record. Priority, paused and
    /// aftertime are `tq chpri`, `tq pause`/`unpause` and `tq delay`/`undelay` by another name, and are done as those are.
    /// Null when done, else why not.
    /// </summary>
    public string? SetJobAttribute(long jid, AttributeEdit edit, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                switch (edit.Key)
                {
                    case "priority":
                        Reprioritize(jid, edit.Number!.Value, changes);
                        return null;
                    case "paused":
                        Pause(jid, edit.Flag!.Value, changes);
                        return null;
                    case "aftertime":
                        // Tractor's set_afterTime=0 clears it.
                        Delay(jid, edit.Number is > 0 and var ms ? (long)ms : null, changes);
                        return null;
                }
                if (edit.Key == "afterjids" && edit.Ids!.Contains(jid))
                    return $"J{jid} cannot wait for itself (afterjids)";
                if (edit.Key == "afterjids" && WaitChain(edit.Ids!, jid) is { } chain)
                    return $"J{jid} cannot wait for {chain}, which already waits for J{jid}: neither would ever start (afterjids)";
                if (edit.Key == "tier" && !_policy.KnowsTier(edit.Text!))
                    return $"tier {edit.Text}: not one of this site's DispatchTiers ({string.Join(", ", _policy.Tiers)})";
                if (_jobs.TryGetValue(jid, out var job))
                    ApplyToLiveJob(job, edit, changes);
                changes.Add(SetAttribute.OnJob(jid, edit));
                return null;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    // The chain of waits (J4 -> J7 -> J2) by which one of `from` already waits for `target`, through unfinished jobs'
    // afterjids, or null when none does: setting those afterjids on `target` would close a loop of jobs that never start.
    // Breadth first, so the chain named is a shortest one.
    private string? WaitChain(IEnumerable<long> from, long target)
    {
        var cameFrom = new Dictionary<long, long>();
        var queue = new Queue<long>();
        foreach (var start in from)
        {
            if (cameFrom.TryAdd(start, start))
                queue.Enqueue(start);
        }
        while (queue.TryDequeue(out var at))
        {
            if (!_jobs.TryGetValue(at, out var job))
                continue;
            foreach (var next in job.WaitingFor)
            {
                if (next == target)
                {
                    var chain = new List<long> { at };
                    while (cameFrom[chain[^1]] != chain[^1])
                        chain.Add(cameFrom[chain[^1]]);
                    chain.Reverse();
                    return string.Join(" -> ", chain.Select(j => $"J{j}"));
                }
                if (cameFrom.TryAdd(next, at))
                    queue.Enqueue(next);
            }
        }
        return null;
    }

    private void ApplyToLiveJob(LiveJob job, AttributeEdit edit, ChangeSet changes)
    {
        switch (edit.Key)
        {
            case "title":
                job.Record = job.Record with { Title = edit.Text! };
                return;
            case "comment":
                return; // written to the job database only: the farm does not hold comments (LiveJob.Record)
            case "maxactive":
                job.Record = job.Record with { MaxActive = edit.Number is > 0 and var max ? (int)max : null };
                break;
            case "afterjids":
                foreach (var waitedFor in job.WaitingFor)
                    if (_waiters.TryGetValue(waitedFor, out var list))
                        list.Remove(job.Jid);
                job.WaitingFor.Clear();
                job.Record = job.Record with { AfterJids = edit.Ids! };
                Admit(job);
                break;
            case "projects":
                // The share group's count of running commands moves with the job, so fair sharing stays true.
                Bump(_activeByShareGroup, job.ShareGroup, -job.ActiveCount);
                job.Record = job.Record with { Projects = edit.Words! };
                Bump(_activeByShareGroup, job.ShareGroup, job.ActiveCount);
                break;
            case "tier":
                job.Record = job.Record with { Tier = edit.Text };
                job.TierRank = _policy.TierRank(edit.Text);
                break;
        }
        Requeue(job);
        changes.WorkBecameAvailable = true;
    }

    /// <summary>Gives a task a new title (`tq tattr -k title`). Null when done, else why not.</summary>
    public string? SetTaskTitle(long jid, int tid, AttributeEdit edit, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (_jobs.TryGetValue(jid, out var job) && tid >= 1 && tid < job.Tasks.Length)
                    job.Tasks[tid].Title = edit.Text!;
                changes.Add(new SetAttribute(jid, tid, 0, edit));
                return null;
            }
            finally
            {
                Seal(changes);
            }
        }
    }

    /// <summary>
    /// Changes one attribute of a command (`tq cattr`, `tq chkeys`): its service key, tags (limits), slots, envkeys or
    /// retry exit codes. A command waiting for a blade waits under its new needs at once; one running now keeps its blade
    /// and takes them at its next run. A finished job's command is changed on record (a maxslots below minslots there is
    /// raised to it when the job is loaded again). Null when done, else why not.
    /// </summary>
    public string? SetCommandAttribute(long jid, int tid, int cid, AttributeEdit edit, ChangeSet changes)
    {
        lock (_gate)
        {
            try
            {
                if (_jobs.TryGetValue(jid, out var job) && tid >= 1 && tid < job.Tasks.Length && job.Tasks[tid].Command(cid) is { } command)
                {
                    var needs = command.Class.Needs;
                    var key = needs.Service;
                    var tags = command.Tags;
                    var (atLeast, atMost) = (needs.AtLeast, needs.AtMost);
                    switch (edit.Key)
                    {
                        case "service":
                            key = LiveJobBuilder.Parse(edit.Text, $"J{jid} C{cid}");
                            break;
                        case "tags":
                            tags = edit.Words!;
                            break;
                        case "minslots":
                            // maxslots follows a raised minslots, as a command spooled with -atleast alone gets.
                            atLeast = (int)edit.Number!.Value;
                            atMost = Math.Max(atMost, atLeast);
                            break;
                        case "maxslots":
                            atMost = (int)edit.Number!.Value;
                            break;
                    }
                    if (atMost < atLeast)
                        return $"J{jid} C{cid}: maxslots {atMost} would be below minslots {atLeast}";
                    var changed = command with
                    {
                        Class = LiveJobBuilder.ClassFor(job, key, tags, atLeast, atMost, needs.EngineHostOnly, _rules.Limits),
                        Tags = tags,
                        EnvKeys = edit.Key == "envkey" ? edit.Words! : command.EnvKeys,
                        RetryRc = edit.Key == "retryrcodes" ? edit.Ids!.Select(i => (int)i).ToList() : command.RetryRc,
                    };
                    var task = job.Tasks[tid];
                    // A task waiting for a blade waits in its command's class: it moves to the new one.
                    var queued = task.QueuedAs is not null;
                    Dequeue(job, task);
                    task.ReplaceCommand(changed);
                    if (queued)
                        Enqueue(job, task, changes);
                    changes.WorkBecameAvailable = true;
                }
                changes.Add(new SetAttribute(jid, tid, cid, edit));
                return null;
            }
            catch (JobRuleException error)
            {
                return error.Message;
            }
            finally
            {
                Seal(changes);
            }
        }
    }
}
