using Furrow.Client.Protocol;
using Furrow.Core.Jobs;
using Furrow.Core.Query;
using Furrow.Engine.Farm;
using Furrow.Engine.Logs;
using Furrow.Storage;

namespace Furrow.Engine.Api;

/// <summary>
/// Builds the rows tq lists from the database (the truth) plus what only the scheduler knows (which blade runs a
/// task, why a task waits), each with the Tractor column names its search clause can test. The scheduler's part is a
/// snapshot taken from the farm; file checks (logs) happen outside its lock.
/// </summary>
internal sealed class QueueRows(IJobStore store, LiveFarm farm, TaskLogStore logs)
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
                ["maxactive"] = (long?)j.MaxActive, ["aftertime"] = Time(j.AfterTimeMs), ["afterjids"] = j.AfterJids.ToList(),
                ["tier"] = j.Tier, ["projects"] = j.Projects.ToList(), ["service"] = j.Service, ["tags"] = j.Tags.ToList(),
            }));
        }).ToList();
    }

    public async Task<List<(TaskRow Row, IQueryRow Query)>> TasksAsync(long? jid, CancellationToken ct)
    {
        var owners = await store.ListJobOwnersAsync(ct).ConfigureAwait(false);
        var tasks = await store.ListTasksAsync(jid, ct).ConfigureAwait(false);
        var views = farm.TaskViews(jid);
        var result = new List<(TaskRow, IQueryRow)>(tasks.Count);
        foreach (var t in tasks)
        {
            var owner = owners.GetValueOrDefault(t.Jid, "");
            var view = views.GetValueOrDefault((t.Jid, t.Tid));
            var hasLog = logs.ExistingPathOf(owner, t.Jid, t.Tid) is not null;
            var state = t.State.ToName();
            // A done task is all done, whatever its command last said (or if it never said).
            var progress = t.State == TaskState.Done ? 100 : t.Progress;
            var row = new TaskRow(t.Jid, t.Tid, owner, t.Title, t.Id, state, t.StateTimeMs, t.ParentTid, view?.Blade, t.RetryCount, hasLog,
                view?.WhyWaiting, progress);
            result.Add((row, QueryRow.From(new Dictionary<string, object?>
            {
                ["jid"] = t.Jid, ["tid"] = (long)t.Tid, ["title"] = t.Title, ["id"] = t.Id, ["service"] = t.Service,
                ["state"] = state, ["statetime"] = Time(t.StateTimeMs), ["retrycount"] = (long)t.RetryCount,
                ["owner"] = owner, ["haslog"] = hasLog, ["serialsubtasks"] = t.SerialSubtasks, ["progress"] = (double?)progress,
            })));
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
            var state = c.State.ToName();
            var row = new CommandRow(c.Jid, c.Tid, c.Cid, owner, c.Argv, c.Kind, c.RunType, c.Service, state);
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["jid"] = c.Jid, ["tid"] = (long)c.Tid, ["cid"] = (long)c.Cid, ["argv"] = c.Argv.ToList(),
                ["local"] = c.Kind == "local", ["runtype"] = c.RunType, ["service"] = c.Service, ["state"] = state,
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
            var status = i.Status.ToName();
            var u = i.Usage;
            // Tractor's cpu: the cores the command kept busy on average over its run.
            double? cpu = u is { UserSecs: { } user, SystemSecs: { } system, ElapsedRealSecs: > 0 } ? (user + system) / u.ElapsedRealSecs : null;
            var row = new InvocationRow(i.Iid, i.Jid, i.Tid, i.Cid, i.Blade, i.DispatchTimeMs, i.StartTimeMs, i.StopTimeMs, i.Pid,
                i.ExitCode, i.Current, status)
            {
                ElapsedReal = u?.ElapsedRealSecs, UserSecs = u?.UserSecs, SystemSecs = u?.SystemSecs, PeakRss = u?.PeakRssBytes,
                PeakVsz = u?.PeakVszBytes, ClockSkewMs = u?.ClockSkewMs, Cpu = cpu,
            };
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["iid"] = i.Iid, ["jid"] = i.Jid, ["tid"] = (long)i.Tid, ["cid"] = (long)i.Cid, ["blade"] = i.Blade,
                ["starttime"] = Time(i.StartTimeMs), ["stoptime"] = Time(i.StopTimeMs), ["pid"] = (long?)i.Pid,
                ["rcode"] = (long?)i.ExitCode, ["current"] = i.Current, ["state"] = status,
                ["owner"] = owners.GetValueOrDefault(i.Jid, ""),
                ["elapsedreal"] = u?.ElapsedRealSecs, ["elapsedapp"] = u?.UserSecs, ["elapsedsys"] = u?.SystemSecs,
                ["rss"] = (double?)u?.PeakRssBytes, ["vsz"] = (double?)u?.PeakVszBytes, ["cpu"] = cpu,
            }));
        }).ToList();
    }

    public async Task<List<(BladeRow Row, IQueryRow Query)>> BladesAsync(CancellationToken ct)
    {
        var blades = await store.ListBladesAsync(ct).ConfigureAwait(false);
        var views = farm.BladeViews();
        return blades.Select(b =>
        {
            var live = views.GetValueOrDefault(b.Name);
            var contact = live?.LastContactMs ?? b.LastContactMs;
            var status = live?.Status ?? b.Status;
            var f = live?.Figures;
            var row = new BladeRow(b.Name, b.Host, live?.Slots ?? b.Slots, live?.SlotsInUse ?? 0, b.Version, status, contact, b.RegisteredMs)
            {
                Profile = live?.Profile ?? b.Profile,
                Nimby = live?.Nimby ?? b.Nimby,
                Figures = f,
                ClockSkewMs = live?.ClockSkewMs,
            };
            return (row, QueryRow.From(new Dictionary<string, object?>
            {
                ["name"] = b.Name, ["ipaddr"] = b.Host, ["numslots"] = (long)row.Slots, ["version"] = b.Version,
                ["status"] = status, ["heartbeattime"] = Time(contact), ["starttime"] = Time(b.RegisteredMs),
                ["registered"] = true, ["profile"] = row.Profile, ["nimby"] = row.Nimby ? "1" : null, ["numcpu"] = (long?)f?.Cores,
                ["availmemory"] = f?.FreeMemoryGB, ["availdisk"] = f?.FreeDiskGB, ["loadavg"] = f?.Load,
                ["osname"] = f?.Platform, ["osversion"] = f?.OsInfo,
            }));
        }).ToList();
    }

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
