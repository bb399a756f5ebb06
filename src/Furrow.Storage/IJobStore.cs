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

    /// <summary>Applies the writes in one transaction, batched with other callers'; returns once committed.</summary>
    ValueTask CommitAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken);

    /// <summary>Everything the scheduler needs to rebuild its view after a start: unfinished jobs and live blades.</summary>
    ValueTask<LiveState> LoadLiveStateAsync(CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<JobRecord>> ListJobsAsync(bool includeDeleted, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<TaskRecord>> ListTasksAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<CommandRecord>> ListCommandsAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<InvocationRecord>> ListInvocationsAsync(long? jid, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<BladeRecord>> ListBladesAsync(CancellationToken cancellationToken);

    ValueTask<string?> GetParamAsync(string name, CancellationToken cancellationToken);
}
