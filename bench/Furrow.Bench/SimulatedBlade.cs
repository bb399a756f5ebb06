using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>A blade that speaks the real protocol but finishes every command the moment it gets it.</summary>
internal static class SimulatedBlade
{
    /// <summary>Registers, then takes work and reports each command started and exited 0 until <paramref name="stop"/>.</summary>
    public static async Task RunAsync(string engine, string name, int slots, Action<Assignment> onDispatch, CancellationToken stop)
    {
        using var client = new EngineClient(engine);
        var bootId = Guid.NewGuid().ToString("N");
        await client.RegisterBladeAsync(new BladeRegistration(name, "bench-host", slots, "bench", bootId, Environment.ProcessId));
        long seq = 0;
        while (!stop.IsCancellationRequested)
        {
            WorkReply work;
            try
            {
                work = await client.PollWorkAsync(name, new WorkRequest(bootId, slots, 1000), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (work.Assignments.Count == 0)
                continue;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var events = new List<InvocationEvent>();
            foreach (var a in work.Assignments)
            {
                onDispatch(a);
                events.Add(new InvocationEvent(++seq, a.Iid, InvocationEventTypes.Started, now, Pid: 1));
                events.Add(new InvocationEvent(++seq, a.Iid, InvocationEventTypes.Exited, now, ExitCode: 0));
            }
            await client.ReportAsync(name, new BladeReport(bootId, events, [], slots));
        }
    }
}
