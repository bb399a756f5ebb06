using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Furrow.Client.Protocol;
using Furrow.Core.Output;
using Furrow.Keeper;

namespace Furrow.Blade;

/// <summary>
/// Runs assigned commands as processes its command keeper starts (<see cref="KeeperClient"/>: argv exec, no shell unless
/// the command itself is a shell; argv words starting with <c>~</c> are expanded as a shell would, <see cref="TildeExpansion"/>),
/// and follows each one's output (the bytes it prints, undecoded, appended by the process itself to <c>output/IID</c> in
/// the journal's directory) and exit code into the outbox. Commands are not tied to the blade's life: the keeper stays
/// their parent when the blade process ends, and the next blade process adopts those still its own (<see cref="Adopt"/>).
/// A command that prints Tractor's <c>TR_EXIT_STATUS n</c> (or <c>ALF_EXIT_STATUS n</c>) is reported with that status
/// whatever its process exits with, and is ended if it is still running <see cref="ExitStatusGrace"/> after saying so;
/// each new value of a progress directive (<c>TR_PROGRESS nn%</c>, <c>R90000 nn%</c> ...) is reported as it comes. Each
/// process is noted in the blade's journal while it runs. A command the blade ends itself (SIGTERM to its process tree,
/// SIGKILL after <see cref="KillGrace"/>) is reported as interrupted, not as exited. What its process tree used (the
/// keeper's account of the process and the children it reaped, and <see cref="ProcessTreeMeter"/>'s samples of the whole
/// tree) goes with its exit.
/// </summary>
internal sealed class CommandRunner(Outbox outbox, BladeJournal journal, BladeOptions options, TimeProvider clock)
{
    /// <summary>How long a command may go on after printing its exit status before its process tree is ended.</summary>
    public static readonly TimeSpan ExitStatusGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a command's processes have to end after SIGTERM before SIGKILL, when the blade ends it: long enough for a
    /// renderer to remove its temp files and give back its licence, short enough for a blade stopped by a service manager
    /// (whose own limit is typically 90 s) to deliver its results before it is killed.
    /// </summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two looks at a running command's output file when it printed nothing new.</summary>
    public static readonly TimeSpan OutputPollMax = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<long, Running> _running = new();
    // Exits the keeper tells of before this blade process has taken over what an earlier one left (it does so at its first
    // registration, which lasts as long as the engine is away): kept for Adopt, not acknowledged, so the keeper's word is
    // the only copy of an exit code for no longer than that. Null once the take-over is done.
    private Dictionary<long, KeeperMessage>? _heldExits = [];
    private readonly Lock _heldExitsGate = new();
    private readonly ProcessTreeMeter _meter = new();
    private readonly OwnerSwitch? _ownerSwitch = options.RunAs == RunAs.Owner ? new OwnerSwitch(OwnerSwitch.FindSetpriv(), options.Name) : null;
    private readonly SemaphoreSlim _keeperGate = new(1, 1);
    private KeeperClient? _keeper;
    // The keeper this blade process connected to first: the one whose commands it may adopt (its State is what was left).
    private KeeperClient? _firstKeeper;
    private volatile bool _outputDirectoryMade;
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int RunningCount => _running.Count;

    /// <summary>The slots the running commands hold (a command given <c>-atleast 2</c> holds two).</summary>
    public int UsedSlots => _running.Values.Sum(r => Math.Max(1, r.Assignment.Slots));

    public IReadOnlyList<long> RunningIids => [.. _running.Keys];

    public Task SlotFreed => Volatile.Read(ref _slotFreed).Task;

    /// <summary>
    /// The keeper's connection, made (and the keeper started) when there is none; what it held when this blade process
    /// first connected is in its <see cref="KeeperClient.State"/>.
    /// </summary>
    /// <exception cref="IOException">No keeper could be started (the message says why).</exception>
    public async Task<KeeperClient> KeeperAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _keeper) is { } keeper)
            return keeper;
        await _keeperGate.WaitAsync(cancellationToken);
        try
        {
            if (_keeper is not null)
                return _keeper;
            var directory = Path.GetDirectoryName(journal.FilePath)!;
            keeper = await KeeperClient.ConnectAsync(directory, options.WorkingDirectory, Exited, cancellationToken);
            _ = keeper.Closed.ContinueWith(_ => KeeperLost(keeper), TaskScheduler.Default);
            Volatile.Write(ref _keeper, keeper);
            _firstKeeper ??= keeper;
            return keeper;
        }
        finally
        {
            _keeperGate.Release();
        }
    }

    /// <summary>Closes the connection to the keeper (a blade that stops); the keeper ends once it holds nothing more.</summary>
    public async Task DisconnectAsync()
    {
        if (Interlocked.Exchange(ref _keeper, null) is { } keeper)
            await keeper.DisposeAsync();
    }

    /// <summary>Completes once nothing runs; a command started after that is not waited for.</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (!_running.IsEmpty)
            await Waits.ForOrTimeoutAsync(SlotFreed, 1000, cancellationToken);
    }

    public void Start(Assignment assignment)
    {
        var running = new Running(assignment);
        if (!_running.TryAdd(assignment.Iid, running))
            return; // the same assignment twice (a resent reply): it already runs
        _ = Task.Run(() => RunAsync(running));
    }

    /// <summary>
    /// Takes on a command an earlier blade process started, which the keeper still runs (or ran: <paramref name="exited"/>)
    /// and the engine still counts as this blade's: its output is followed from its first byte (the engine skips what its
    /// log has), and its exit is reported as if this process had started it.
    /// </summary>
    public void Adopt(long iid, int pid, long? startedMs, KeeperMessage? exited)
    {
        var running = new Running(new Assignment(iid, 0, 0, 0, "", [], "adopted", null)) { Pid = pid, Adopted = true, StartedMs = startedMs };
        running.StartTicks = ProcessIdentity.StartTicks(pid);
        lock (_heldExitsGate)
        {
            if (_running.ContainsKey(iid))
                return;
            // It may have ended since the keeper's state was read: its exit came while no one here followed it.
            if (exited is null && _heldExits is { } held && held.Remove(iid, out var came))
                exited = came;
            if (exited is not null)
                running.Exit.TrySetResult(exited);
            _running[iid] = running;
        }
        // The keeper that runs it went away before this adoption (a new one may run since, which does not know it): its
        // exit code cannot come, so it is ended and reported as lost, as KeeperLost does for those it finds running.
        if (exited is null && Volatile.Read(ref _firstKeeper) is not { Closed.IsCompleted: false })
            EndAsLost(running);
        _ = Task.Run(() => RunAsync(running));
    }

    /// <summary>
    /// Ends the take-over of what an earlier blade process left (<see cref="Adopt"/> has been called for each command still
    /// this blade's): from now on an exit of a command no one runs is told to the keeper as not wanted, and so are those
    /// held meanwhile that were not adopted.
    /// </summary>
    public void EndTakeOver()
    {
        Dictionary<long, KeeperMessage>? held;
        lock (_heldExitsGate)
            (held, _heldExits) = (_heldExits, null);
        if (held is not null && Volatile.Read(ref _keeper) is { } keeper)
            foreach (var iid in held.Keys)
                _ = keeper.AcknowledgeAsync(iid);
    }

    /// <summary>Stops an invocation the engine no longer wants (retried, skipped, deleted, or given to another blade).</summary>
    public void Cancel(long iid)
    {
        if (_running.TryGetValue(iid, out var running))
            Interrupt(running, "the engine asked the blade to stop it");
    }

    /// <summary>Ends every running command with its process tree; each is reported as interrupted with <paramref name="why"/>.</summary>
    public void InterruptAll(string why)
    {
        foreach (var running in _running.Values)
            Interrupt(running, why);
    }

    /// <summary>Reports an assignment the blade will not run (it is stopping) as interrupted, so the engine requeues it at once.</summary>
    public void Decline(Assignment assignment, string why) =>
        outbox.Add(seq => new InvocationEvent(seq, assignment.Iid, InvocationEventTypes.Interrupted, Now, Text: why));

    private void Interrupt(Running running, string why)
    {
        lock (running)
            running.InterruptedBecause ??= why;
        running.Cancelled.Cancel();
        EndProcessTree(running);
    }

    // A command ended, or one this blade process does not run (an earlier process's, which the engine gave elsewhere):
    // that exit is not wanted, and the keeper may forget it. Until the take-over is done, one no one runs may be a command
    // about to be adopted, so its exit is held for that.
    private void Exited(KeeperMessage exited)
    {
        lock (_heldExitsGate)
        {
            if (_running.TryGetValue(exited.Iid, out var running))
            {
                running.Exit.TrySetResult(exited);
                return;
            }
            if (_heldExits is { } held)
            {
                held[exited.Iid] = exited;
                return;
            }
        }
        if (Volatile.Read(ref _keeper) is { } keeper)
            _ = keeper.AcknowledgeAsync(exited.Iid);
    }

    // The keeper went away (killed): the commands it started have lost their parent, and their exit codes with it. Each
    // is ended with its process tree and reported as interrupted, so its task runs again; the next start makes a new keeper.
    private void KeeperLost(KeeperClient keeper)
    {
        if (Interlocked.CompareExchange(ref _keeper, null, keeper) != keeper)
            return;
        foreach (var running in _running.Values)
        {
            if (running.Pid is null || running.Exit.Task.IsCompleted)
                continue;
            EndAsLost(running);
        }
    }

    // A command whose keeper is gone: it is ended with its process tree and reported interrupted, its exit code lost.
    private void EndAsLost(Running running)
    {
        Interrupt(running, "the blade's command keeper ended; the command's exit code was lost");
        running.Exit.TrySetResult(new KeeperMessage(KeeperMessage.ExitedOp, running.Assignment.Iid, ExitCode: -1));
    }

    // SIGTERM to every process of the command's tree, then SIGKILL after KillGrace to those same processes that are still
    // there (a renderer's child that ignores SIGTERM, or outlived its parent). Once per command.
    private void EndProcessTree(Running running)
    {
        int pid;
        ulong start;
        lock (running)
        {
            if (running.Pid is not { } p || running.StartTicks is not { } s || running.Ending || running.Exit.Task.IsCompleted)
                return;
            running.Ending = true;
            (pid, start) = (p, s);
        }
        _ = ProcessTree.EndAsync(pid, start, KillGrace, clock);
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync(Running running)
    {
        var a = running.Assignment;
        int exitCode;
        KeeperMessage? exit = null;
        try
        {
            if (running.Adopted)
            {
                Started(running, running.Pid!.Value);
                _meter.Track(a.Iid, running.Pid.Value);
                exit = await FollowAsync(running);
                exitCode = exit.ExitCode ?? -1;
            }
            else if (_ownerSwitch is not null && BuiltinCommands.FileDeletePaths(a) is { } paths)
            {
                // Deleting files for a job is done as its owner too, by a process, never by the blade itself as root.
                exit = await RunProcessAsync(running, a with { Argv = ["/bin/sh", "-c", DeleteAsOwnerScript, "sh", .. paths], Kind = "cmd" });
                exitCode = exit.ExitCode ?? -1;
            }
            else if (await BuiltinCommands.TryRunAsync(a, text => Output(running, Encoding.UTF8.GetBytes(text)), () => Started(running, Environment.ProcessId),
                running.Cancelled.Token) is { } builtinCode)
                exitCode = builtinCode;
            else
            {
                exit = await RunProcessAsync(running, a);
                exitCode = exit.ExitCode ?? -1;
            }
        }
        catch (Exception error) when (error is CommandNotStartedException or IOException or UnauthorizedAccessException)
        {
            var why = error is CommandNotStartedException { NamesProgram: false } ? error.Message
                : $"{(a.Argv.Count > 0 ? a.Argv[0] : "(empty command)")}: {error.Message}";
            _meter.Finish(a.Iid);
            var code = error is CommandNotStartedException notStarted ? notStarted.ExitCode : 127;
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Failed, Now, Text: why, ExitCode: code));
            Finish(running);
            return;
        }
        catch (OperationCanceledException) when (running.Cancelled.IsCancellationRequested)
        {
            exitCode = -1; // a built-in command stopped by an interruption, reported below
        }
        string? interrupted;
        lock (running)
        {
            foreach (var directives in running.Directives)
                Found(running, directives, directives.Finish());
            exitCode = running.ReportedStatus ?? exitCode;
            interrupted = running.ReportedStatus is null ? running.InterruptedBecause : null;
        }
        var (user, system, rss, vsz) = _meter.Finish(a.Iid);
        // The keeper's account covers the process and every child it waited for, to its end; the samples cover the
        // whole tree, children still running included, but only up to the last one.
        // The keeper's times when it has them: they hold for a command that ended while no blade process ran.
        var elapsed = exit is { StartedMs: { } from, EndedMs: { } to } ? (to - from) / 1000.0
            : Stopwatch.GetElapsedTime(running.StartedTimestamp).TotalSeconds;
        var stopped = exit?.EndedMs ?? Now;
        var peakRss = Max(rss, exit?.MaxRssBytes);
        // The keeper's peak RSS is the kernel's exact one; the virtual size is only sampled, and a peak between two samples
        // (a short child's) is missed. Resident pages are part of the virtual size, so the exact RSS peak is a floor for it.
        var usage = new ProcessUsage(elapsed, Max(user, exit?.UserSecs), Max(system, exit?.SystemSecs), peakRss, vsz is null ? null : Max(vsz, peakRss));
        if (interrupted is not null)
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Interrupted, stopped, ExitCode: exitCode, Text: interrupted, Usage: usage));
        else
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Exited, stopped, ExitCode: exitCode, Usage: usage));
        // The result is in the journal now (the outbox put it there): the keeper need not keep it any longer.
        if (exit is not null && Volatile.Read(ref _keeper) is { } keeper)
            _ = keeper.AcknowledgeAsync(a.Iid);
        Finish(running);
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private void Finish(Running running)
    {
        lock (running)
        {
            running.KeptOutput?.Dispose();
            running.KeptOutput = null;
            running.OutputKeepFailed = true; // nothing more is kept for it
        }
        _running.TryRemove(running.Assignment.Iid, out _);
        Interlocked.Exchange(ref _slotFreed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    // Running a job's `File delete PATH...` as its owner: each path removed as rm -rf would, and named as the built-in does.
    private const string DeleteAsOwnerScript = """
        rc=0
        for p; do if rm -rf -- "$p"; then echo "deleted $p"; else rc=1; fi; done
        exit $rc
        """;

    // Runs `a` (the running's assignment, or what stands for it) as a process the keeper starts; as the job's owner when
    // the blade switches users (OwnerSwitch), with that account's home for a bare ~ and its HOME, USER and LOGNAME, which
    // the command's own environment may still set.
    private async Task<KeeperMessage> RunProcessAsync(Running running, Assignment a)
    {
        if (a.Argv.Count == 0)
            throw new CommandNotStartedException(127, "the command has no argv");
        var account = _ownerSwitch?.AccountOf(a.Owner);
        var argv = a.Argv.Select(word => TildeExpansion.Expand(word, name => name is null && account is not null ? account.Home : UserHomes.Of(name))).ToList();
        var variables = new Dictionary<string, string>(account is null ? [] : OwnerSwitch.Identity(account), StringComparer.Ordinal);
        foreach (var (name, value) in a.Environment ?? new Dictionary<string, string>())
            variables[name] = value;
        var environment = variables.Select(e => $"{e.Key}={e.Value}").ToList();
        var path = ProgramPath.Resolve(argv[0], a.Environment is { } env && env.TryGetValue("PATH", out var p) ? p : Environment.GetEnvironmentVariable("PATH"),
            options.WorkingDirectory);
        if (account is not null)
            (path, argv) = _ownerSwitch!.Wrap(account, path, argv);
        if (!_outputDirectoryMade)
        {
            journal.EnsureOutputDirectory();
            _outputDirectoryMade = true;
        }
        var keeper = await KeeperAsync(CancellationToken.None);
        var reply = await keeper.RunAsync(a.Iid, path, argv, environment, journal.OutputPath(a.Iid));
        if (reply.Op != KeeperMessage.Started && !Directory.Exists(Path.GetDirectoryName(journal.OutputPath(a.Iid))))
        {
            journal.EnsureOutputDirectory(); // removed by hand while the blade ran
            reply = await keeper.RunAsync(a.Iid, path, argv, environment, journal.OutputPath(a.Iid));
        }
        if (reply.Op != KeeperMessage.Started)
            throw new CommandNotStartedException(reply.Errno is 13 or 8 ? 126 : 127, reply.Error ?? "the command did not start");
        lock (running)
        {
            running.Pid = reply.Pid;
            running.StartTicks = ProcessIdentity.StartTicks(reply.Pid);
            running.StartedMs = reply.StartedMs;
        }
        // The start is stamped before the journal's write, which would otherwise add to every command's recorded wait.
        Started(running, reply.Pid);
        if (running.StartTicks is { } startTicks)
            journal.AddRunning(a.Iid, reply.Pid, startTicks);
        if (running.Cancelled.IsCancellationRequested)
            EndProcessTree(running); // interrupted while it was being started, before there was a process to end
        _meter.Track(a.Iid, reply.Pid);
        return await FollowAsync(running);
    }

    // Reads what the command appends to its output file as it comes, looking again soon after it printed and less often
    // while it is quiet, until the keeper says it ended; then reads the rest.
    private async Task<KeeperMessage> FollowAsync(Running running)
    {
        var path = journal.OutputPath(running.Assignment.Iid);
        FileStream? file = null;
        var buffer = new byte[32 * 1024];
        var wait = TimeSpan.FromMilliseconds(10);
        try
        {
            while (true)
            {
                var ended = running.Exit.Task.IsCompleted;
                // A command that ended having printed nothing (the common quick one) costs one stat, not an open.
                if (file is null && !(ended && OutputLength(path) == 0))
                    file = OpenToFollow(path);
                var printed = false;
                int read;
                while (file is not null && (read = file.Read(buffer)) > 0)
                {
                    Output(running, buffer.AsSpan(0, read).ToArray());
                    printed = true;
                }
                if (ended)
                    return running.Exit.Task.Result;
                wait = printed ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, OutputPollMax.Ticks));
                // The timer goes as soon as the command ends, not when it fires.
                await ((Task)running.Exit.Task).WaitAsync(wait, clock).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            file?.Dispose();
        }
    }

    private static long OutputLength(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : 0;
    }

    private static FileStream? OpenToFollow(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (FileNotFoundException)
        {
            return null; // nothing printed yet by a command adopted before its first byte, or its file was removed
        }
    }

    // An adopted command's start is the keeper's (the engine keeps the first start it hears of anyway).
    private void Started(Running running, int pid)
    {
        running.StartedTimestamp = Stopwatch.GetTimestamp();
        var at = running.StartedMs ?? Now;
        outbox.Add(seq => new InvocationEvent(seq, running.Assignment.Iid, InvocationEventTypes.Started, at, Pid: pid));
    }

    // Offsets count the bytes of everything the invocation printed, so the engine can drop a chunk it already has.
    private void Output(Running running, byte[] data)
    {
        bool saidStatus;
        lock (running)
        {
            var offset = running.OutputBytes;
            running.OutputBytes += data.Length;
            // A built-in command's output is kept on disk here, at its offset, until its result is acknowledged (a
            // process appends its own to that file); after a write fails (a full disk) no more is kept, so what is kept is
            // always a prefix of what was printed.
            if (running.Pid is null && !running.OutputKeepFailed)
            {
                try
                {
                    running.KeptOutput ??= journal.OpenOutput(running.Assignment.Iid);
                    running.KeptOutput.Write(data);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    running.OutputKeepFailed = true;
                }
            }
            outbox.Add(seq => new InvocationEvent(seq, running.Assignment.Iid, InvocationEventTypes.Output, Now, Offset: offset, Data: data));
            saidStatus = Found(running, running.Directives[0], running.Directives[0].Feed(data)) && !running.EndScheduled;
            if (saidStatus)
                running.EndScheduled = true;
        }
        if (saidStatus)
            _ = EndAfterGraceAsync(running);
    }

    // Takes what the directives found (under the running's lock): the status to report, and a changed progress value,
    // reported at once. Returns true when a status was found.
    private bool Found(Running running, OutputDirectives directives, DirectivesFound found)
    {
        if (found.HasFlag(DirectivesFound.ExitStatus))
            running.ReportedStatus = directives.ExitStatus;
        if (found.HasFlag(DirectivesFound.Progress) && directives.Progress is { } progress && progress != running.Progress)
        {
            running.Progress = progress;
            outbox.Add(seq => new InvocationEvent(seq, running.Assignment.Iid, InvocationEventTypes.Progress, Now, Progress: progress));
        }
        return found.HasFlag(DirectivesFound.ExitStatus);
    }

    // The command has said how it ended; if it lingers (a renderer waiting on a licence server, a stuck child), end it.
    private async Task EndAfterGraceAsync(Running running)
    {
        await Task.Delay(ExitStatusGrace, clock).ConfigureAwait(false);
        EndProcessTree(running);
    }

    private sealed class Running(Assignment assignment)
    {
        public Assignment Assignment { get; } = assignment;

        /// <summary>The command's process, once the keeper started it (under the object's lock); null for a built-in command.</summary>
        public int? Pid { get; set; }

        /// <summary>Its process's start time (<see cref="ProcessIdentity"/>), so a later process with its pid is never signalled.</summary>
        public ulong? StartTicks { get; set; }

        /// <summary>Started by an earlier blade process and taken on by this one.</summary>
        public bool Adopted { get; init; }

        /// <summary>When the keeper started its process (Unix ms), once known.</summary>
        public long? StartedMs { get; set; }

        /// <summary>Completes with the keeper's <c>exited</c> message when the process has ended.</summary>
        public TaskCompletionSource<KeeperMessage> Exit { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long OutputBytes { get; set; }
        public long StartedTimestamp { get; set; } = Stopwatch.GetTimestamp();

        // One stream: a process's stdout and stderr go to one file, in the order it wrote them.
        public OutputDirectives[] Directives { get; } = [new()];
        public int? ReportedStatus { get; set; }
        public int? Progress { get; set; }
        public bool EndScheduled { get; set; }

        /// <summary>Its output could not be kept in the journal's directory; no more is written there (under the object's lock).</summary>
        public bool OutputKeepFailed { get; set; }

        /// <summary>Where a built-in command's output is kept beside the journal (under the object's lock).</summary>
        public FileStream? KeptOutput { get; set; }

        /// <summary>The blade has begun ending its process tree (under the object's lock).</summary>
        public bool Ending { get; set; }

        /// <summary>Why the blade ended it, when it did (set once, under the object's lock).</summary>
        public string? InterruptedBecause { get; set; }
        public CancellationTokenSource Cancelled { get; } = new();
    }
}

/// <summary>A command whose process could not be started; <see cref="ExitCode"/> is what a shell would report (127 not found, 126 not executable).</summary>
internal sealed class CommandNotStartedException(int exitCode, string message, bool namesProgram = true) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Whether the message is about the program (and is reported after its name), not about who would run it.</summary>
    public bool NamesProgram { get; } = namesProgram;
}
