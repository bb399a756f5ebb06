using Furrow.Client.Protocol;
using Furrow.Core.Access;
using Furrow.Core.Jobs;
using Furrow.Core.Query;
using Furrow.Engine.Farm;
using Furrow.Engine.Jobs;
using Furrow.Engine.Logs;
using Furrow.Storage;
using Furrow.Storage.Queries;

namespace Furrow.Engine.Api;

/// <summary>
/// Builds the rows tq lists. Jobs, tasks, commands and invocations are searched, sorted and paged by the database (the
/// truth; the clause becomes SQL), then given what only the scheduler knows (which blade runs a task, why a task waits),
/// from a snapshot of the farm taken outside its lock. Blades are the farm's own, searched in memory.
/// </summary>
internal sealed class QueueRows(IJobStore store, LiveFarm farm, TaskLogStore logs)
{
    /// <summary>
    /// Jobs matching the query, in its order and page. With <paramref name="allowedFor"/>, each row also says which
    /// operations that caller may run on it with force (<see cref="JobRow.Allowed"/>), judged from the owner, policy and
    /// lock the same read returned, so a page costs no more reads than without.
    /// </summary>
    public async Task<List<JobRow>> JobsAsync(ListQuery query, CancellationToken ct, (CrewRules Rules, AccessCaller Caller)? allowedFor = null)
    {
        var jobs = await store.QueryJobsAsync(query, ct).ConfigureAwait(false);
        // Judged once per owner, policy and lock met in the page (a farm has tens of these across thousands of jobs), and
        // the one answer shared by the rows that have them: read-only lists, never changed after.
        var judged = new Dictionary<JobAccessFacts, IReadOnlyList<string>>();
        return jobs.Select(j =>
        {
            var c = j.Counts;
            return new JobRow(j.Jid, j.Owner, j.Title, j.Priority, j.SpoolTimeMs, j.Paused, j.Deleted, c.Total, c.Blocked, c.Ready,
                c.Active, c.Error, c.Done, j.StartTimeMs, j.StopTimeMs, j.SpoolFile, j.Comment)
            {
                Allowed = allowedFor is not null ? Judge(new JobAccessFacts(j.Owner, j.EditPolicy, j.LockedBy)) : null,
            };

            IReadOnlyList<string> Judge(JobAccessFacts facts)
            {
                if (!judged.TryGetValue(facts, out var allowed))
                    judged[facts] = allowed = OperationRequest.AllowedOn(allowedFor.Value.Rules, allowedFor.Value.Caller, facts, force: true).AsReadOnly();
                return allowed;
            }
        }).ToList();
    }

    public async Task<List<TaskRow>> TasksAsync(ListQuery query, CancellationToken ct)
    {
        var tasks = await store.QueryTasksAsync(query, ct).ConfigureAwait(false);
        var views = farm.TaskViews(tasks.Select(t => (t.Task.Jid, t.Task.Tid)));
        var result = new List<TaskRow>(tasks.Count);
        foreach (var (t, owner) in tasks)
        {
            var view = views.GetValueOrDefault((t.Jid, t.Tid));
            var hasLog = logs.ExistingPathOf(owner, t.Jid, t.Tid) is not null;
            // A done task is all done, whatever its command last said (or if it never said).
            var progress = t.State == TaskState.Done ? 100 : t.Progress;
            result.Add(new TaskRow(t.Jid, t.Tid, owner, t.Title, t.Id, t.State.ToName(), t.StateTimeMs, t.ParentTid, view?.Blade, t.RetryCount,
                hasLog, view?.WhyWaiting, progress) { SerialSubtasks = t.SerialSubtasks, InstanceOf = t.InstanceOf.Count == 0 ? null : t.InstanceOf });
        }
        return result;
    }

    public async Task<List<CommandRow>> CommandsAsync(ListQuery query, CancellationToken ct)
    {
        var commands = await store.QueryCommandsAsync(query, ct).ConfigureAwait(false);
        return commands.Select(x => new CommandRow(x.Command.Jid, x.Command.Tid, x.Command.Cid, x.Owner, x.Command.Argv, x.Command.Kind,
            x.Command.RunType, x.Command.Service, x.Command.State.ToName())).ToList();
    }

    public async Task<List<InvocationRow>> InvocationsAsync(ListQuery query, CancellationToken ct)
    {
        var invocations = await store.QueryInvocationsAsync(query, ct).ConfigureAwait(false);
        return invocations.Select(x =>
        {
            var i = x.Invocation;
            var u = i.Usage;
            // Tractor's cpu: the cores the command kept busy on average over its run.
            double? cpu = u is { UserSecs: { } user, SystemSecs: { } system, ElapsedRealSecs: > 0 } ? (user + system) / u.ElapsedRealSecs : null;
            return new InvocationRow(i.Iid, i.Jid, i.Tid, i.Cid, i.Blade, i.DispatchTimeMs, i.StartTimeMs, i.StopTimeMs, i.Pid,
                i.ExitCode, i.Current, i.Status.ToName())
            {
                ElapsedReal = u?.ElapsedRealSecs, UserSecs = u?.UserSecs, SystemSecs = u?.SystemSecs, PeakRss = u?.PeakRssBytes,
                PeakVsz = u?.PeakVszBytes, ClockSkewMs = u?.ClockSkewMs, Cpu = cpu,
            };
        }).ToList();
    }

    /// <summary>Blades matching a clause, sorted and paged here: the farm holds their live figures, and a farm has hundreds, not millions.</summary>
    public async Task<List<BladeRow>> BladesAsync(ListQuery query, CancellationToken ct) =>
        (await BladeRowsAsync(query, ct).ConfigureAwait(false)).Select(b => b.Row).ToList();

    /// <summary>Blades matching the query, in its order and page, each with its values under the clause language's names.</summary>
    public async Task<List<(BladeRow Row, IQueryRow Query)>> BladeRowsAsync(ListQuery query, CancellationToken ct)
    {
        var blades = await store.ListBladesAsync(ct).ConfigureAwait(false);
        var views = farm.BladeViews();
        var rows = blades.Select(b =>
        {
            var live = views.GetValueOrDefault(b.Name);
            var contact = live?.LastContactMs ?? b.LastContactMs;
            var status = live?.Status ?? b.Status;
            var f = live?.Figures;
            var row = new BladeRow(b.Name, b.Host, live?.Slots ?? b.Slots, live?.SlotsInUse ?? 0, b.Version, status, contact, b.RegisteredMs)
            {
                Profile = live?.Profile ?? b.Profile,
                Address = live?.Address,
                Nimby = live?.Nimby ?? b.Nimby,
                Figures = f,
                ClockSkewMs = live?.ClockSkewMs,
            };
            return (Row: row, Query: QueryRow.From(new Dictionary<string, object?>
            {
                ["name"] = b.Name, ["ipaddr"] = live?.Address ?? b.Host, ["numslots"] = (long)row.Slots, ["version"] = b.Version,
                ["status"] = status, ["heartbeattime"] = Time(contact), ["starttime"] = Time(b.RegisteredMs),
                ["registered"] = true, ["profile"] = row.Profile, ["nimby"] = row.Nimby ? "1" : null, ["numcpu"] = (long?)f?.Cores,
                ["availmemory"] = Bytes(f?.FreeMemoryGB), ["availdisk"] = Bytes(f?.FreeDiskGB), ["loadavg"] = f?.Load,
                ["osname"] = f?.Platform, ["osversion"] = f?.OsInfo,
            }));
        }).Where(r => query.Where?.Root.Evaluate(r.Query) ?? true).ToList();
        if (query.Sort is { } sort)
            rows.Sort((a, b) => sort.Compare(a.Query, b.Query));
        IEnumerable<(BladeRow, IQueryRow)> page = rows.Skip(query.Offset);
        if (query.Limit is { } limit)
            page = page.Take(limit);
        return page.ToList();
    }

    // The figures arrive in GiB; the clause language reads memory and disk in bytes (`mem > 4G`).
    // Whole bytes: the blade reports GiB with a fraction, and a fraction of a byte (23983097380.864) is no size.
    private static double? Bytes(double? gib) => gib is { } value ? Math.Round(value * (1L << 30)) : null;

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
