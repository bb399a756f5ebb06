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
/// A blade that speaks the real protocol but finishes every command the moment it gets it, except limited commands when
/// <see cref="SimulatedBladeSetup.LimitedRunMs"/> asks it to hold them for a while (their slots stay taken meanwhile).
/// </summary>
internal static class SimulatedBlade
{
    /// <summary>
    /// Registers, then takes work and reports each command started and exited 0 until <paramref name="stop"/>. Returns the
    /// most limited commands (<see cref="SimulatedBladeSetup.Limited"/>) this blade held at once.
    /// </summary>
    public static async Task<int> RunAsync(string engine, string name, int slots, Action<Assignment> onDispatch, CancellationToken stop,
        SimulatedBladeSetup? setup = null)
    {
        setup ??= SimulatedBladeSetup.Plain;
        using var client = new EngineClient(engine);
        var bootId = Guid.NewGuid().ToString("N");
        await client.RegisterBladeAsync(new BladeRegistration(name, setup.Host, slots, "bench", bootId, Environment.ProcessId, setup.Figures));
        long seq = 0;
        var held = 0;
        var maxHeld = 0;
        var running = new List<(long Iid, long UntilMs)>();
        var events = new List<InvocationEvent>();
        static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (!stop.IsCancellationRequested)
        {
            // Limited commands whose time is up exit now.
            var now = Now();
            foreach (var (iid, _) in running.Where(r => r.UntilMs <= now))
                events.Add(new InvocationEvent(++seq, iid, InvocationEventTypes.Exited, now, ExitCode: 0));
            var ended = running.RemoveAll(r => r.UntilMs <= now);
            held -= ended;
            setup.Meter?.Exit(ended);
            if (events.Count > 0)
            {
                await client.ReportAsync(name, new BladeReport(bootId, events, [.. running.Select(r => r.Iid)], slots - running.Count, setup.Figures));
                events.Clear();
            }

            var free = slots - running.Count;
            var nextEnd = running.Count == 0 ? now + 1000 : running.Min(r => r.UntilMs);
            WorkReply work;
            try
            {
                if (free == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, nextEnd - now)), stop);
                    continue;
                }
                work = await client.PollWorkAsync(name, new WorkRequest(bootId, free, (int)Math.Clamp(nextEnd - now, 1, 1000)), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (work.Assignments.Count == 0)
                continue;
            var limited = setup.Limited is { } isLimited ? work.Assignments.Where(isLimited).Select(a => a.Iid).ToHashSet() : [];
            held += limited.Count;
            setup.Meter?.Enter(limited.Count);
            maxHeld = Math.Max(maxHeld, held);
            now = Now();
            foreach (var a in work.Assignments)
            {
                onDispatch(a);
                events.Add(new InvocationEvent(++seq, a.Iid, InvocationEventTypes.Started, now, Pid: 1));
                if (limited.Contains(a.Iid) && setup.LimitedRunMs > 0)
                    running.Add((a.Iid, now + setup.LimitedRunMs));
                else
                    events.Add(new InvocationEvent(++seq, a.Iid, InvocationEventTypes.Exited, now, ExitCode: 0));
            }
            // Uncounted before the exit report leaves: the engine cannot reuse the limit before it has the report.
            var exitedNow = setup.LimitedRunMs > 0 ? 0 : limited.Count;
            held -= exitedNow;
            setup.Meter?.Exit(exitedNow);
            await client.ReportAsync(name, new BladeReport(bootId, events, [.. running.Select(r => r.Iid)], slots - running.Count, setup.Figures));
            events.Clear();
        }
        return maxHeld;
    }
}
