using System.Net.Sockets;
using Furrow.Client;
using Furrow.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Furrow.Blade;

/// <summary>
/// A blade: registers with the engine, long-polls for work, runs it, and reports. When the engine is away it keeps
/// running what it has and keeps every event until the engine is back to acknowledge it.
/// </summary>
public sealed class BladeAgent
{
    private readonly BladeOptions _options;
    private readonly EngineClient _engine;
    private readonly ILogger _logger;
    private readonly Outbox _outbox = new();
    private readonly CommandRunner _runner;
    private readonly HostFigures _figures;
    private readonly TimeProvider _clock;
    private readonly string _bootId = Guid.NewGuid().ToString("N");
    private readonly SemaphoreSlim _registration = new(1, 1);
    private volatile bool _registered;
    private int _reportIntervalMs = 1000;

    public BladeAgent(BladeOptions options, ILogger logger, TimeProvider? clock = null)
    {
        _options = options;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _engine = new EngineClient(options.Engine);
        _runner = new CommandRunner(_outbox, options, clock ?? TimeProvider.System);
        _figures = new HostFigures(options.WorkingDirectory, clock);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        BladeLog.Starting(_logger, _options.Name, _options.Slots, _engine.BaseAddress.ToString());
        var reporter = ReportLoopAsync(cancellationToken);
        var worker = WorkLoopAsync(cancellationToken);
        try
        {
            await Task.WhenAll(reporter, worker);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        var delay = 200;
        await _registration.WaitAsync(cancellationToken);
        try
        {
            while (!_registered)
            {
                try
                {
                    var welcome = await _engine.RegisterBladeAsync(
                        new BladeRegistration(_options.Name, _options.Host, _options.Slots, BladeVersion, _bootId, Environment.ProcessId,
                            _figures.Current()),
                        cancellationToken);
                    _reportIntervalMs = Math.Clamp(welcome.ReportIntervalMs, 100, 10_000);
                    _registered = true;
                    BladeLog.Registered(_logger, _options.Name);
                }
                catch (Exception error) when (IsEngineAway(error))
                {
                    BladeLog.EngineAway(_logger, _engine.BaseAddress.ToString(), error.Message);
                    await Task.Delay(delay, cancellationToken);
                    delay = Math.Min(delay * 2, 5000);
                }
            }
        }
        finally
        {
            _registration.Release();
        }
    }

    private async Task WorkLoopAsync(CancellationToken cancellationToken)
    {
        var delay = 200;
        while (!cancellationToken.IsCancellationRequested)
        {
            await EnsureRegisteredAsync(cancellationToken);
            var free = _options.Slots - _runner.RunningCount;
            if (free <= 0)
            {
                await _runner.SlotFreed.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            try
            {
                var reply = await _engine.PollWorkAsync(_options.Name, new WorkRequest(_bootId, free, _options.PollWaitMs), cancellationToken);
                foreach (var assignment in reply.Assignments)
                    _runner.Start(assignment);
                delay = 200;
            }
            catch (EngineException error) when (error.StatusCode == 409)
            {
                _registered = false;
            }
            catch (Exception error) when (IsEngineAway(error))
            {
                BladeLog.EngineAway(_logger, _engine.BaseAddress.ToString(), error.Message);
                await Task.Delay(delay, cancellationToken);
                delay = Math.Min(delay * 2, 5000);
            }
        }
    }

    private async Task ReportLoopAsync(CancellationToken cancellationToken)
    {
        var delay = 200;
        while (!cancellationToken.IsCancellationRequested)
        {
            await EnsureRegisteredAsync(cancellationToken);
            // Every invocation the blade still answers for must be named, even when its events do not fit in this
            // report, or the engine would think it vanished. Running is read first: a command that ends after that
            // has already queued its exit event, so the outbox names it.
            var running = new HashSet<long>(_runner.RunningIids);
            var events = _outbox.Take(1000);
            running.UnionWith(_outbox.PendingIids());
            try
            {
                var reply = await _engine.ReportAsync(_options.Name,
                    new BladeReport(_bootId, events, [.. running], _options.Slots - _runner.RunningCount, _figures.Current(),
                        _clock.GetUtcNow().ToUnixTimeMilliseconds()),
                    cancellationToken);
                _outbox.AcknowledgeUpTo(reply.AckedSeq);
                foreach (var iid in reply.Cancel)
                    _runner.Cancel(iid);
                delay = 200;
            }
            catch (EngineException error) when (error.StatusCode == 409)
            {
                _registered = false;
                continue;
            }
            catch (Exception error) when (IsEngineAway(error))
            {
                await Task.Delay(delay, cancellationToken);
                delay = Math.Min(delay * 2, 5000);
                continue;
            }
            if (_outbox.Count > 0)
                continue;
            // Report at once when something happens, and at least every interval as a heartbeat.
            await _outbox.Changed.WaitAsync(TimeSpan.FromMilliseconds(_reportIntervalMs), cancellationToken)
                .ContinueWith(_ => { }, TaskScheduler.Default);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static bool IsEngineAway(Exception error) =>
        error is HttpRequestException or SocketException or IOException
        || (error is EngineException e && e.StatusCode >= 500)
        || (error is TaskCanceledException && error.InnerException is TimeoutException);

    private static string BladeVersion => typeof(BladeAgent).Assembly.GetName().Version?.ToString() ?? "0";
}

/// <summary>The blade's log messages (3xxx: blades).</summary>
internal static partial class BladeLog
{
    [LoggerMessage(3101, LogLevel.Information, "Blade {Name} with {Slots} slots, engine {Engine}")]
    public static partial void Starting(ILogger logger, string name, int slots, string engine);

    [LoggerMessage(3102, LogLevel.Information, "Blade {Name} registered")]
    public static partial void Registered(ILogger logger, string name);

    [LoggerMessage(3103, LogLevel.Warning, "Engine {Engine} unreachable ({Reason}); commands keep running, results are kept until it is back")]
    public static partial void EngineAway(ILogger logger, string engine, string reason);
}
