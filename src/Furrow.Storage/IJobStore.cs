namespace Furrow.Storage;

/// <summary>
/// The job database. Reads may run concurrently; every write goes through <see cref="CommitAsync"/>, which queues it
/// for the store's single batching writer and completes only once the change is durable.
/// </summary>
public interface IJobStore : IAsyncDisposable
{
    /// <summary>Provider and location, for messages and `dbctl --status`.</summary>
    string Description { get; }

    /// <summary>Brings the schema to the newest version this build knows; refuses a newer one.</summary>
    ValueTask<int> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The schema version the database is at (0 for an empty database).</summary>
    ValueTask<int> SchemaVersionAsync(CancellationToken cancellationToken);

    /// <summary>Throws, naming both versions and the way down, when the database is newer than this build.</summary>
    ValueTask EnsureNotNewerAsync(CancellationToken cancellationToken);

    /// <summary>Moves the schema up or down to <paramref name="version"/>, keeping every job's data.</summary>
    ValueTask<int> MigrateToAsync(int version, CancellationToken cancellationToken);

    /// <summary>The highest job id in the database (0 when there are none).</summary>
    ValueTask<long> MaxJidAsync(CancellationToken cancellationToken);

    /// <summary>Writes a consistent copy of the whole database to <paramref name="path"/> while it stays in use.</summary>
    ValueTask SnapshotToAsync(string path, CancellationToken cancellationToken);

    /// <summary>Applies the writes in one transaction, batched with other callers'; returns once committed.</summary>
    ValueTask CommitAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken);

    /// <summary>
    /// Rises after every transaction <see cref="CommitAsync"/> attempted, before its callers are told it is done: two equal
    /// readings mean the store wrote nothing in between, so rows read after the first reading are still what it holds.
    /// Starts at 0 each time the store is opened.
    /// </summary>
    long WriteVersion { get; }

    /// <summary>
    /// Everything the scheduler needs to rebuild its view after a start, read in one transaction: live blades, current
    /// invocations and blocklist in the result, and each unfinished job handed to <paramref name="jobRead"/> (in jid
    /// order, on the reading thread) as soon as its rows are read, so the caller can build one job while the store
    /// reads the next. <paramref name="jobRead"/> is called for every job before the result is returned.
    /// </summary>
    ValueTask<LiveState> LoadLiveStateAsync(Action<UnfinishedJob> jobRead, CancellationToken cancellationToken);

    /// <summary>
    /// One unfinished job (not deleted, no stop time) with its rows and blocklist, read in one transaction as
    /// <see cref="LoadLiveStateAsync"/> reads each: for bringing back into the queue a job that was finished or deleted,
    /// without reading the rest. Null when there is no such job, or it is deleted or finished.
    /// </summary>
    ValueTask<UnfinishedJob?> LoadUnfinishedJobAsync(long jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<JobRecord>> ListJobsAsync(bool includeDeleted, CancellationToken cancellationToken);

    /// <summary>
    /// Jobs matching a search, run in the database (clause, sort and page as SQL), with their task counts; the comment only
    /// when <see cref="Queries.ListQuery.WithComment"/>. Throws <see cref="Queries.QueryRejectedException"/> for a clause the
    /// database refuses and <see cref="Queries.QueryTimeoutException"/> past the query's timeout.
    /// </summary>
    ValueTask<IReadOnlyList<JobRecord>> QueryJobsAsync(Queries.ListQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The values of <paramref name="columns"/> (row keys and columns as <see cref="Furrow.Core.Query.QuerySchema"/> resolves
    /// them) for each row of <paramref name="table"/> matching the search: tq's `-c`. Times come back as times, lists as lists.
    /// Throws as <see cref="QueryJobsAsync"/> does, and <see cref="Queries.QueryRejectedException"/> for a column not kept here.
    /// </summary>
    ValueTask<IReadOnlyList<Furrow.Core.Query.QueryValue[]>> QueryColumnsAsync(Furrow.Core.Query.QueryTable table,
        IReadOnlyList<(string Key, Furrow.Core.Query.QueryColumn Column)> columns, Queries.ListQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="QueryColumnsAsync"/>, handing each row to <paramref name="row"/> as it is read, so a listing of 10,000s
    /// of rows is never held whole. The values are valid only during the call: the next row overwrites them.
    /// </summary>
    ValueTask ReadColumnsAsync(Furrow.Core.Query.QueryTable table, IReadOnlyList<(string Key, Furrow.Core.Query.QueryColumn Column)> columns,
        Queries.ListQuery query, Action<ReadOnlySpan<Furrow.Core.Query.QueryValue>> row, CancellationToken cancellationToken);

    /// <summary>Tasks matching a search, each with its job's owner; as <see cref="QueryJobsAsync"/>.</summary>
    ValueTask<IReadOnlyList<(TaskRecord Task, string Owner)>> QueryTasksAsync(Queries.ListQuery query, CancellationToken cancellationToken);

    /// <summary>Commands matching a search, each with its job's owner; as <see cref="QueryJobsAsync"/>.</summary>
    ValueTask<IReadOnlyList<(CommandRecord Command, string Owner)>> QueryCommandsAsync(Queries.ListQuery query, CancellationToken cancellationToken);

    /// <summary>Invocations matching a search, each with its job's owner; as <see cref="QueryJobsAsync"/>.</summary>
    ValueTask<IReadOnlyList<(InvocationRecord Invocation, string Owner)>> QueryInvocationsAsync(Queries.ListQuery query,
        CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<TaskRecord>> ListTasksAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<CommandRecord>> ListCommandsAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<InvocationRecord>> ListInvocationsAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<BladeRecord>> ListBladesAsync(CancellationToken cancellationToken);

    /// <summary>True when a job with this id is in the database (deleted or archived ones too).</summary>
    ValueTask<bool> JobExistsAsync(long jid, CancellationToken cancellationToken);

    /// <summary>
    /// The job's script as it was spooled, or null for no such job. A job spooled before schema version 9 has the JSON job
    /// form its engine rendered instead.
    /// </summary>
    ValueTask<JobScript?> GetJobScriptAsync(long jid, CancellationToken cancellationToken);

    /// <summary>
    /// The login, password stamp and expiry (Unix ms) of the session whose token hashes (SHA-256, hex) to
    /// <paramref name="tokenHash"/>, or null.
    /// </summary>
    ValueTask<(string Login, string Stamp, long ExpiresMs)?> FindSessionAsync(string tokenHash, CancellationToken cancellationToken);

    ValueTask<string?> GetParamAsync(string name, CancellationToken cancellationToken);

    /// <summary>Deleted jobs whose delete time is before <paramref name="deletedBeforeMs"/> (Unix ms), oldest first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<(long Jid, string Owner)>> ListPurgeableJobsAsync(long deletedBeforeMs, int limit, CancellationToken cancellationToken);

    /// <summary>Every row of the params table (name, value), in name order: `tq params`.</summary>
    ValueTask<IReadOnlyList<(string Name, string Value)>> ListParamsAsync(CancellationToken cancellationToken);

    /// <summary>The SHA-256 (lowercase hex) of the key <paramref name="name"/> is enrolled with, or null when the name is not enrolled.</summary>
    ValueTask<string?> GetBladeKeyHashAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// The farm's job and task counts in one pass over the job rows (their kept task counts, schema 11), never over the
    /// tasks: jobs <paramref name="scope"/> shows, or all (null).
    /// </summary>
    ValueTask<JobSummary> SummarizeJobsAsync(Furrow.Core.Access.JobScope? scope, CancellationToken cancellationToken);

    /// <summary>
    /// Dispatch times (Unix ms) of invocations dispatched from <paramref name="sinceMs"/> up to, not including,
    /// <paramref name="beforeMs"/>; read newest first by invocation id, so only the recent rows are read.
    /// </summary>
    ValueTask<IReadOnlyList<long>> DispatchTimesAsync(long sinceMs, long beforeMs, CancellationToken cancellationToken);
}
