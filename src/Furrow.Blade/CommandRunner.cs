using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Furrow.Client.Protocol;
using Furrow.Core.Output;

namespace Furrow.Blade;

/// <summary>
/// Runs assigned commands as child processes (argv exec, no shell unless the command itself is a shell; argv words
/// starting with <c>~</c> are expanded as a shell would, <see cref="TildeExpansion"/>), streaming
/// their output (the bytes they print, undecoded) and exit code into the outbox. Children are not tied to the blade's
/// life: an engine restart never touches them. A command that prints Tractor's <c>TR_EXIT_STATUS n</c> (or
/// <c>ALF_EXIT_STATUS n</c>) is reported with that status whatever its process exits with, and is ended if it is still
/// running <see cref="ExitStatusGrace"/> after saying so; each new value of a progress directive (<c>TR_PROGRESS nn%</c>,
/// <c>R90000 nn%</c> ...) is reported as it comes. Each process is noted in the blade's journal while it runs, so a
/// later blade process can find it. A command the blade ends itself (SIGTERM to its process tree, SIGKILL after
/// <see cref="KillGrace"/>) is reported as interrupted, not as exited. What its
/// process tree used (<see cref="ProcessTreeMeter"/>) goes with its exit.
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

    private readonly ConcurrentDictionary<long, Running> _running = new();
    private readonly ProcessTreeMeter _meter = new();
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int RunningCount => _running.Count;

    public IReadOnlyList<long> RunningIids => [.. _running.Keys];

    public Task SlotFreed => Volatile.Read(ref _slotFreed).Task;

    /// <summary>Completes once nothing runs; a command started after that is not waited for.</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (!_running.IsEmpty)
            await SlotFreed.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public void Start(Assignment assignment)
    {
        var running = new Running(assignment);
        if (!_running.TryAdd(assignment.Iid, running))
            return; // the same assignment twice (a resent reply): it already runs
        _ = Task.Run(() => RunAsync(running));
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

    // SIGTERM to every process of the command's tree, then SIGKILL after KillGrace to those same processes that are still
    // there (a renderer's child that ignores SIGTERM, or outlived its parent). Once per command. Without /proc (not
    // Linux) the tree is killed at once.
    private void EndProcessTree(Running running)
    {
        int pid;
        lock (running)
        {
            if (running.Process is not { } process || running.Ending)
                return;
            try
            {
                if (process.HasExited)
                    return;
                pid = process.Id;
                if (!OperatingSystem.IsLinux())
                {
                    process.Kill(entireProcessTree: true);
                    return;
                }
            }
            catch (InvalidOperationException)
            {
                return; // its Process object is already disposed: it has exited
            }
            running.Ending = true;
        }
        if (ProcessIdentity.StartTicks(pid) is { } rootStart)
            _ = ProcessTree.EndAsync(pid, rootStart, KillGrace, clock);
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync(Running running)
    {
        var a = running.Assignment;
        int exitCode;
        try
        {
            exitCode = await BuiltinCommands.TryRunAsync(a, text => Output(running, Encoding.UTF8.GetBytes(text)), () => Started(running, Environment.ProcessId),
                running.Cancelled.Token) ?? await RunProcessAsync(running);
        }
        catch (Exception error) when (error is Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            var why = $"{(a.Argv.Count > 0 ? a.Argv[0] : "(empty command)")}: {error.Message}";
            _meter.Finish(a.Iid);
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Failed, Now, Text: why, ExitCode: 127));
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
        var usage = new ProcessUsage(Stopwatch.GetElapsedTime(running.StartedTimestamp).TotalSeconds, user, system, rss, vsz);
        if (interrupted is not null)
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Interrupted, Now, ExitCode: exitCode, Text: interrupted, Usage: usage));
        else
            outbox.Add(seq => new InvocationEvent(seq, a.Iid, InvocationEventTypes.Exited, Now, ExitCode: exitCode, Usage: usage));
        Finish(running);
    }

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

    private async Task<int> RunProcessAsync(Running running)
    {
        var a = running.Assignment;
        if (a.Argv.Count == 0)
            throw new InvalidOperationException("the command has no argv");
        var info = new ProcessStartInfo(TildeExpansion.Expand(a.Argv[0], UserHomes.Of))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var arg in a.Argv.Skip(1))
            info.ArgumentList.Add(TildeExpansion.Expand(arg, UserHomes.Of));
        if (options.WorkingDirectory is { } cwd)
            info.WorkingDirectory = cwd;
        foreach (var (key, value) in a.Environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;

        using var process = Process.Start(info) ?? throw new InvalidOperationException("the process did not start");
        running.Process = process;
        // The start is stamped before the journal's durable write, which would otherwise add a disk sync to every
        // command's recorded wait.
        Started(running, process.Id);
        if (ProcessIdentity.StartTicks(process.Id) is { } startTicks)
            journal.AddRunning(a.Iid, process.Id, startTicks);
        if (running.Cancelled.IsCancellationRequested)
            EndProcessTree(running); // interrupted while it was being started, before there was a process to end
        _meter.Track(a.Iid, process.Id);
        await Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, running, 0), PumpAsync(process.StandardError.BaseStream, running, 1));
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private void Started(Running running, int pid)
    {
        running.StartedTimestamp = Stopwatch.GetTimestamp();
        outbox.Add(seq => new InvocationEvent(seq, running.Assignment.Iid, InvocationEventTypes.Started, Now, Pid: pid));
    }

    // stream: 0 for stdout, 1 for stderr; each has its own partial line. The bytes are read past the StreamReader the
    // Process made, so nothing is decoded: output that is not UTF-8 reaches the log as it was printed.
    private async Task PumpAsync(Stream output, Running running, int stream)
    {
        var buffer = new byte[8192];
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
            Output(running, buffer.AsSpan(0, read).ToArray(), stream);
    }

    // Offsets count the bytes of everything the invocation printed, so the engine can drop a chunk it already has.
    private void Output(Running running, byte[] data, int stream = 0)
    {
        bool saidStatus;
        lock (running)
        {
            var offset = running.OutputBytes;
            running.OutputBytes += data.Length;
            // Kept on disk too until its result is acknowledged, at its offset; after a write fails (a full disk) no more
            // is kept, so what is kept is always a prefix of what was printed.
            if (!running.OutputKeepFailed)
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
            saidStatus = Found(running, running.Directives[stream], running.Directives[stream].Feed(data)) && !running.EndScheduled;
            if (saidStatus)
                running.EndScheduled = true;
        }
        if (saidStatus)
            _ = EndAfterGraceAsync(running);
    }

    // Takes what a stream's directives found (under the running's lock): the status to report, and a changed progress
    // value, reported at once (the latest wins, whichever stream printed it). Returns true when a status was found.
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
        public Process? Process { get; set; }
        public long OutputBytes { get; set; }
        public long StartedTimestamp { get; set; } = Stopwatch.GetTimestamp();
        public OutputDirectives[] Directives { get; } = [new(), new()];
        public int? ReportedStatus { get; set; }
        public int? Progress { get; set; }
        public bool EndScheduled { get; set; }

        /// <summary>Its output could not be kept in the journal's directory; no more is written there (under the object's lock).</summary>
        public bool OutputKeepFailed { get; set; }

        /// <summary>Where its output is kept beside the journal, open from its first byte until it is over (under the object's lock).</summary>
        public FileStream? KeptOutput { get; set; }

        /// <summary>The blade has begun ending its process tree (under the object's lock).</summary>
        public bool Ending { get; set; }

        /// <summary>Why the blade ended it, when it did (set once, under the object's lock).</summary>
        public string? InterruptedBecause { get; set; }
        public CancellationTokenSource Cancelled { get; } = new();
    }
}
