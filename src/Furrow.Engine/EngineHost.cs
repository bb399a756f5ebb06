using Furrow.Client.Protocol;
using Furrow.Engine.Api;
using Furrow.Engine.Blades;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine;

/// <summary>Builds and runs the engine: the job database, the scheduler's view rebuilt from it, and the HTTP API.</summary>
public static class EngineHost
{
    /// <summary>Takes the data dir and port, checks the database and returns the engine; it migrates and loads once started.</summary>
    public static async Task<WebApplication> BuildAsync(EngineOptions options, string listenAddress, CancellationToken cancellationToken)
    {
        await PortCheck.EnsureFreeAsync(listenAddress, options.Port, cancellationToken).ConfigureAwait(false);
        var engineLock = EngineLock.Acquire(options.DataDirectory, options.Port, options.ConfigDirectory);
        try
        {
            return await BuildLockedAsync(options, listenAddress, engineLock, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            engineLock.Dispose();
            throw;
        }
    }

    private static async Task<WebApplication> BuildLockedAsync(EngineOptions options, string listenAddress, EngineLock engineLock,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseUrls($"http://{listenAddress}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.ScriptLimits.MaxBytes + 1024);

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, FurrowJsonContext.Default));
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new EngineClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        services.AddSingleton<IJobStore>(_ => JobStores.OpenSqlite(options.DataDirectory));
        services.AddSingleton(new TaskLogStore(options.LogDirectory));
        services.AddSingleton<IDispatchPolicy, PriorityThenSpoolTimePolicy>();
        services.AddSingleton<FarmState>();
        services.AddSingleton<WorkSignal>();
        services.AddSingleton<FarmLoader>();
        services.AddSingleton<ChangeCommitter>();
        services.AddSingleton<SpoolService>();
        services.AddSingleton<WorkDispatcher>();
        services.AddSingleton<ReportProcessor>();
        services.AddSingleton<TaskOperations>();
        services.AddSingleton<BladeRegistry>();
        services.AddSingleton<QueueRows>();
        services.AddSingleton<DispatchSwitch>();
        services.AddSingleton<EngineReadiness>();
        services.AddHostedService<EngineInitializer>();
        services.AddHostedService<BladeSweeper>();

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Furrow.Engine");
        if (engineLock.TookOverFrom is { } stale)
            EngineLog.StaleLockTaken(logger, stale.ToString());
        var store = app.Services.GetRequiredService<IJobStore>();
        // A database newer than this build is refused before listening; migrating up happens after, with requests held.
        await store.EnsureNotNewerAsync(cancellationToken).ConfigureAwait(false);
        var readiness = app.Services.GetRequiredService<EngineReadiness>();

        app.Use(async (context, next) =>
        {
            try
            {
                await readiness.WaitAsync(context.RequestAborted).ConfigureAwait(false);
                await next(context).ConfigureAwait(false);
            }
            catch (StoreUnavailableException error) when (!context.Response.HasStarted)
            {
                await ApiResults.Unavailable(error.Message).ExecuteAsync(context).ConfigureAwait(false);
            }
        });
        app.MapBladeApi();
        app.MapQueueApi();
        app.Lifetime.ApplicationStarted.Register(() => EngineLog.Listening(logger, EngineVersion.Current, options.Port, options.DataDirectory));
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            engineLock.Dispose();
        });
        return app;
    }
}
