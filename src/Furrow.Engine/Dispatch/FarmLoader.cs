using Furrow.Core.Jobs;
using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>Rebuilds <see cref="FarmState"/> from the job database in one pass: at start, and after a refused commit.</summary>
internal sealed class FarmLoader(IJobStore store, FarmState farm, TaskLogStore logs, WorkSignal signal)
{
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var live = await store.LoadLiveStateAsync(cancellationToken).ConfigureAwait(false);
        var dispatchPaused = await store.GetParamAsync(DispatchSwitch.ParamName, cancellationToken).ConfigureAwait(false) == "1";
        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            farm.Jobs.Clear();
            farm.Ready.Clear();
            farm.Invocations.Clear();
            var now = farm.NowMs;
            var previousBlades = farm.Blades.Values.ToDictionary(b => b.Name);
            farm.Blades.Clear();
            foreach (var blade in live.Blades)
            {
                // Blades get a full silence timeout after an engine start to come back and report what they ran.
                var known = previousBlades.GetValueOrDefault(blade.Name);
                farm.Blades[blade.Name] = new LiveBlade(blade)
                {
                    LastContactMs = known?.LastContactMs ?? now,
                    IsLocal = known?.IsLocal ?? false,
                };
            }
            farm.DispatchPaused = dispatchPaused;
            farm.Stale = false;
            farm.JobCounter = Math.Max(farm.JobCounter, live.JobCounter);
            farm.IidCounter = Math.Max(farm.IidCounter, live.MaxIid);

            var running = live.CurrentInvocations.ToDictionary(i => (i.Jid, i.Tid));
            foreach (var job in live.Jobs)
                farm.Jobs[job.Job.Jid] = Build(job, running);

            foreach (var record in live.CurrentInvocations)
            {
                if (!farm.Jobs.TryGetValue(record.Jid, out var job))
                {
                    changes.Add(new FinishInvocation(record.Iid, now, null, "orphaned"));
                    continue;
                }
                var invocation = new LiveInvocation(record.Iid, record.Jid, record.Tid, record.Cid, record.Blade, record.DispatchTimeMs)
                {
                    Started = record.StartTimeMs is not null,
                    LogStart = record.LogStart,
                };
                if (record.LogStart is null && logs.FindOutputStart(job.Record.Owner, job.Jid, record.Tid, record.Iid) is { } found)
                {
                    invocation.HeaderWritten = true;
                    invocation.LogStart = found;
                }
                if (invocation.LogStart is { } start)
                    invocation.LogBytes = Math.Max(0, logs.LengthOf(job.Record.Owner, job.Jid, record.Tid) - start);
                farm.Invocations[record.Iid] = invocation;
                if (farm.Blades.TryGetValue(record.Blade, out var blade))
                    blade.Running.Add(record.Iid);
            }

            foreach (var job in farm.Jobs.Values.ToList())
                foreach (var task in job.Tasks.Skip(1))
                {
                    if (task.State == TaskState.Blocked)
                        farm.Settle(job, task.Tid, changes);
                    else
                        farm.Enqueue(job, task, changes);
                }
        }
        if (changes.Writes.Count > 0)
            await store.CommitAsync(changes.Writes, cancellationToken).ConfigureAwait(false);
        signal.Pulse();
    }

    private static LiveJobState Build(LiveJob job, Dictionary<(long, int), InvocationRecord> running)
    {
        var commandsByTask = job.Commands.ToLookup(c => c.Tid);
        var tasks = new LiveTask[job.Tasks.Count + 1];
        tasks[0] = new LiveTask(0, "", []);
        var doneCount = 0;
        foreach (var t in job.Tasks)
        {
            var records = commandsByTask[t.Tid].OrderBy(c => c.Cid).ToList();
            var commands = records.Select(c => new LiveCommand(c.Cid, c.Argv, c.Kind, c.RetryRc)).ToList();
            var task = new LiveTask(t.Tid, t.Title, commands)
            {
                State = TaskStateNames.Parse(t.State),
                RetryCount = t.RetryCount,
            };
            if (running.TryGetValue((t.Jid, t.Tid), out var invocation))
            {
                task.RunningIid = invocation.Iid;
                task.NextCommand = records.FindIndex(c => c.Cid == invocation.Cid) + 1;
            }
            else
            {
                var next = records.FindIndex(c => c.State != "done" && c.State != "skipped");
                task.NextCommand = next < 0 ? records.Count : next;
            }
            if (task.State == TaskState.Done)
                doneCount++;
            tasks[t.Tid] = task;
        }
        var childrenByParent = job.Tasks.ToLookup(t => t.ParentTid, t => t.Tid);
        var graph = new JobGraph(
            job.Tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, [.. childrenByParent[t.Tid]], t.InstanceOf)).ToList(),
            job.RootSerial);
        return new LiveJobState(job.Job, graph, tasks) { DoneCount = doneCount, Started = job.Job.StartTimeMs is not null };
    }
}
