using System.Buffers;
using System.Text;
using System.Text.Json;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Farm;
using Furrow.Storage;

namespace Furrow.Engine.Events;

/// <summary>
/// What a committed change names, as events: the jobs whose rows changed, the tasks of each job, the task logs that grew,
/// the blades, and the dispatch switch. Read from the change's own writes, so every change the database takes is
/// described the same way, whoever made it.
/// </summary>
internal static class ChangeEvents
{
    /// <summary>The events of one committed change, in the order jobs, tasks (one per job), log, blades, engine.</summary>
    public static List<PendingEvent> Describe(IReadOnlyList<StoreWrite> writes, IReadOnlyList<LogAppend> logs)
    {
        var jobs = new SortedSet<long>();
        var tasks = new SortedDictionary<long, SortedSet<int>>();
        var blades = new SortedSet<string>(StringComparer.Ordinal);
        bool? dispatchPaused = null;

        void Task(long jid, int tid)
        {
            if (!tasks.TryGetValue(jid, out var tids))
                tasks[jid] = tids = [];
            tids.Add(tid);
        }

        foreach (var write in writes)
        {
            switch (write)
            {
                case InsertJob insert:
                    jobs.Add(insert.Job.Jid);
                    foreach (var task in insert.Compiled.Tasks)
                        Task(insert.Job.Jid, task.Tid);
                    break;
                case InsertTasks added:
                    jobs.Add(added.Jid);
                    foreach (var task in added.Tasks)
                        Task(added.Jid, task.Tid);
                    break;
                // A task's state moves its job's counts too.
                case SetTaskState state:
                    jobs.Add(state.Jid);
                    Task(state.Jid, state.Tid);
                    break;
                case SetTaskProgress progress:
                    Task(progress.Jid, progress.Tid);
                    break;
                case InsertInvocation invocation:
                    Task(invocation.Jid, invocation.Tid);
                    blades.Add(invocation.Blade);
                    break;
                case SetAttribute attribute when attribute.Tid > 0:
                    Task(attribute.Jid, attribute.Tid);
                    break;
                case SetAttribute attribute:
                    jobs.Add(attribute.Jid);
                    break;
                case SetJobTimes or SetJobPaused or SetJobDeleted or SetJobUndeleted or PurgeJob or SetJobPriority or SetJobAfterTime or SetJobLock:
                    jobs.Add(JidOf(write));
                    break;
                case UpsertBlade blade:
                    blades.Add(blade.Blade.Name);
                    break;
                case SetBladeNimby nimby:
                    blades.Add(nimby.Name);
                    break;
                case SetParam { Name: DispatchSwitch.ParamName } param:
                    dispatchPaused = param.Value == "1";
                    break;
            }
        }

        var events = new List<PendingEvent>();
        if (jobs.Count > 0)
            events.Add(new PendingEvent(FarmEvent.Jobs, Json(w => Longs(w, "jids", jobs)), [.. jobs]));
        foreach (var (jid, tids) in tasks)
        {
            events.Add(new PendingEvent(FarmEvent.Tasks, Json(w =>
            {
                w.WriteNumber("jid", jid);
                w.WriteStartArray("tids");
                foreach (var tid in tids)
                    w.WriteNumberValue(tid);
                w.WriteEndArray();
            }), [jid]));
        }
        foreach (var (jid, tid) in logs.Select(l => (l.Jid, l.Tid)).Distinct())
            events.Add(new PendingEvent(FarmEvent.Log, Json(w =>
            {
                w.WriteNumber("jid", jid);
                w.WriteNumber("tid", tid);
            }), [jid]));
        if (blades.Count > 0)
            events.Add(BladesEvent(blades));
        if (dispatchPaused is { } paused)
            events.Add(EngineEvent(paused, configReloaded: false));
        return events;
    }

    /// <summary>A blades event naming <paramref name="names"/>.</summary>
    public static PendingEvent BladesEvent(IEnumerable<string> names) => new(FarmEvent.Blades, Json(w =>
    {
        w.WriteStartArray("names");
        foreach (var name in names)
            w.WriteStringValue(name);
        w.WriteEndArray();
    }), []);

    /// <summary>An engine event: the dispatch switch as it now is, and whether the site's config was just read again.</summary>
    public static PendingEvent EngineEvent(bool dispatchPaused, bool configReloaded) => new(FarmEvent.Engine, Json(w =>
    {
        w.WriteBoolean("dispatchPaused", dispatchPaused);
        if (configReloaded)
            w.WriteBoolean("configReloaded", true);
    }), []);

    /// <summary>A jobs event's data naming <paramref name="jids"/> (a subset of another's, for a caller who may see only those).</summary>
    public static string JobsData(IEnumerable<long> jids) => Json(w => Longs(w, "jids", jids));

    private static long JidOf(StoreWrite write) => write switch
    {
        SetJobTimes w => w.Jid,
        SetJobPaused w => w.Jid,
        SetJobDeleted w => w.Jid,
        SetJobUndeleted w => w.Jid,
        PurgeJob w => w.Jid,
        SetJobPriority w => w.Jid,
        SetJobAfterTime w => w.Jid,
        SetJobLock w => w.Jid,
        _ => throw new ArgumentOutOfRangeException(nameof(write)),
    };

    private static void Longs(Utf8JsonWriter w, string name, IEnumerable<long> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
            w.WriteNumberValue(value);
        w.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
