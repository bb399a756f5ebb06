using Furrow.Engine.Farm;
using Furrow.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine;

/// <summary>
/// Holds every API request until the engine is ready: schema migrated and the scheduler rebuilt from the database.
/// Requests wait rather than fail, as Tractor's "Down Time" promises; blades keep running their commands meanwhile.
/// </summary>
public sealed class EngineReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Why the engine could not start, once it has given up.</summary>
    public Exception? Failure => _ready.Task.Exception?.InnerException;

    public Task WaitAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    internal void MarkReady() => _ready.TrySetResult();

    internal void MarkFailed(Exception error) => _ready.TrySetException(error);
}

/// <summary>Migrates the job database and rebuilds the scheduler's view after the engine starts listening.</summary>
internal sealed class EngineInitializer(IJobStore store, FarmLoader loader, LiveFarm farm, EngineReadiness readiness,
    IHostApplicationLifetime lifetime, ILogger<EngineInitializer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var version = await store.MigrateAsync(stoppingToken).ConfigureAwait(false);
            EngineLog.StoreReady(logger, store.Description, version);
            await loader.ReloadAsync(stoppingToken).ConfigureAwait(false);
            var counts = farm.Counts();
            EngineLog.FarmLoaded(logger, counts.Jobs, counts.ReadyTasks, counts.ActiveTasks);
            readiness.MarkReady();
        }
        catch (Exception error) when (error is StoreUnavailableException or IOException)
        {
            EngineLog.StartFailed(logger, error.Message);
            readiness.MarkFailed(error);
            lifetime.StopApplication();
        }
    }
}
