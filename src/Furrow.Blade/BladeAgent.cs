using System.Net.Sockets;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Keeper;
using Microsoft.Extensions.Logging;

namespace Furrow.Blade;

/// <summary>
/// A blade: registers with the engine, long-polls for work, runs it, and reports. When the engine is away it keeps
/// running what it has and keeps every event until the engine is back to acknowledge it. Asked to stop, it takes no
/// more work, ends its commands (or, with <see cref="BladeOptions.Drain"/>, lets them finish), delivers what it has
/// and returns; what it could not deliver stays in its journal for the next blade process on this host.
/// </summary>
public sealed class BladeAgent
{
    private readonly BladeOptions _options;
    private readonly EngineClient _engine;
    private readonly ILogger _logger;
    private readonly BladeJournal _journal;
    private readonly BladeKeyFile _keyFile;
    private readonly string? _secretFrom; // the file the enrolment secret came from, for messages
    private BladeRefusedException? _refusal; // set once the engine refused this blade: every loop ends with it
    private readonly Outbox _outbox;
    private readonly CommandRunner _runner;
    private readonly HostFigures _figures;
    private readonly TimeProvider _clock;
    private readonly string _bootId = Guid.NewGuid().ToString("N");
    private readonly SemaphoreSlim _registration = new(1, 1);
    private volatile bool _registered;
    private int _reportIntervalMs = 1000;
    private int _silenceTimeoutMs = 15_000;
    private volatile bool _openPollIsContact;
    private int _pollsOpen;
    private long _lastContactTicks; // Environment.TickCount64 of the last report or heartbeat the engine answered
    private JournalContents? _leftBehind;
    private KeeperMessage? _keeperLeft;
    private bool _tookOver;
    private readonly CancellationTokenSource _stopping = new();
    private int _runningAtStop;
    private int _stopRequests;

    /// <param name="journal">The journal in the blade's state directory, opened by <see cref="StateDirectoryLock"/>'s holder.</param>
    /// <param name="enrolmentSecret">The site's enrolment secret and the file it came from (<see cref="EnrolmentSecretSource"/>), or nulls.</param>
    internal BladeAgent(BladeOptions options, BladeJournal journal, ILogger logger, TimeProvider? clock = null,
        (string? Secret, string? Path) enrolmentSecret = default)
    {
        _options = options;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _engine = new EngineClient(options.Engine, caFile: options.CaFile) { EnrolmentSecret = enrolmentSecret.Secret, UseLocalSocket = false };
        _secretFrom = enrolmentSecret.Path;
        _keyFile = new BladeKeyFile(Path.GetDirectoryName(journal.FilePath)!);
        _engine.SetBladeKey(options.Name, _keyFile.Read());
        _journal = journal;
        _outbox = new Outbox(journal);
        _runner = new CommandRunner(_outbox, journal, options, _clock);
        _figures = new HostFigures(options.WorkingDirectory, clock);
    }

    /// <summary>
    /// Opens the blade's state directory (refused while another blade process holds it) and makes the agent. Dispose the
    /// returned lock only after <see cref="RunAsync"/> has returned.
    /// </summary>
    /// <exception cref="IOException">
    /// Another blade process holds the state directory, or the enrolment secret file given cannot be read or is not private.
    /// </exception>
    public static (BladeAgent Agent, IDisposable StateLock) Open(BladeOptions options, ILogger logger)
    {
        var directory = options.StateDirectory ?? options.DefaultStateDirectory;
        var secret = EnrolmentSecretSource.Find(options.EnrolmentSecretFile, options.SiteConfigDirectory);
        var stateLock = StateDirectoryLock.Acquire(directory);
        try
        {
            return (new BladeAgent(options, new BladeJournal(directory), logger, enrolmentSecret: secret), stateLock);
        }
        catch
        {
            stateLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the blade to stop (SIGTERM, Ctrl-C). The first request stops it taking work and ends its commands, or with
    /// <see cref="BladeOptions.Drain"/> waits for them; a second request during a drain ends them. Safe from any thread.
    /// </summary>
    public void RequestStop()
    {
        var count = Interlocked.Increment(ref _stopRequests);
        // Counted before they are ended: by the time the wind-down says how many ran, they may have exited.
        if (count == 1)
            Volatile.Write(ref _runningAtStop, _runner.RunningCount);
        if (count == 1)
            _stopping.Cancel();
        if (count > 1 || !_options.Drain)
            _runner.InterruptAll("the blade was stopped");
    }

    /// <summary>Runs until <see cref="RequestStop"/> has been called and the blade has wound down, or until <paramref name="cancellationToken"/> (an abrupt end: commands are left running).</summary>
    /// <exception cref="KeeperUnavailableException">The command keeper cannot be started (the message says why).</exception>
    /// <exception cref="BladeRefusedException">
    /// The engine refused the blade (not enrolled, no secret it takes, the name enrolled to another key): retrying would not
    /// change that. What still runs is left with the keeper, as after an abrupt end.
    /// </exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        BladeLog.Starting(_logger, _options.Name, _options.Slots, _engine.BaseAddress.ToString());
        try
        {
            // What the keeper still runs or holds exits of, from before this blade process: taken over at the first registration.
            _keeperLeft = (await _runner.KeeperAsync(cancellationToken)).State;
        }
        catch (IOException error)
        {
            BladeLog.NoKeeper(_logger, error.Message);
            throw new KeeperUnavailableException($"cannot start the blade's command keeper: {error.Message}", error);
        }
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporter = Task.WhenAll(ReportLoopAsync(reporting.Token), HeartbeatLoopAsync(reporting.Token));
        try
        {
            await WorkLoopAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (BladeRefusedException)
        {
        }
        try
        {
            if (!cancellationToken.IsCancellationRequested && _refusal is null)
                await WindDownAsync(cancellationToken);
        }
        finally
        {
            await reporting.CancelAsync();
            try
            {
                await reporter;
            }
            catch (OperationCanceledException) when (reporting.IsCancellationRequested)
            {
            }
            catch (BladeRefusedException)
            {
            }
        }
        if (_refusal is { } refused)
        {
            await _runner.DisconnectAsync();
            throw refused;
        }
        if (!cancellationToken.IsCancellationRequested)
            await LeaveAsync(cancellationToken);
        // The keeper ends once it holds nothing; after an abrupt end it keeps what still runs for the next blade process.
        await _runner.DisconnectAsync();
    }

    // Stopped cleanly with everything delivered: tell the engine, so the blade shows as stopped at once rather than after
    // the silence timeout. With results still undelivered it says nothing: they wait in the journal for the next blade
    // process, and leaving would requeue their tasks first.
    private async Task LeaveAsync(CancellationToken cancellationToken)
    {
        if (!_registered || _outbox.Count > 0)
            return;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await _engine.LeaveAsync(_options.Name, new BladeLeaving(_bootId), timeout.Token);
        }
        catch (Exception error) when (IsEngineAway(error) || error is EngineException || error is OperationCanceledException)
        {
            BladeLog.LeaveNotDelivered(_logger, error.Message);
        }
    }

    // Stopping: the work loop has ended, so nothing new starts. Wait for the commands to end (ended by RequestStop, or
    // finishing on their own when draining), then give the reporter a while to deliver their results.
    private async Task WindDownAsync(CancellationToken cancellationToken)
    {
        BladeLog.Stopping(_logger, _options.Name, Volatile.Read(ref _stopRequests) > 0 ? Volatile.Read(ref _runningAtStop) : _runner.RunningCount, _options.Drain);
        await _runner.WhenIdleAsync(cancellationToken);
        using var delivery = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        delivery.CancelAfter(_options.StopDeliveryTimeout);
        while (_outbox.Count > 0 && !delivery.IsCancellationRequested)
            await Waits.ForOrTimeoutAsync(_outbox.Acknowledged, 200, delivery.Token);
        if (_outbox.Count > 0)
            BladeLog.ResultsLeftInJournal(_logger, _outbox.PendingIids().Count, _journal.FilePath);
        BladeLog.Stopped(_logger, _options.Name);
    }

    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        var delay = 200;
        await _registration.WaitAsync(cancellationToken);
        try
        {
            while (!_registered)
            {
                if (_refusal is { } refused)
                    throw refused;
                try
                {
                    _leftBehind ??= LoadJournal();
                    _keeperLeft ??= new KeeperMessage(KeeperMessage.State, Running: [], Exited: []);
                    if (_engine.BladeKey(_options.Name) is null && _engine.EnrolmentSecret is not null)
                        ProposeKey();
                    var proposing = _engine.IsProposedBladeKey(_options.Name);
                    var welcome = await _engine.RegisterBladeAsync(
                        new BladeRegistration(_options.Name, _options.Host, _options.Slots, BladeVersion, _bootId, Environment.ProcessId,
                            _figures.Current(), [.. JournalIids(_leftBehind).Union(KeeperIids(_keeperLeft))]),
                        cancellationToken);
                    if (welcome.Key is { } issued)
                        KeepKey(issued);
                    else if (proposing)
                        BladeLog.Enrolled(_logger, _options.Name, _secretFrom ?? "the caller", _keyFile.FilePath);
                    _reportIntervalMs = Math.Clamp(welcome.ReportIntervalMs, 100, 10_000);
                    _silenceTimeoutMs = Math.Max(1000, welcome.SilenceTimeoutMs);
                    _openPollIsContact = welcome.OpenPollIsContact;
                    // Once per blade process, at its first registration, before it runs anything of its own.
                    if (!_tookOver && _leftBehind is { } left)
                    {
                        TakeOver(left, _keeperLeft, [.. welcome.Kept ?? []]);
                        _runner.EndTakeOver();
                        _tookOver = true;
                    }
                    _leftBehind = new JournalContents([], []);
                    _keeperLeft = new KeeperMessage(KeeperMessage.State, Running: [], Exited: []);
                    _registered = true;
                    BladeLog.Registered(_logger, _options.Name);
                }
                catch (EngineException error) when (error.StatusCode is 401 or 403)
                {
                    // An operator released the name this blade holds a key for (or the blade stopped before the engine
                    // heard the key it proposed): with the secret it enrols again at once. A proposal refused is not retried.
                    if (error.StatusCode == 401 && _engine.BladeKey(_options.Name) is not null && _engine.EnrolmentSecret is not null
                        && !_engine.IsProposedBladeKey(_options.Name))
                    {
                        BladeLog.KeyForgotten(_logger, _options.Name, error.Message);
                        _engine.SetBladeKey(_options.Name, null);
                        _keyFile.Delete();
                        continue;
                    }
                    Refuse(error);
                }
                catch (Exception error) when (IsEngineAway(error) || IsThrottled(error))
                {
                    await BackOffAsync(error, delay, cancellationToken);
                    delay = Math.Min(delay * 2, 5000);
                }
            }
        }
        finally
        {
            _registration.Release();
        }
    }

    // The key is on disk before the engine hears of it: a blade stopped at any moment of its enrolment holds the key its
    // name may be bound to, so it never needs an operator to release the name it was enrolling under.
    private void ProposeKey()
    {
        var key = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        try
        {
            _keyFile.Write(key);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _refusal = new BladeRefusedException($"blade {_options.Name} cannot keep a key in {_keyFile.FilePath} ({error.Message}); " +
                "fix the state directory and start the blade again");
            _stopping.Cancel();
            throw _refusal;
        }
        _engine.ProposeBladeKey(_options.Name, key);
    }

    private void KeepKey(string key)
    {
        try
        {
            _keyFile.Write(key);
            BladeLog.Enrolled(_logger, _options.Name, _secretFrom ?? "the caller", _keyFile.FilePath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Enrolled, but a restart could not prove it: stop now, while an operator can still release the name cleanly.
            _refusal = new BladeRefusedException($"blade {_options.Name} was enrolled but cannot keep its key in {_keyFile.FilePath} ({error.Message}); " +
                $"fix the state directory, then have an operator release the name (tq releaseblade {_options.Name}) and start the blade again");
            _stopping.Cancel();
            throw _refusal;
        }
    }

    // The engine will not have this blade as it is: say why and how to fix it, and end every loop (never retried).
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(EngineException error)
    {
        var hint = error.StatusCode == 401 && _engine.EnrolmentSecret is null && _engine.BladeKey(_options.Name) is null
            ? "; this blade has no key and no enrolment secret: give it the site's secret with --enrolment-secret-file FILE or $" +
              EnrolmentSecretSource.FileVariable + " (the engine keeps it in <TractorDataDirectory>/blade-enrolment.secret)"
            : _secretFrom is not null && error.StatusCode == 401 && (_engine.BladeKey(_options.Name) is null || _engine.IsProposedBladeKey(_options.Name))
                ? $" (the secret was read from {_secretFrom})" : "";
        // A key proposed and refused is bound to nothing: the next start proposes a new one rather than show this one.
        if (_engine.IsProposedBladeKey(_options.Name))
        {
            try
            {
                _keyFile.Delete();
            }
            catch (Exception deleting) when (deleting is IOException or UnauthorizedAccessException)
            {
                // Shown at the next start, the engine takes it for a released key and the blade proposes another.
            }
        }
        _refusal ??= new BladeRefusedException($"the engine refused blade {_options.Name} ({error.StatusCode}): {error.Message}{hint}");
        BladeLog.Refused(_logger, _options.Name, _refusal.Message);
        _stopping.Cancel();
        throw _refusal;
    }

    private JournalContents LoadJournal()
    {
        try
        {
            return _journal.Load();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            BladeLog.JournalUnreadable(_logger, _journal.FilePath, error.Message);
            return new JournalContents([], []);
        }
    }

    private static IEnumerable<long> JournalIids(JournalContents journal) =>
        journal.Running.Select(p => p.Iid).Concat(journal.Results.Select(r => r.Iid)).Distinct();

    private static IEnumerable<long> KeeperIids(KeeperMessage state) =>
        (state.Running ?? []).Concat(state.Exited ?? []).Select(m => m.Iid);

    // What an earlier process of this blade left. Results the engine still waits for are delivered again, after the
    // output kept with them. Commands the keeper still runs, or has the exit of, are adopted when the engine still counts
    // them as this blade's: their output is followed and their exit reported as if this process had started them. One the
    // engine has given to another blade is ended with its process tree, so a task never runs twice once a blade is back on
    // the host. A command the journal names but the keeper does not know (its keeper was killed too) has no parent to tell
    // its exit code: it is ended, and one still this blade's is reported as interrupted, so its task goes back to ready at
    // once. What is still this blade's stays in the journal, its output file included, until acknowledged again.
    private void TakeOver(JournalContents left, KeeperMessage keeperLeft, HashSet<long> kept)
    {
        var results = left.Results.Select(r => r.Iid).ToHashSet();
        var keeperRunning = (keeperLeft.Running ?? []).ToDictionary(m => m.Iid);
        var keeperExited = (keeperLeft.Exited ?? []).ToDictionary(m => m.Iid);
        _journal.Forget(JournalIids(left).Concat(KeeperIids(keeperLeft)).Where(iid => !kept.Contains(iid)));
        _journal.DeleteOutputExcept(kept);
        foreach (var result in left.Results.Where(r => kept.Contains(r.Iid)))
        {
            ResendOutput(result.Iid);
            _outbox.Add(seq => result with { Seq = seq });
        }
        foreach (var (iid, exited) in keeperExited.Where(e => !results.Contains(e.Key)))
        {
            if (kept.Contains(iid))
            {
                BladeLog.EndedWhileAway(_logger, iid, exited.Pid, exited.ExitCode ?? -1);
                _runner.Adopt(iid, exited.Pid, exited.StartedMs, exited);
            }
            else
            {
                BladeLog.EndedNoLongerOurs(_logger, iid, exited.Pid, exited.ExitCode ?? -1);
                _ = AcknowledgeKeeperAsync(iid);
            }
        }
        foreach (var iid in keeperExited.Keys.Where(results.Contains))
            _ = AcknowledgeKeeperAsync(iid);
        foreach (var (iid, running) in keeperRunning.Where(r => !results.Contains(r.Key)))
        {
            if (kept.Contains(iid))
            {
                BladeLog.Adopted(_logger, iid, running.Pid);
                _runner.Adopt(iid, running.Pid, running.StartedMs, null);
            }
            else
            {
                var ended = ProcessIdentity.StartTicks(running.Pid) is { } start
                    && ProcessIdentity.EndTree(new JournalProcess(iid, running.Pid, start), CommandRunner.KillGrace, _clock);
                BladeLog.LeftRunning(_logger, iid, running.Pid, ended, false);
            }
        }
        foreach (var process in left.Running.Where(p => !results.Contains(p.Iid) && !keeperRunning.ContainsKey(p.Iid) && !keeperExited.ContainsKey(p.Iid)))
        {
            var ended = ProcessIdentity.EndTree(process, CommandRunner.KillGrace, _clock);
            var stillOurs = kept.Contains(process.Iid);
            BladeLog.LeftRunning(_logger, process.Iid, process.Pid, ended, stillOurs);
            if (!stillOurs)
                continue;
            ResendOutput(process.Iid);
            _outbox.Add(seq => new InvocationEvent(seq, process.Iid, InvocationEventTypes.Interrupted, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Text: ended ? "the blade was restarted and ended the command it had left running, whose exit code was lost with its keeper"
                    : "the blade was restarted; the command's result was lost"));
        }
    }

    private async Task AcknowledgeKeeperAsync(long iid) => await (await _runner.KeeperAsync(CancellationToken.None)).AcknowledgeAsync(iid);

    // Everything the invocation printed, from its first byte: the engine skips what its log already holds (each chunk
    // carries its offset), so only what an earlier blade process could not deliver is written.
    private void ResendOutput(long iid)
    {
        const int Chunk = 64 * 1024;
        var output = _journal.ReadOutput(iid);
        for (var offset = 0; offset < output.Length; offset += Chunk)
        {
            var data = output.AsSpan(offset, Math.Min(Chunk, output.Length - offset)).ToArray();
            var at = offset;
            _outbox.Add(seq => new InvocationEvent(seq, iid, InvocationEventTypes.Output, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Offset: at, Data: data));
        }
    }

    private async Task WorkLoopAsync(CancellationToken cancellationToken)
    {
        var delay = 200;
        while (!cancellationToken.IsCancellationRequested)
        {
            await EnsureRegisteredAsync(cancellationToken);
            var free = _options.Slots - _runner.UsedSlots;
            if (free <= 0)
            {
                await Waits.ForOrTimeoutAsync(_runner.SlotFreed, 1000, cancellationToken);
                continue;
            }
            try
            {
                WorkReply reply;
                Interlocked.Increment(ref _pollsOpen);
                try
                {
                    reply = await _engine.PollWorkAsync(_options.Name, new WorkRequest(_bootId, free, _options.PollWaitMs), cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _pollsOpen);
                }
                Volatile.Write(ref _lastContactTicks, Environment.TickCount64);
                foreach (var assignment in reply.Assignments)
                {
                    if (_stopping.IsCancellationRequested)
                        _runner.Decline(assignment, "the blade was stopped before it started the command");
                    else
                        _runner.Start(assignment);
                }
                delay = 200;
            }
            catch (EngineException error) when (error.StatusCode is 409 or 401 or 403)
            {
                _registered = false;
            }
            catch (Exception error) when (IsEngineAway(error) || IsThrottled(error))
            {
                await BackOffAsync(error, delay, cancellationToken);
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
                    new BladeReport(_bootId, events, [.. running], _options.Slots - _runner.UsedSlots, _figures.Current(),
                        _clock.GetUtcNow().ToUnixTimeMilliseconds()),
                    cancellationToken);
                Volatile.Write(ref _lastContactTicks, Environment.TickCount64);
                _outbox.AcknowledgeUpTo(reply.AckedSeq);
                foreach (var iid in reply.Cancel)
                    _runner.Cancel(iid);
                delay = 200;
            }
            catch (EngineException error) when (error.StatusCode is 409 or 401 or 403)
            {
                _registered = false;
                continue;
            }
            catch (Exception error) when (IsEngineAway(error) || IsThrottled(error))
            {
                await Task.Delay(Math.Max(delay, RetryAfterMs(error)), cancellationToken);
                delay = Math.Min(delay * 2, 5000);
                continue;
            }
            if (_outbox.Count > 0)
                continue;
            // Report at once when something happens; else every report interval while commands run, and seldom while none
            // does (figures, and an empty running list that lets the engine find a lost assignment), so an idle farm of
            // many blades costs the engine little: every half silence timeout when the engine counts the blade's waiting
            // long poll as contact, else every heartbeat interval (a little under it, so the idle report comes before a
            // beat would be due and the beat is left out).
            var wait = _runner.RunningCount > 0 ? _reportIntervalMs : Math.Max(_reportIntervalMs, IdleReportIntervalMs);
            await Waits.ForOrTimeoutAsync(_outbox.Changed, wait, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    // A fifth of the engine's silence timeout (3 s of the default 15), never under the report interval: the engine hears
    // from a live blade five times over before it would give it up.
    private int HeartbeatIntervalMs => Math.Max(_reportIntervalMs, _silenceTimeoutMs / 5);

    private int IdleReportIntervalMs => _openPollIsContact ? _silenceTimeoutMs / 2 : HeartbeatIntervalMs * 4 / 5;

    // Nothing runs and a long poll waits at an engine that counts it as contact: no beat is needed.
    private bool InContactByPoll => _openPollIsContact && Volatile.Read(ref _pollsOpen) > 0 && _runner.RunningCount == 0;

    // Beside the reports, never behind them: a report may wait on the engine's lock and database, or carry a lot of
    // output; the heartbeat goes on its own connection and the engine notes it at once. A beat is left out when a
    // report or beat was answered within the heartbeat interval: the engine has just heard from the blade.
    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var heartbeat = new BladeHeartbeat(_bootId);
        while (!cancellationToken.IsCancellationRequested)
        {
            var interval = HeartbeatIntervalMs;
            var byPoll = InContactByPoll;
            var beat = _registered && !byPoll && Environment.TickCount64 - Volatile.Read(ref _lastContactTicks) >= interval;
            if (beat)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1000, _reportIntervalMs * 5)));
                    await _engine.HeartbeatAsync(_options.Name, heartbeat, timeout.Token);
                    Volatile.Write(ref _lastContactTicks, Environment.TickCount64);
                }
                catch (Exception error) when (IsEngineAway(error) || error is EngineException
                    || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // The report loop says when the engine is away (an older engine without heartbeats answers 404 and
                    // relies on reports alone); the next beat tries again.
                }
            }
            // Until a beat is next due (a report answered meanwhile puts it off again); a full interval after a beat that
            // went unanswered.
            var due = beat || byPoll ? interval : interval - (Environment.TickCount64 - Volatile.Read(ref _lastContactTicks));
            await Task.Delay((int)Math.Clamp(due, 100, interval), cancellationToken);
        }
    }

    // Over the engine's requests-a-second limit for this blade (429): not away, but asked to wait; the wait it names is
    // kept to, so a throttled blade does not spend its allowance on retries.
    private static bool IsThrottled(Exception error) => error is EngineException { StatusCode: 429 };

    private static int RetryAfterMs(Exception error) =>
        error is EngineException { RetryAfter: { } after } ? (int)Math.Clamp(after.TotalMilliseconds, 0, 60_000) : 0;

    private async Task BackOffAsync(Exception error, int delay, CancellationToken cancellationToken)
    {
        if (IsThrottled(error))
            BladeLog.Throttled(_logger, _options.Name, error.Message);
        else
            BladeLog.EngineAway(_logger, _engine.BaseAddress.ToString(), error.Message);
        await Task.Delay(Math.Max(delay, RetryAfterMs(error)), cancellationToken);
    }

    private static bool IsEngineAway(Exception error) =>
        error is HttpRequestException or SocketException or IOException
        || (error is EngineException e && e.StatusCode >= 500)
        || (error is TaskCanceledException && error.InnerException is TimeoutException);

    private static string BladeVersion => typeof(BladeAgent).Assembly.GetName().Version?.ToString() ?? "0";
}

/// <summary>A blade that cannot start its command keeper (<c>furrow-keeper</c>) cannot run commands: it does not start.</summary>
public sealed class KeeperUnavailableException(string message, Exception inner) : IOException(message, inner);

/// <summary>
/// The engine refused the blade for good (401: not enrolled and no secret it takes; 403: the name is enrolled to another
/// blade's key): the message says why and what an operator does about it. Not an <see cref="IOException"/>, so nothing
/// takes it for an engine that is away and retries.
/// </summary>
public sealed class BladeRefusedException(string message) : Exception(message);

/// <summary>The blade's log messages (3xxx: blades).</summary>
internal static partial class BladeLog
{
    [LoggerMessage(3101, LogLevel.Information, "Blade {Name} with {Slots} slots, engine {Engine}")]
    public static partial void Starting(ILogger logger, string name, int slots, string engine);

    [LoggerMessage(3102, LogLevel.Information, "Blade {Name} registered")]
    public static partial void Registered(ILogger logger, string name);

    [LoggerMessage(3103, LogLevel.Warning, "Engine {Engine} unreachable ({Reason}); commands keep running, results are kept until it is back")]
    public static partial void EngineAway(ILogger logger, string engine, string reason);

    [LoggerMessage(3104, LogLevel.Information, "Blade {Name} stopping: takes no more work; {Running} command(s) running, drain {Drain}")]
    public static partial void Stopping(ILogger logger, string name, int running, bool drain);

    [LoggerMessage(3109, LogLevel.Warning, "Could not tell the engine this blade stopped ({Reason}); it shows the blade as up until its silence timeout")]
    public static partial void LeaveNotDelivered(ILogger logger, string reason);

    [LoggerMessage(3105, LogLevel.Information, "Blade {Name} stopped")]
    public static partial void Stopped(ILogger logger, string name);

    [LoggerMessage(3106, LogLevel.Warning, "Results of {Count} invocation(s) not delivered; kept in {Journal} for the next blade process")]
    public static partial void ResultsLeftInJournal(ILogger logger, int count, string journal);

    [LoggerMessage(3107, LogLevel.Warning, "Journal {Journal} unreadable ({Reason}); starting without it")]
    public static partial void JournalUnreadable(ILogger logger, string journal, string reason);

    [LoggerMessage(3108, LogLevel.Warning, "Invocation {Iid} (pid {Pid}) left by an earlier blade process: ended {Ended}, still this blade's {StillOurs}")]
    public static partial void LeftRunning(ILogger logger, long iid, int pid, bool ended, bool stillOurs);

    [LoggerMessage(3110, LogLevel.Information, "Invocation {Iid} (pid {Pid}), started by an earlier blade process, still runs: adopted")]
    public static partial void Adopted(ILogger logger, long iid, int pid);

    [LoggerMessage(3112, LogLevel.Information, "Invocation {Iid} (pid {Pid}) ended with exit code {ExitCode} while no blade process ran: its result is delivered now")]
    public static partial void EndedWhileAway(ILogger logger, long iid, int pid, int exitCode);

    [LoggerMessage(3113, LogLevel.Warning, "Invocation {Iid} (pid {Pid}) ended with exit code {ExitCode} while no blade process ran, but the engine had given up on it (silent longer than its timeout): that result is dropped")]
    public static partial void EndedNoLongerOurs(ILogger logger, long iid, int pid, int exitCode);

    [LoggerMessage(3111, LogLevel.Error, "No command keeper: {Reason}")]
    public static partial void NoKeeper(ILogger logger, string reason);

    [LoggerMessage(3114, LogLevel.Information, "Blade {Name} enrolled with the secret from {SecretFile}; its key is kept in {KeyFile}")]
    public static partial void Enrolled(ILogger logger, string name, string secretFile, string keyFile);

    [LoggerMessage(3115, LogLevel.Error, "Blade {Name} refused by the engine, stopping: {Reason}")]
    public static partial void Refused(ILogger logger, string name, string reason);

    [LoggerMessage(3117, LogLevel.Warning, "Blade {Name} waits as the engine asks: {Reason}")]
    public static partial void Throttled(ILogger logger, string name, string reason);

    [LoggerMessage(3116, LogLevel.Warning, "Blade {Name}: the engine no longer knows its key ({Reason}); enrolling again with the site's secret")]
    public static partial void KeyForgotten(ILogger logger, string name, string reason);
}
