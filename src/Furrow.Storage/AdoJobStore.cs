using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using Furrow.Core.Jobs;
using Furrow.Storage.Migrations;
using Furrow.Storage.Queries;
using Furrow.Core.Query;
using Furrow.Storage.Writing;

namespace Furrow.Storage;

/// <summary>
/// The store logic both providers share over ADO.NET: reads on short-lived connections, writes through one
/// <see cref="BatchedWriter"/> on one long-lived connection with its commands prepared once.
/// </summary>
internal abstract class AdoJobStore : IJobStore
{
    private readonly BatchedWriter _writer;
    private readonly Dictionary<string, DbCommand> _preparedWrites = new(StringComparer.Ordinal); // writer loop only
    private DbConnection? _writeConnection; // writer loop only

    protected AdoJobStore()
    {
        _writer = new BatchedWriter(ApplyInTransactionAsync);
    }

    public abstract string Description { get; }

    protected abstract SqlDialect Dialect { get; }

    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A connection of its own for whole-database work (moves between providers).</summary>
    internal Task<DbConnection> OpenRawAsync(CancellationToken cancellationToken) => OpenConnectionAsync(cancellationToken);

    /// <summary>Turns a provider exception into the operator's terms (disk full, database locked ...).</summary>
    protected abstract StoreUnavailableException Explain(Exception error);

    public async ValueTask<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await new MigrationRunner(connection, Dialect).MigrateToAsync(MigrationCatalog.LatestVersion, cancellationToken)
            .ConfigureAwait(false);
    }

    public async ValueTask<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await new MigrationRunner(connection, Dialect).CurrentVersionAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask EnsureNotNewerAsync(CancellationToken cancellationToken)
    {
        var version = await SchemaVersionAsync(cancellationToken).ConfigureAwait(false);
        if (version > MigrationCatalog.LatestVersion)
            throw MigrationRunner.TooNew(version);
    }

    public async ValueTask<int> MigrateToAsync(int version, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await new MigrationRunner(connection, Dialect).MigrateToAsync(version, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> MaxJidAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(jid), 0) FROM jobs", cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    public abstract ValueTask SnapshotToAsync(string path, CancellationToken cancellationToken);

    public ValueTask CommitAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken) =>
        new(_writer.CommitAsync(writes, cancellationToken));

    public long WriteVersion => _writer.Version;

    private async Task ApplyInTransactionAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken)
    {
        var statements = new List<StoreStatement>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            // A job's tasks often change state together (a spool readies all of its free tasks at once, an operation
            // retries or skips many): a run of such changes is one statement, not one per task.
            if (writes[i] is SetTaskState { RetryCount: null } first && TaskStateRun(writes, i) is var end && end - i > 1)
            {
                var tids = new int[end - i];
                for (var j = i; j < end; j++)
                    tids[j - i] = ((SetTaskState)writes[j]).Tid;
                statements.Add(SetTaskStates(first.Jid, first.State.ToName(), first.TimeMs, tids));
                i = end - 1;
                continue;
            }
            Describe(writes[i], statements);
        }
        try
        {
            _writeConnection ??= await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await _writeConnection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(_writeConnection, transaction, statements, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not StoreUnavailableException)
        {
            await ResetWriteConnectionAsync().ConfigureAwait(false);
            throw Explain(error);
        }
    }

    /// <summary>What a write becomes: SQL statements, and bulk inserts of a job's task and command rows.</summary>
    protected abstract record StoreStatement;

    /// <summary>One SQL statement of a write, with its parameter values.</summary>
    protected sealed record WriteStatement(string Sql, (string Name, object? Value)[] Parameters) : StoreStatement;

    /// <summary>
    /// A job's new tasks and their commands, inserted blocked since <paramref name="TimeMs"/>, but the tasks in
    /// <paramref name="ReadyTids"/>, inserted ready (see <see cref="TaskRows"/>).
    /// </summary>
    protected sealed record TaskRowsStatement(long Jid, IReadOnlyList<CompiledTask> Tasks, long TimeMs, IReadOnlySet<int>? ReadyTids = null) : StoreStatement;

    /// <summary>
    /// Runs a batch's statements inside its transaction, in order. The default runs each SQL statement through a command
    /// prepared once per SQL text (cheap in-process for SQLite) and hands task rows to <see cref="InsertTaskRowsAsync"/>;
    /// a networked provider sends its statements in as few round trips as it can instead.
    /// </summary>
    protected virtual async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, List<StoreStatement> statements,
        CancellationToken cancellationToken)
    {
        foreach (var each in statements)
        {
            if (each is TaskRowsStatement rows)
            {
                await InsertTaskRowsAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var statement = (WriteStatement)each;
            if (!_preparedWrites.TryGetValue(statement.Sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = statement.Sql;
                foreach (var (name, _) in statement.Parameters)
                {
                    var p = command.CreateParameter();
                    p.ParameterName = "@" + name;
                    command.Parameters.Add(p);
                }
                _preparedWrites[statement.Sql] = command;
            }
            command.Transaction = transaction;
            for (var i = 0; i < statement.Parameters.Length; i++)
                command.Parameters[i].Value = statement.Parameters[i].Value ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            // A prepared command holds its last values until it runs again, and SQLite its own copy of them: one that
            // carried a large text (a job's script or comment, up to ScriptMaxBytes) is not kept, or a 50 MB spool's
            // script stayed in memory three times over until the next spool.
            if (statement.Parameters.Any(p => p.Value is string { Length: > LargeValueChars }))
            {
                _preparedWrites.Remove(statement.Sql);
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // Texts up to this many characters may stay bound to a prepared command: job titles, commands, small scripts.
    private const int LargeValueChars = 64 * 1024;

    /// <summary>Inserts a job's new task and command rows inside <paramref name="transaction"/>, tasks first.</summary>
    protected abstract Task InsertTaskRowsAsync(DbConnection connection, DbTransaction transaction, TaskRowsStatement rows,
        CancellationToken cancellationToken);

    // Where the run of state changes that starts at `start` ends: the same job, state and time, and no retry count.
    private static int TaskStateRun(IReadOnlyList<StoreWrite> writes, int start)
    {
        var first = (SetTaskState)writes[start];
        var end = start + 1;
        while (end < writes.Count && writes[end] is SetTaskState { RetryCount: null } next
            && next.Jid == first.Jid && next.State == first.State && next.TimeMs == first.TimeMs)
            end++;
        return end;
    }

    /// <summary>One statement that sets many tasks of a job to one state at one time.</summary>
    protected abstract WriteStatement SetTaskStates(long jid, string state, long timeMs, int[] tids);

    private async Task ResetWriteConnectionAsync()
    {
        foreach (var command in _preparedWrites.Values)
            await command.DisposeAsync().ConfigureAwait(false);
        _preparedWrites.Clear();
        if (_writeConnection is not null)
            await _writeConnection.DisposeAsync().ConfigureAwait(false);
        _writeConnection = null;
    }

    // The column value of an attribute edit: lists as the JSON text the insert writes, switches as 0/1, no cap as NULL.
    private static object? AttributeValue(Furrow.Core.Jobs.AttributeEdit edit) => edit.Key switch
    {
        "paused" => edit.Flag == true ? 1 : 0,
        "aftertime" or "maxactive" => edit.Number is > 0 and var n ? (long)n : null,
        "priority" => edit.Number,
        "minslots" or "maxslots" => (long?)edit.Number,
        "afterjids" => JsonColumns.Write(edit.Ids!.ToList(), StorageJsonContext.Default.ListInt64),
        "retryrcodes" => JsonColumns.Write(edit.Ids!.Select(i => (int)i).ToList(), StorageJsonContext.Default.ListInt32),
        "projects" or "tags" or "envkey" or "crews" => JsonColumns.Write(edit.Words!.ToList(), StorageJsonContext.Default.ListString),
        _ => edit.Text,
    };

    private static void Describe(StoreWrite write, List<StoreStatement> into)
    {
        void Add(string sql, params (string Name, object? Value)[] parameters) => into.Add(new WriteStatement(sql, parameters));
        switch (write)
        {
            case InsertJob w:
                DescribeInsertJob(w, into);
                break;
            case SetTaskState { RetryCount: { } retries } w:
                Add(StoreSql.SetTaskStateAndRetries, ("state", w.State.ToName()), ("time", w.TimeMs), ("retries", retries), ("jid", w.Jid), ("tid", w.Tid));
                break;
            case SetTaskState w:
                Add(StoreSql.SetTaskState, ("state", w.State.ToName()), ("time", w.TimeMs), ("jid", w.Jid), ("tid", w.Tid));
                break;
            case SetTaskProgress w:
                Add(StoreSql.SetTaskProgress, ("progress", w.Progress), ("jid", w.Jid), ("tid", w.Tid));
                break;
            case SetCommandState { OnlyFrom: { } from } w:
                Add(StoreSql.SetCommandStateFrom, ("state", w.State.ToName()), ("jid", w.Jid), ("cid", w.Cid), ("from", from.ToName()));
                break;
            case SetCommandState w:
                Add(StoreSql.SetCommandState, ("state", w.State.ToName()), ("jid", w.Jid), ("cid", w.Cid));
                break;
            case InsertInvocation w:
                Add(StoreSql.InsertInvocation, ("iid", w.Iid), ("jid", w.Jid), ("tid", w.Tid), ("cid", w.Cid), ("blade", w.Blade), ("time", w.DispatchTimeMs),
                    ("argv", w.Argv is null ? null : JsonColumns.Write(w.Argv, StorageJsonContext.Default.ListString)));
                break;
            case MarkInvocationStarted w:
                Add(StoreSql.MarkInvocationStarted, ("pid", w.Pid), ("time", w.StartTimeMs), ("logstart", w.LogStart), ("iid", w.Iid));
                break;
            case FinishInvocation w:
                Add(StoreSql.FinishInvocation, ("time", w.StopTimeMs), ("rcode", w.ExitCode), ("status", w.Status.ToName()),
                    ("real", w.Usage?.ElapsedRealSecs), ("app", w.Usage?.UserSecs), ("sys", w.Usage?.SystemSecs), ("rss", w.Usage?.PeakRssBytes),
                    ("vsz", w.Usage?.PeakVszBytes), ("skew", w.Usage?.ClockSkewMs), ("iid", w.Iid));
                break;
            case SetJobTimes w:
                Add(StoreSql.SetJobTimes, ("start", w.StartTimeMs), ("stop", w.StopTimeMs), ("jid", w.Jid));
                break;
            case SetJobPaused w:
                Add(StoreSql.SetJobPaused, ("paused", w.Paused ? 1 : 0), ("jid", w.Jid));
                break;
            case SetJobDeleted w:
                Add(StoreSql.SetJobDeleted, ("time", w.DeleteTimeMs), ("jid", w.Jid));
                break;
            case SetJobUndeleted w:
                Add(StoreSql.SetJobUndeleted, ("jid", w.Jid));
                break;
            case PurgeJob w:
                foreach (var statement in StoreSql.PurgeJob)
                    Add(statement, ("jid", w.Jid));
                break;
            case SetJobPriority w:
                Add(StoreSql.SetJobPriority, ("priority", w.Priority), ("jid", w.Jid));
                break;
            case SetJobAfterTime w:
                Add(StoreSql.SetJobAfterTime, ("aftertime", w.AfterTimeMs), ("jid", w.Jid));
                break;
            case SetJobLock w:
                Add(StoreSql.SetAttribute[('j', "lockedby")], ("value", w.LockedBy), ("jid", w.Jid));
                break;
            case SetAttribute w:
                var target = w.Cid > 0 ? 'c' : w.Tid > 0 ? 't' : 'j';
                if (!StoreSql.SetAttribute.TryGetValue((target, w.Edit.Key), out var sql))
                    throw new ArgumentException($"no column for {w.Edit.Key}", nameof(write));
                if (target == 'j')
                    Add(sql, ("value", AttributeValue(w.Edit)), ("jid", w.Jid));
                else
                    Add(sql, ("value", AttributeValue(w.Edit)), ("jid", w.Jid), (target == 'c' ? "cid" : "tid", target == 'c' ? w.Cid : w.Tid));
                break;
            case UpsertBlade w:
                Add(StoreSql.UpsertBlade, ("name", w.Blade.Name), ("host", w.Blade.Host), ("slots", w.Blade.Slots), ("version", w.Blade.Version),
                    ("bootid", w.Blade.BootId), ("registered", w.Blade.RegisteredMs), ("contact", w.Blade.LastContactMs), ("status", w.Blade.Status),
                    ("profile", w.Blade.Profile), ("nimby", w.Blade.Nimby ? 1 : 0));
                break;
            case SetBlocklist w:
                Add(StoreSql.SetBlocklist, ("jid", w.Jid), ("blade", w.Blade), ("failures", w.Failures));
                break;
            case ClearBlocklist w:
                Add(StoreSql.ClearBlocklist, ("jid", w.Jid), ("blade", w.Blade));
                break;
            case InsertTasks w:
                into.Add(new TaskRowsStatement(w.Jid, w.Tasks, w.TimeMs));
                Add(StoreSql.AddBlockedTasks, ("count", w.Tasks.Count), ("jid", w.Jid));
                break;
            case SetBladeNimby w:
                Add(StoreSql.SetBladeNimby, ("nimby", w.Nimby ? 1 : 0), ("name", w.Name));
                break;
            case SetParam w:
                Add(StoreSql.UpsertParam, ("name", w.Name), ("value", w.Value));
                break;
            case InsertSession w:
                Add(StoreSql.InsertSession, ("hash", w.TokenHash), ("login", w.Login), ("stamp", w.Stamp), ("created", w.CreatedMs), ("expires", w.ExpiresMs));
                break;
            case DeleteSession w:
                Add(StoreSql.DeleteSession, ("hash", w.TokenHash));
                break;
            case DeleteSessions { Login: { } login }:
                Add(StoreSql.DeleteSessionsOf, ("login", login));
                break;
            case DeleteSessions { ExpiredBeforeMs: { } before }:
                Add(StoreSql.DeleteExpiredSessions, ("before", before));
                break;
            case SetBladeKey w:
                Add(StoreSql.SetBladeKey, ("name", w.Name), ("hash", w.KeySha256), ("enrolled", w.EnrolledMs));
                break;
            case DeleteBladeKey w:
                Add(StoreSql.DeleteBladeKey, ("name", w.Name));
                break;
            default:
                throw new NotSupportedException($"no store operation for {write.GetType().Name}");
        }
    }

    private static void DescribeInsertJob(InsertJob w, List<StoreStatement> into)
    {
        var job = w.Job;
        into.Add(new WriteStatement(StoreSql.InsertJob,
        [
            ("jid", job.Jid), ("owner", job.Owner), ("title", job.Title), ("priority", job.Priority),
            ("spooltime", job.SpoolTimeMs), ("spoolhost", job.SpoolHost), ("spoolfile", job.SpoolFile),
            ("spoolcwd", job.SpoolCwd), ("paused", job.Paused ? 1 : 0), ("rootserial", w.Compiled.Spec.SerialSubtasks ? 1 : 0),
            ("comment", job.Comment),
            ("aftertime", job.AfterTimeMs), ("maxactive", job.MaxActive),
            ("afterjids", JsonColumns.Write(job.AfterJids, StorageJsonContext.Default.ListInt64)),
            ("tier", job.Tier), ("projects", JsonColumns.Write(job.Projects, StorageJsonContext.Default.ListString)),
            ("service", job.Service), ("tags", JsonColumns.Write(job.Tags, StorageJsonContext.Default.ListString)),
            ("atleast", job.AtLeast), ("atmost", job.AtMost), ("envkey", JsonColumns.Write(job.EnvKey, StorageJsonContext.Default.ListString)),
            ("dirmap", JsonColumns.Write(job.DirMaps, StorageJsonContext.Default.ListDirMap)),
            // Every task is written ready (ReadyTids) or blocked: the counts as the rows will hold them.
            ("crews", JsonColumns.Write(job.Crews, StorageJsonContext.Default.ListString)), ("editpolicy", job.EditPolicy),
            ("metadata", w.Compiled.Spec.Metadata),
            ("numtasks", w.Compiled.Tasks.Count), ("numblocked", w.Compiled.Tasks.Count - w.ReadyTids.Count), ("numready", w.ReadyTids.Count),
        ]));
        into.Add(new WriteStatement(StoreSql.InsertJobScript, [("jid", job.Jid), ("format", w.Script.Format), ("script", w.Script.Text)]));
        into.Add(new TaskRowsStatement(job.Jid, w.Compiled.Tasks, job.SpoolTimeMs, w.ReadyTids));
        into.Add(new WriteStatement(StoreSql.SetJobCounter, [("value", job.Jid.ToString(System.Globalization.CultureInfo.InvariantCulture))]));
    }

    // ---- reads ----

    public async ValueTask<LiveState> LoadLiveStateAsync(Action<UnfinishedJob> jobRead, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One transaction, one snapshot: the small tables first, then the jobs' rows as a stream.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var counter = long.Parse(await ScalarAsync(connection, transaction, StoreSql.GetParam, cancellationToken, ("name", "jidcounter"))
            .ConfigureAwait(false) as string ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var maxIid = Convert.ToInt64(await ScalarAsync(connection, transaction, StoreSql.MaxIid, cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
        var invocations = await QueryAsync(connection, transaction, StoreSql.CurrentInvocations,
            r => ReadInvocation(r) with
            {
                Argv = r.IsDBNull(StoreSql.InvocationColumnCount) ? null
                    : JsonColumns.Read(r.GetString(StoreSql.InvocationColumnCount), StorageJsonContext.Default.ListString),
            },
            cancellationToken).ConfigureAwait(false);
        var blades = await QueryAsync(connection, transaction, StoreSql.ListBlades, ReadBlade, cancellationToken).ConfigureAwait(false);
        var blocklist = await QueryAsync(connection, transaction, StoreSql.LiveBlocklist,
            r => new BlocklistEntry(Long(r, 0), r.GetString(1), Int(r, 2)), cancellationToken).ConfigureAwait(false);
        var jobs = await QueryAsync(connection, transaction, StoreSql.LiveJobs,
            r => (Job: ReadJob(r), RootSerial: Long(r, StoreSql.JobColumnCount) != 0),
            cancellationToken).ConfigureAwait(false);

        // Tasks and commands come ordered by jid; each job is handed on once both have passed it, so the caller builds
        // one job while the next is read. SQLite steps both queries side by side on the one connection; PostgreSQL runs
        // one query at a time per connection, so there the tasks are read whole first.
        ILookup<long, TaskRecord>? allTasks = null;
        if (Dialect != SqlDialect.Sqlite)
            allTasks = (await QueryAsync(connection, transaction, StoreSql.LiveTasks, ReadTask, cancellationToken).ConfigureAwait(false))
                .ToLookup(t => t.Jid);
        await using var taskQuery = allTasks is null ? CreateCommand(connection, transaction, StoreSql.LiveTasks, []) : null;
        await using var taskReader = taskQuery is null ? null : await taskQuery.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var commandQuery = CreateCommand(connection, transaction, StoreSql.LiveCommands, []);
        await using var commandReader = await commandQuery.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var tasks = taskReader is null ? null : new RowsByJob<TaskRecord>(taskReader, ReadTask);
        var commands = new RowsByJob<CommandRecord>(commandReader, ReadCommandToSchedule);
        foreach (var (job, rootSerial) in jobs)
        {
            IReadOnlyList<TaskRecord> taskRows = tasks is null ? [.. allTasks![job.Jid]]
                : await tasks.TakeAsync(job.Jid, cancellationToken).ConfigureAwait(false);
            var commandRows = await commands.TakeAsync(job.Jid, cancellationToken).ConfigureAwait(false);
            jobRead(new UnfinishedJob(job, rootSerial, taskRows, commandRows));
        }
        return new LiveState(counter, maxIid, invocations, blades) { Blocklist = blocklist };
    }

    public async ValueTask<UnfinishedJob?> LoadUnfinishedJobAsync(long jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var jobs = await QueryAsync(connection, transaction, StoreSql.UnfinishedJob,
            r => (Job: ReadJob(r), RootSerial: Long(r, StoreSql.JobColumnCount) != 0), cancellationToken, ("jid", jid)).ConfigureAwait(false);
        if (jobs.Count == 0)
            return null;
        var tasks = await QueryAsync(connection, transaction, StoreSql.ListTasks, ReadTask, cancellationToken, ("jid", jid)).ConfigureAwait(false);
        var commands = await QueryAsync(connection, transaction, StoreSql.UnfinishedJobCommands, ReadCommandToSchedule, cancellationToken, ("jid", jid))
            .ConfigureAwait(false);
        var blocklist = await QueryAsync(connection, transaction, StoreSql.JobBlocklist,
            r => new BlocklistEntry(Long(r, 0), r.GetString(1), Int(r, 2)), cancellationToken, ("jid", jid)).ConfigureAwait(false);
        return new UnfinishedJob(jobs[0].Job, jobs[0].RootSerial, tasks, commands) { Blocklist = blocklist };
    }

    /// <summary>
    /// Walks a query's rows, ordered by jid (the first column), one job at a time; rows of a jid not asked for (a job
    /// the other query does not have) are passed over.
    /// </summary>
    private sealed class RowsByJob<T>(DbDataReader reader, Func<DbDataReader, T> read)
    {
        private bool _onRow;
        private bool _done;

        public async ValueTask<List<T>> TakeAsync(long jid, CancellationToken cancellationToken)
        {
            var rows = new List<T>();
            while (!_done)
            {
                if (!_onRow && !(_onRow = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)))
                {
                    _done = true;
                    break;
                }
                var at = Long(reader, 0);
                if (at > jid)
                    break;
                if (at == jid)
                    rows.Add(read(reader));
                _onRow = false;
            }
            return rows;
        }
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ListJobsAsync(bool includeDeleted, CancellationToken cancellationToken)
    {
        const int C = StoreSql.JobColumnCount;
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.ListJobs, r => ReadJob(r) with
        {
            Counts = new TaskCounts(Int(r, C), Int(r, C + 1), Int(r, C + 2), Int(r, C + 3), Int(r, C + 4), Int(r, C + 5)),
        }, cancellationToken, ("deleted", includeDeleted ? 1 : 0)).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<JobRecord>> QueryJobsAsync(ListQuery query, CancellationToken cancellationToken)
    {
        const int C = StoreSql.JobColumnCount;
        return ListAsync(query, ListingSql.Jobs(Dialect, query), r => ReadJob(r) with
        {
            Counts = new TaskCounts(Int(r, C), Int(r, C + 1), Int(r, C + 2), Int(r, C + 3), Int(r, C + 4), Int(r, C + 5)),
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<(TaskRecord Task, string Owner)>> QueryTasksAsync(ListQuery query, CancellationToken cancellationToken) =>
        ListAsync(query, ListingSql.Tasks(Dialect, query), r => (ReadTask(r), r.GetString(TaskColumnCount)), cancellationToken);

    public ValueTask<IReadOnlyList<(CommandRecord Command, string Owner)>> QueryCommandsAsync(ListQuery query, CancellationToken cancellationToken) =>
        ListAsync(query, ListingSql.Commands(Dialect, query), r => (ReadCommand(r), r.GetString(CommandColumnCount)), cancellationToken);

    public ValueTask<IReadOnlyList<(InvocationRecord Invocation, string Owner)>> QueryInvocationsAsync(ListQuery query,
        CancellationToken cancellationToken) =>
        ListAsync(query, ListingSql.Invocations(Dialect, query), r => (ReadInvocation(r), r.GetString(StoreSql.InvocationColumnCount)),
            cancellationToken);

    public async ValueTask<IReadOnlyList<QueryValue[]>> QueryColumnsAsync(QueryTable table, IReadOnlyList<(string Key, QueryColumn Column)> columns,
        ListQuery query, CancellationToken cancellationToken)
    {
        var rows = new List<QueryValue[]>();
        await ReadColumnsAsync(table, columns, query, row => rows.Add(row.ToArray()), cancellationToken).ConfigureAwait(false);
        return rows;
    }

    public ValueTask ReadColumnsAsync(QueryTable table, IReadOnlyList<(string Key, QueryColumn Column)> columns, ListQuery query,
        Action<ReadOnlySpan<QueryValue>> row, CancellationToken cancellationToken)
    {
        var statement = ListingSql.Columns(Dialect, table, columns.Select(c => c.Key).ToList(), query);
        // One array for every row: the caller takes each row's values before the next is read.
        var values = new QueryValue[columns.Count];
        return ReadAsync(query, statement, r =>
        {
            for (var i = 0; i < values.Length; i++)
                values[i] = r.IsDBNull(i) ? QueryValue.Null : ReadValue(r, i, columns[i].Column.Type);
            row(values);
        }, cancellationToken);
    }

    private static QueryValue ReadValue(DbDataReader r, int i, QueryColumnType type) => type switch
    {
        QueryColumnType.Int => QueryValue.From(Long(r, i)),
        QueryColumnType.Bool => QueryValue.From(Long(r, i) != 0),
        QueryColumnType.Float => QueryValue.From(Double(r, i)),
        QueryColumnType.Time => QueryValue.From(DateTimeOffset.FromUnixTimeMilliseconds(Long(r, i))),
        QueryColumnType.StringList => QueryValue.From(JsonColumns.Read(r.GetString(i), StorageJsonContext.Default.ListString)),
        QueryColumnType.IntList => QueryValue.From(JsonColumns.Read(r.GetString(i), StorageJsonContext.Default.ListInt64)),
        _ => QueryValue.From(r.GetString(i)),
    };

    private const int TaskColumnCount = 12;
    private const int CommandColumnCount = 17;

    // A listing on a connection of its own, bounded in time: past the query's timeout the provider's cancellation (and, on
    // SQLite, the like function) stops it, and the caller gets QueryTimeoutException rather than a provider error.
    private async ValueTask<IReadOnlyList<T>> ListAsync<T>(ListQuery query, (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) statement,
        Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await ReadAsync(query, statement, r => rows.Add(read(r)), cancellationToken).ConfigureAwait(false);
        return rows;
    }

    // As ListAsync, handing each row to the caller as it is read instead of keeping them all.
    private async ValueTask ReadAsync(ListQuery query, (string Sql, IReadOnlyList<(string Name, object? Value)> Parameters) statement,
        Action<DbDataReader> row, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + query.Timeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(query.Timeout);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var failure = PrepareQueryConnection(connection, statement.Sql, deadline, query.Timeout);
        try
        {
            await using var command = CreateCommand(connection, null, statement.Sql, [.. statement.Parameters]);
            await using var reader = await command.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
            while (await reader.ReadAsync(timeout.Token).ConfigureAwait(false))
                row(reader);
        }
        // A failure the connection's own functions met (SQLite's like past its match timeout): theirs, not the provider's wrapping of it.
        catch (Exception) when (!cancellationToken.IsCancellationRequested && failure?.Invoke() is { } own)
        {
            throw own;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && (timeout.IsCancellationRequested || DateTime.UtcNow > deadline))
        {
            throw new QueryTimeoutException(query.Timeout);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && RejectedQuery(error) is { } rejected)
        {
            throw new QueryRejectedException(rejected, error);
        }
    }

    /// <summary>
    /// Readies a connection for a listing (SQLite registers its like function with the query's deadline). Returns, if
    /// anything, what tells a failed statement's cause the connection's functions met (the exception to throw), since a
    /// provider hands an exception thrown inside a function back as its own error with the message only.
    /// </summary>
    protected virtual Func<Exception?>? PrepareQueryConnection(DbConnection connection, string sql, DateTime deadline, TimeSpan timeout) => null;

    /// <summary>The database's complaint about a clause it cannot run (e.g. a regular expression it refuses), or null for other errors.</summary>
    protected virtual string? RejectedQuery(Exception error) => null;

    public async ValueTask<IReadOnlyList<TaskRecord>> ListTasksAsync(long? jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.ListTasks, ReadTask, cancellationToken, ("jid", jid)).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<CommandRecord>> ListCommandsAsync(long? jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.ListCommands, ReadCommand, cancellationToken, ("jid", jid)).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<InvocationRecord>> ListInvocationsAsync(long? jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.ListInvocations, ReadInvocation, cancellationToken, ("jid", jid))
            .ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<BladeRecord>> ListBladesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.ListBlades, ReadBlade, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<JobSummary> SummarizeJobsAsync(Furrow.Core.Access.JobScope? scope, CancellationToken cancellationToken)
    {
        JobSummary? summary = null;
        await ReadAsync(new ListQuery(), ListingSql.JobSummary(Dialect, scope), r => summary = new JobSummary(Long(r, 0), Long(r, 1), Long(r, 2),
            Long(r, 3), Long(r, 4), Long(r, 5), new TaskStateTotals(Long(r, 6), Long(r, 7), Long(r, 8), Long(r, 9), Long(r, 10), Long(r, 11))),
            cancellationToken).ConfigureAwait(false);
        return summary ?? new JobSummary(0, 0, 0, 0, 0, 0, new TaskStateTotals(0, 0, 0, 0, 0, 0));
    }

    public async ValueTask<IReadOnlyList<long>> DispatchTimesAsync(long sinceMs, long beforeMs, CancellationToken cancellationToken)
    {
        // Ids are handed out in dispatch order, so the newest rows come first by the key's index and reading stops a
        // while past the first one older than wanted (the slack covers clocks that stepped back a little).
        var times = new List<long>();
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, null, "SELECT dispatchtime FROM invocations ORDER BY iid DESC", []);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var stopBelow = sinceMs - 600_000;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var time = Long(reader, 0);
            if (time < stopBelow)
                break;
            if (time >= sinceMs && time < beforeMs)
                times.Add(time);
        }
        return times;
    }

    public async ValueTask<bool> JobExistsAsync(long jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(connection, null, StoreSql.JobExists, cancellationToken, ("jid", jid)).ConfigureAwait(false) is not null;
    }

    public async ValueTask<JobScript?> GetJobScriptAsync(long jid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(connection, null, StoreSql.GetJobScript, r => new JobScript(r.GetString(0), r.GetString(1)), cancellationToken,
            ("jid", jid)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async ValueTask<(string Login, string Stamp, long ExpiresMs)?> FindSessionAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(connection, null, StoreSql.FindSession, r => (r.GetString(0), r.GetString(1), Long(r, 2)), cancellationToken,
            ("hash", tokenHash)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async ValueTask<string?> GetParamAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(connection, null, StoreSql.GetParam, cancellationToken, ("name", name)).ConfigureAwait(false) as string;
    }

    public async ValueTask<IReadOnlyList<(long Jid, string Owner)>> ListPurgeableJobsAsync(long deletedBeforeMs, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, StoreSql.PurgeableJobs, r => (Long(r, 0), r.GetString(1)), cancellationToken,
            ("before", deletedBeforeMs), ("limit", (long)limit)).ConfigureAwait(false);
    }

    public async ValueTask<string?> GetBladeKeyHashAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(connection, null, StoreSql.GetBladeKey, cancellationToken, ("name", name)).ConfigureAwait(false) as string;
    }

    public async ValueTask<IReadOnlyList<(string Name, string Value)>> ListParamsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, "SELECT name, value FROM params ORDER BY name", r => (r.GetString(0), r.GetString(1)), cancellationToken)
            .ConfigureAwait(false);
    }

    private static JobRecord ReadJob(DbDataReader r) => new(
        Long(r, 0), r.GetString(1), r.GetString(2), r.GetDouble(3), Long(r, 4), NullableString(r, 5), NullableString(r, 6),
        NullableString(r, 7), Long(r, 8) != 0, Long(r, 9) != 0, NullableLong(r, 10), NullableLong(r, 11), NullableString(r, 12))
    {
        AfterTimeMs = NullableLong(r, 13),
        MaxActive = r.IsDBNull(14) ? null : Int(r, 14),
        AfterJids = JsonColumns.Read(r.GetString(15), StorageJsonContext.Default.ListInt64),
        Tier = NullableString(r, 16),
        Projects = JsonColumns.Read(r.GetString(17), StorageJsonContext.Default.ListString),
        Service = NullableString(r, 18),
        Tags = JsonColumns.Read(r.GetString(19), StorageJsonContext.Default.ListString),
        AtLeast = r.IsDBNull(20) ? null : Int(r, 20),
        AtMost = r.IsDBNull(21) ? null : Int(r, 21),
        EnvKey = JsonColumns.Read(r.GetString(22), StorageJsonContext.Default.ListString),
        DirMaps = JsonColumns.Read(r.GetString(23), StorageJsonContext.Default.ListDirMap),
        LockedBy = NullableString(r, 24),
        Crews = JsonColumns.Read(r.GetString(25), StorageJsonContext.Default.ListString),
        EditPolicy = NullableString(r, 26),
    };

    private static TaskRecord ReadTask(DbDataReader r) => new(
        Long(r, 0), Int(r, 1), Int(r, 2), r.GetString(3), NullableString(r, 4), NullableString(r, 5), Long(r, 6) != 0,
        JsonColumns.Read(r.GetString(7), StorageJsonContext.Default.ListInt32), TaskStateNames.Parse(r.GetString(8)), Long(r, 9), Int(r, 10))
    {
        Progress = r.IsDBNull(11) ? null : Int(r, 11),
    };

    private static CommandRecord ReadCommand(DbDataReader r) => new(
        Long(r, 0), Int(r, 1), Int(r, 2), JsonColumns.Read(r.GetString(3), StorageJsonContext.Default.ListString),
        r.GetString(4), r.GetString(5), NullableString(r, 6), Long(r, 7) != 0,
        JsonColumns.Read(r.GetString(8), StorageJsonContext.Default.ListInt32), CommandStateNames.Parse(r.GetString(9)))
    {
        Tags = JsonColumns.Read(r.GetString(10), StorageJsonContext.Default.ListString),
        AtLeast = r.IsDBNull(11) ? null : Int(r, 11),
        AtMost = r.IsDBNull(12) ? null : Int(r, 12),
        EnvKey = JsonColumns.Read(r.GetString(13), StorageJsonContext.Default.ListString),
        SameHost = Long(r, 14) != 0,
        Id = NullableString(r, 15),
        RefersTo = NullableString(r, 16),
    };

    // A command of StoreSql.LiveCommands or UnfinishedJobCommands: its columns, then its previous run's cid and blade, then
    // its own latest run's blade.
    private static CommandRecord ReadCommandToSchedule(DbDataReader r) => ReadCommand(r) with
    {
        PreviousRun = r.IsDBNull(CommandColumnCount) ? null : (Int(r, CommandColumnCount), r.GetString(CommandColumnCount + 1)),
        LatestRunBlade = NullableString(r, CommandColumnCount + 2),
    };

    private static InvocationRecord ReadInvocation(DbDataReader r) => new(
        Long(r, 0), Long(r, 1), Int(r, 2), Int(r, 3), r.GetString(4), Long(r, 5), NullableLong(r, 6), NullableLong(r, 7),
        r.IsDBNull(8) ? null : Int(r, 8), r.IsDBNull(9) ? null : Int(r, 9), Long(r, 10) != 0, InvocationStateNames.Parse(r.GetString(11)), NullableLong(r, 12))
    {
        Usage = r.IsDBNull(13) ? null : new InvocationUsage(r.GetDouble(13), NullableDouble(r, 14), NullableDouble(r, 15), NullableLong(r, 16),
            NullableLong(r, 17), NullableLong(r, 18)),
    };

    private static double? NullableDouble(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    private static BladeRecord ReadBlade(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), Int(r, 2), r.GetString(3), r.GetString(4), Long(r, 5), Long(r, 6), r.GetString(7))
    {
        Profile = NullableString(r, 8),
        Nimby = Long(r, 9) != 0,
    };

    // SQLite hands every integer over as a 64-bit one, PostgreSQL as the column's own width; reading the value as an
    // object (and converting it) boxed every number of every row, 100,000s of them when the engine loads its farm. SQLite's
    // reader is asked for no field type: that call cost about 90 ns, more than the read, on every integer of the load.
    // PostgreSQL's narrower integers are read as 64-bit by Npgsql itself, unboxed.
    private static long Long(DbDataReader r, int i) => r is SqliteDataReader || r.GetFieldType(i) is var type
        && (type == typeof(long) || type == typeof(int) || type == typeof(short))
        ? r.GetInt64(i)
        : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private static int Int(DbDataReader r, int i) => checked((int)Long(r, i));

    // As Long: a PostgreSQL float column read as its own type rather than boxed, whatever width it has.
    private static double Double(DbDataReader r, int i) => r is SqliteDataReader || r.GetFieldType(i) == typeof(double)
        ? r.GetDouble(i)
        : Convert.ToDouble(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? NullableLong(DbDataReader r, int i) => r.IsDBNull(i) ? null : Long(r, i);

    protected static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? transaction, string sql,
        Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = CreateCommand(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(read(reader));
        return rows;
    }

    protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = CreateCommand(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private static DbCommand CreateCommand(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    public virtual async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await ResetWriteConnectionAsync().ConfigureAwait(false);
    }
}
