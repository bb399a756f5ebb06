using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Query;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Api;

/// <summary>
/// Builds the rows tq lists from the database (the truth) plus what only the scheduler knows (which blade runs a
/// task, why a task waits), each with the Tractor column names its search clause can test.
/// </summary>
internal sealed class QueueRows(IJobStore store, FarmState farm, TaskLogStore logs)
{
    public async Task<List<(JobRow Row, IQueryRow Query)>> JobsAsync(bool archived, CancellationToken ct)
    {
        var jobs = await store.ListJobsAsync(archived, ct).ConfigureAwait(false);
        return jobs.Select(j =>
        {
            var c = j.Counts;
            var row = new JobRow(j.Jid, j.Owner, j.Title, j.Priority, j.SpoolTimeMs, j.Paused, j.Deleted, c.Total, c.Blocked, c.Ready,
                c.Active, c.Error, c.Done, j.StartTimeMs, j.StopTimeMs, j.SpoolFile, j.Comment);
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["jid"] = j.Jid, ["owner"] = j.Owner, ["title"] = j.Title, ["priority"] = j.Priority,
                ["spooltime"] = Time(j.SpoolTimeMs), ["starttime"] = Time(j.StartTimeMs), ["stoptime"] = Time(j.StopTimeMs),
                ["spoolhost"] = j.SpoolHost, ["spoolfile"] = j.SpoolFile, ["spoolcwd"] = j.SpoolCwd, ["comment"] = j.Comment,
                ["numtasks"] = (long)c.Total, ["numblocked"] = (long)c.Blocked, ["numready"] = (long)c.Ready,
                ["numactive"] = (long)c.Active, ["numerror"] = (long)c.Error, ["numdone"] = (long)c.Done,
                ["pausetime"] = j.Paused ? Time(j.SpoolTimeMs) : null, ["deletetime"] = j.Deleted ? Time(j.SpoolTimeMs) : null,
            }));
        }).ToList();
    }

    public async Task<List<(TaskRow Row, IQueryRow Query)>> TasksAsync(long? jid, CancellationToken ct)
    {
        var owners = await store.ListJobOwnersAsync(ct).ConfigureAwait(false);
        var tasks = await store.ListTasksAsync(jid, ct).ConfigureAwait(false);
        var result = new List<(TaskRow, IQueryRow)>(tasks.Count);
        lock (farm.Gate)
        {
            foreach (var t in tasks)
            {
                var owner = owners.GetValueOrDefault(t.Jid, "");
                string? blade = null;
                string? why = null;
                if (farm.Jobs.TryGetValue(t.Jid, out var live))
                {
                    var task = live.Tasks[t.Tid];
                    if (task.RunningIid is { } iid && farm.Invocations.TryGetValue(iid, out var invocation))
                        blade = invocation.Blade;
                    why = WhyWaiting(live, task);
                }
                var hasLog = File.Exists(logs.PathOf(owner, t.Jid, t.Tid));
                var row = new TaskRow(t.Jid, t.Tid, owner, t.Title, t.Id, t.State, t.StateTimeMs, t.ParentTid, blade, t.RetryCount, hasLog, why);
                result.Add((row, QueryRow.From(new Dictionary<string, object?>
                {
                    ["jid"] = t.Jid, ["tid"] = (long)t.Tid, ["title"] = t.Title, ["id"] = t.Id, ["service"] = t.Service,
                    ["state"] = t.State, ["statetime"] = Time(t.StateTimeMs), ["retrycount"] = (long)t.RetryCount,
                    ["owner"] = owner, ["haslog"] = hasLog, ["serialsubtasks"] = t.SerialSubtasks,
                })));
            }
        }
        return result;
    }

    public async Task<List<(CommandRow Row, IQueryRow Query)>> CommandsAsync(long? jid, CancellationToken ct)
    {
        var owners = await store.ListJobOwnersAsync(ct).ConfigureAwait(false);
        var commands = await store.ListCommandsAsync(jid, ct).ConfigureAwait(false);
        return commands.Select(c =>
        {
            var owner = owners.GetValueOrDefault(c.Jid, "");
            var row = new CommandRow(c.Jid, c.Tid, c.Cid, owner, c.Argv, c.Kind, c.RunType, c.Service, c.State);
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["jid"] = c.Jid, ["tid"] = (long)c.Tid, ["cid"] = (long)c.Cid, ["argv"] = c.Argv.ToList(),
                ["local"] = c.Kind == "local", ["runtype"] = c.RunType, ["service"] = c.Service, ["state"] = c.State,
                ["owner"] = owner,
            }));
        }).ToList();
    }

    public async Task<List<(InvocationRow Row, IQueryRow Query)>> InvocationsAsync(long? jid, CancellationToken ct)
    {
        var owners = await store.ListJobOwnersAsync(ct).ConfigureAwait(false);
        var invocations = await store.ListInvocationsAsync(jid, ct).ConfigureAwait(false);
        return invocations.Select(i =>
        {
            var row = new InvocationRow(i.Iid, i.Jid, i.Tid, i.Cid, i.Blade, i.DispatchTimeMs, i.StartTimeMs, i.StopTimeMs, i.Pid,
                i.ExitCode, i.Current, i.Status);
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["iid"] = i.Iid, ["jid"] = i.Jid, ["tid"] = (long)i.Tid, ["cid"] = (long)i.Cid, ["blade"] = i.Blade,
                ["starttime"] = Time(i.StartTimeMs), ["stoptime"] = Time(i.StopTimeMs), ["pid"] = (long?)i.Pid,
                ["rcode"] = (long?)i.ExitCode, ["current"] = i.Current, ["state"] = i.Status,
                ["owner"] = owners.GetValueOrDefault(i.Jid, ""),
            }));
        }).ToList();
    }

    public async Task<List<(BladeRow Row, IQueryRow Query)>> BladesAsync(CancellationToken ct)
    {
        var blades = await store.ListBladesAsync(ct).ConfigureAwait(false);
        lock (farm.Gate)
        {
            return blades.Select(b =>
            {
                farm.Blades.TryGetValue(b.Name, out var live);
                var inUse = live?.Running.Count ?? 0;
                var contact = live?.LastContactMs ?? b.LastContactMs;
                var status = live?.Record.Status ?? b.Status;
                var row = new BladeRow(b.Name, b.Host, b.Slots, inUse, b.Version, status, contact, b.RegisteredMs);
                return (row, QueryRow.From(new Dictionary<string, object?>
                {
                    ["name"] = b.Name, ["ipaddr"] = b.Host, ["numslots"] = (long)b.Slots, ["version"] = b.Version,
                    ["status"] = status, ["heartbeattime"] = Time(contact), ["starttime"] = Time(b.RegisteredMs),
                    ["registered"] = true,
                }));
            }).ToList();
        }
    }

    private static string? WhyWaiting(LiveJobState job, LiveTask task) => task.State switch
    {
        TaskState.Blocked => job.Graph.WhyBlocked(task.Tid, job.IsDone),
        _ when job.Paused => "the job is paused",
        TaskState.Ready or TaskState.Active when task.Queued => "waiting for a free blade slot",
        _ => null,
    };

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
