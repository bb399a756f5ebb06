using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>How a simulated blade presents itself, and which of its commands it counts as holding a limit.</summary>
/// <param name="Host">The host it registers under; the engine's per-host (BladeMax) limit counts go by it.</param>
/// <param name="Figures">Machine figures sent with registration and every report, or null to send none.</param>
/// <param name="Limited">Which assignments count against the limit being watched, or null for none.</param>
/// <param name="Meter">Farm-wide count of limited commands held by all simulated blades at once.</param>
/// <param name="LimitedRunMs">How long a limited command "runs" before its exit is reported (0: at once, as every other command).</param>
internal sealed record SimulatedBladeSetup(string Host, BladeFigures? Figures, Func<Assignment, bool>? Limited, ConcurrencyMeter? Meter,
    int LimitedRunMs = 0)
{
    /// <summary>Where the blade records how long its polls that brought work and its reports took, or null.</summary>
    public RoundTrips? RoundTrips { get; init; }

    public static SimulatedBladeSetup Plain { get; } = new("bench-host", null, null, null);

    /// <summary>Plausible fixed figures of a render node: 16 cores (so a profile's MaxSlots 0 does not cut the slots), light load.</summary>
    public static BladeFigures RenderNode { get; } = new(16, 64, 48, 500, 0.5, "linux", "Linux (simulated bench blade)");
}

/// <summary>
/// Commands held at once, as the simulated blades see them: counted up when a blade receives an assignment and down just
/// before it sends the exit report. The engine acquires a limit before it replies and can release it only after that
/// report arrives, so this count never exceeds what the engine holds: a maximum above a cap is a real breach.
/// </summary>
internal sealed class ConcurrencyMeter
{
    private int _now;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public void Enter(int count)
    {
        var now = Interlocked.Add(ref _now, count);
        int max;
        while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
        {
        }
    }

    public void Exit(int count) => Interlocked.Add(ref _now, -count);
}

/// <summary>
/// How long the engine took to answer, in ms: polls that brought work (the engine commits the assignment before it
/// replies) and reports (it commits the events before it acknowledges them). Under load these are the engine's commit
/// latency, which a command holding a limit waits on twice.
/// </summary>
internal sealed class RoundTrips
{
    private readonly List<double> _polls = [];
    private readonly List<double> _reports = [];

    public void Poll(double ms)
    {
        lock (_polls)
            _polls.Add(ms);
    }

    public void Report(double ms)
    {
        lock (_reports)
            _reports.Add(ms);
    }

    /// <summary>The median and 90th percentile of each, in ms (0 when none).</summary>
    public (double PollP50, double PollP90, double ReportP50, double ReportP90) Percentiles()
    {
        static double At(List<double> all, double q)
        {
            lock (all)
            {
                if (all.Count == 0)
                    return 0;
                var sorted = all.Order().ToList();
                return Math.Round(sorted[(int)Math.Min(sorted.Count - 1, q * sorted.Count)], 1);
            }
        }

        return (At(_polls, 0.5), At(_polls, 0.9), At(_reports, 0.5), At(_reports, 0.9));
    }
}

/// <summary>
/// A blade that speaks the real protocol as the real blade does, with a work loop (poll, start what it is given) and a
/// report loop (send the events not yet acknowledged as soon as there are any) running side by side. Every command
/// finishes the moment it starts, except limited commands when <see cref="SimulatedBladeSetup.LimitedRunMs"/> asks it to
/// hold them for a while (their slots stay taken meanwhile, and their exits are reported when the time is up).
/// </summary>
internal static class SimulatedBlade
{
    /// <summary>
    /// Registers, then takes work and reports each command started and exited 0 until <paramref name="stop"/>. Returns the
    /// most limited commands (<see cref="SimulatedBladeSetup.Limited"/>) this blade held at once.
    /// </summary>
    public static async Task<int> RunAsync(BenchEngine engine, string name, int slots, Action<Assignment> onDispatch, CancellationToken stop,
        SimulatedBladeSetup? setup = null)
    {
        setup ??= SimulatedBladeSetup.Plain;
        using var client = engine.BladeClient();
        var bootId = Guid.NewGuid().ToString("N");
        await client.RegisterBladeAsync(new BladeRegistration(name, setup.Host, slots, "bench", bootId, Environment.ProcessId, setup.Figures));
        var state = new SimState();
        using var bothStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var reporting = ReportLoopAsync(client, name, bootId, slots, setup, state, bothStop.Token);
        try
        {
            await WorkLoopAsync(client, name, bootId, slots, onDispatch, setup, state, stop);
        }
        finally
        {
            await bothStop.CancelAsync();
            await reporting;
        }
        return state.MaxHeld;
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static async Task WorkLoopAsync(EngineClient client, string name, string bootId, int slots, Action<Assignment> onDispatch,
        SimulatedBladeSetup setup, SimState state, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            int free;
            Task slotFreed;
            lock (state)
            {
                free = slots - state.Holding.Count;
                slotFreed = state.SlotFreed.Task;
            }
            WorkReply work;
            try
            {
                if (free == 0)
                {
                    await slotFreed.WaitAsync(stop);
                    continue;
                }
                var asked = System.Diagnostics.Stopwatch.GetTimestamp();
                work = await client.PollWorkAsync(name, new WorkRequest(bootId, free, 1000), stop);
                if (work.Assignments.Count > 0)
                    setup.RoundTrips?.Poll(System.Diagnostics.Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (work.Assignments.Count == 0)
                continue;
            var now = Now();
            lock (state)
            {
                foreach (var a in work.Assignments)
                {
                    onDispatch(a);
                    state.Events.Add(new InvocationEvent(++state.Seq, a.Iid, InvocationEventTypes.Started, now, Pid: 1));
                    var limited = setup.Limited?.Invoke(a) == true;
                    if (limited)
                    {
                        setup.Meter?.Enter(1);
                        state.Held++;
                        state.MaxHeld = Math.Max(state.MaxHeld, state.Held);
                    }
                    if (limited && setup.LimitedRunMs > 0)
                        state.Holding.Add((a.Iid, now + setup.LimitedRunMs));
                    else
                        state.Exit(a.Iid, now, limited);
                }
                state.Changed.TrySetResult();
            }
        }
    }

    private static async Task ReportLoopAsync(EngineClient client, string name, string bootId, int slots, SimulatedBladeSetup setup,
        SimState state, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            List<InvocationEvent> events;
            List<long> running;
            Task changed;
            long wait;
            int exitingLimited;
            lock (state)
            {
                // Held commands whose time is up exit now.
                var now = Now();
                foreach (var (iid, _) in state.Holding.Where(h => h.UntilMs <= now).ToList())
                {
                    state.Holding.RemoveAll(h => h.Iid == iid);
                    state.Exit(iid, now, limited: true);
                    state.SlotFreed.TrySetResult();
                    state.SlotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                events = [.. state.Events];
                running = [.. state.Holding.Select(h => h.Iid)];
                exitingLimited = state.LimitedExitsPending;
                if (state.Changed.Task.IsCompleted)
                    state.Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = state.Changed.Task;
                wait = state.Holding.Count == 0 ? 1000 : Math.Max(1, state.Holding.Min(h => h.UntilMs) - now);
            }
            try
            {
                if (events.Count == 0)
                {
                    await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(wait), stop));
                    continue;
                }
                // Uncounted before the exit report leaves: the engine cannot reuse the limit before it has the report.
                setup.Meter?.Exit(exitingLimited);
                lock (state)
                {
                    state.LimitedExitsPending -= exitingLimited;
                    state.Held -= exitingLimited;
                }
                var sent = System.Diagnostics.Stopwatch.GetTimestamp();
                var reply = await client.ReportAsync(name, new BladeReport(bootId, events, running, slots - running.Count, setup.Figures), stop);
                setup.RoundTrips?.Report(System.Diagnostics.Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                lock (state)
                    state.Events.RemoveAll(e => e.Seq <= reply.AckedSeq);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private sealed class SimState
    {
        public long Seq;
        public int Held;
        public int MaxHeld;
        public int LimitedExitsPending;
        public List<InvocationEvent> Events { get; } = [];
        public List<(long Iid, long UntilMs)> Holding { get; } = [];
        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource SlotFreed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Exit(long iid, long now, bool limited)
        {
            Events.Add(new InvocationEvent(++Seq, iid, InvocationEventTypes.Exited, now, ExitCode: 0));
            if (limited)
                LimitedExitsPending++;
        }
    }
}
