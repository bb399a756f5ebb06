using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Storage;
using Microsoft.Extensions.Hosting;

namespace Furrow.Engine.Dispatch;

/// <summary>Answers a blade's long-poll for work: hands out ready commands in policy order, committed before the reply.</summary>
internal sealed class WorkDispatcher(FarmState farm, ChangeCommitter committer, WorkSignal signal, IHostApplicationLifetime lifetime)
{
    private const int MaxWaitMs = 30_000;

    /// <summary>Null when the blade is unknown or has restarted since it registered: it must register again.</summary>
    public async Task<WorkReply?> PollAsync(string bladeName, WorkRequest request, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + Math.Clamp(request.WaitMs, 0, MaxWaitMs);
        while (true)
        {
            var pulse = signal.NextPulse;
            var changes = new ChangeSet();
            List<Assignment> taken;
            lock (farm.Gate)
            {
                if (!farm.Blades.TryGetValue(bladeName, out var blade) || blade.Record.BootId != request.BootId)
                    return null;
                blade.LastContactMs = farm.NowMs;
                taken = farm.DispatchPaused ? [] : Take(blade, request.FreeSlots, changes);
            }
            if (taken.Count > 0)
            {
                await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
                return new WorkReply(taken);
            }
            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
                return new WorkReply([]);
            try
            {
                // A stopping engine answers its waiting blades at once instead of holding its shutdown for their polls.
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
                await pulse.WaitAsync(TimeSpan.FromMilliseconds(remaining), waiting.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return new WorkReply([]);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return new WorkReply([]);
            }
        }
    }

    private List<Assignment> Take(LiveBlade blade, int freeSlots, ChangeSet changes)
    {
        var taken = new List<Assignment>();
        if (freeSlots <= 0 || farm.Ready.Count == 0)
            return taken;
        var now = farm.NowMs;
        var picks = new List<ReadyKey>(freeSlots);
        foreach (var key in farm.Ready)
        {
            if (picks.Count >= freeSlots)
                break;
            var candidate = farm.Jobs[key.Jid].Tasks[key.Tid];
            if (blade.IsLocal || candidate.Commands[candidate.NextCommand].Kind != "local")
                picks.Add(key);
        }
        foreach (var key in picks)
        {
            var job = farm.Jobs[key.Jid];
            var task = job.Tasks[key.Tid];
            var command = task.Commands[task.NextCommand];
            var iid = ++farm.IidCounter;
            farm.Dequeue(job, task);
            farm.Invocations[iid] = new LiveInvocation(iid, job.Jid, task.Tid, command.Cid, blade.Name, now);
            blade.Running.Add(iid);
            task.RunningIid = iid;
            task.NextCommand++;
            changes.Add(new InsertInvocation(iid, job.Jid, task.Tid, command.Cid, blade.Name, now));
            changes.Add(new SetCommandState(job.Jid, command.Cid, "active"));
            farm.SetState(job, task, TaskState.Active, changes);
            if (!job.Started)
            {
                job.Started = true;
                changes.Add(new SetJobTimes(job.Jid, now, null));
            }
            taken.Add(new Assignment(iid, job.Jid, task.Tid, command.Cid, job.Record.Owner, command.Argv, command.Kind,
                new Dictionary<string, string>
                {
                    ["TR_ENV_JID"] = job.Jid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["TR_ENV_TID"] = task.Tid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["TR_ENV_CID"] = command.Cid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["TR_ENV_JOBOWNER"] = job.Record.Owner,
                }));
        }
        return taken;
    }
}
