using System.Diagnostics;
using System.Globalization;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// A farm at scale (<c>scale</c>): one engine with <c>--blades</c> registered blades (10,000; registered only, as a night's
/// idle farm that checks in now and then) and <c>--tasks</c> waiting tasks (1,000,000, in jobs of 100,000). Prints:
/// <list type="bullet">
/// <item>the engine's CPU per dispatch and dispatches per second with few waiting tasks (one job of 10,000) and again with
/// all of them waiting: 50 simulated blades of 4 slots take <c>--samples</c> commands (5,000) each time and finish each
/// at once, so a scheduler whose cost grows with the queue shows as the second figure growing;</item>
/// <item>how long each 100,000-task spool took (the slowest);</item>
/// <item>the engine's RSS with the blades registered, with every task waiting, its peak, and 30 s after every job was
/// deleted (memory should follow unfinished work).</item>
/// </list>
/// </summary>
internal static class ScaleScenario
{
    private const int JobSize = 100_000;

    public static async Task<Dictionary<string, object>> RunAsync(int tasks, int blades, int samples)
    {
        if (tasks < 1 || blades < 0 || samples < 1)
            throw new ArgumentException("scale needs --tasks and --samples of 1 or more and --blades of 0 or more");
        await using var engine = await BenchEngine.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = Timeout.InfiniteTimeSpan };
        using var client = engine.BladeClient(http);
        var rssEmpty = BladeScenario.RssMb(engine.EngineProcess.Id);

        using (var registering = new SemaphoreSlim(32))
        {
            await Task.WhenAll(Enumerable.Range(1, blades).Select(async i =>
            {
                await registering.WaitAsync();
                try
                {
                    await client.RegisterBladeAsync(new BladeRegistration("idle-" + i.ToString("D5", CultureInfo.InvariantCulture), "idle-host-" + i, 8,
                        "bench", Guid.NewGuid().ToString("N"), Environment.ProcessId, SimulatedBladeSetup.RenderNode));
                }
                finally
                {
                    registering.Release();
                }
            }));
        }
        var rssBlades = BladeScenario.RssMb(engine.EngineProcess.Id);

        var small = await SpoolAsync(client, Math.Min(10_000, tasks));
        var (fewCpuMs, fewRate) = await DispatchAsync(engine, samples);
        await DeleteAsync(client, [small.Jid]);

        var jids = new List<long>();
        var slowestSpool = 0.0;
        for (var spooled = 0; spooled < tasks; spooled += JobSize)
        {
            var (jid, ms) = await SpoolAsync(client, Math.Min(JobSize, tasks - spooled));
            jids.Add(jid);
            slowestSpool = Math.Max(slowestSpool, ms);
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        var rssLoaded = BladeScenario.RssMb(engine.EngineProcess.Id);
        var (manyCpuMs, manyRate) = await DispatchAsync(engine, samples);
        var rssPeak = engine.PeakRssMb();

        await DeleteAsync(client, jids);
        await Task.Delay(TimeSpan.FromSeconds(30));
        var rssAfter = BladeScenario.RssMb(engine.EngineProcess.Id);
        return new Dictionary<string, object>
        {
            ["scenario"] = "scale",
            ["blades"] = blades,
            ["tasks"] = tasks,
            ["samples"] = samples,
            ["engine_cpu_ms_per_dispatch_10k_waiting"] = fewCpuMs,
            ["engine_cpu_ms_per_dispatch_all_waiting"] = manyCpuMs,
            ["dispatches_per_s_10k_waiting"] = fewRate,
            ["dispatches_per_s_all_waiting"] = manyRate,
            ["slowest_100k_spool_ms"] = Math.Round(slowestSpool, 1),
            ["engine_rss_mb_empty"] = Math.Round(rssEmpty, 1),
            ["engine_rss_mb_blades"] = Math.Round(rssBlades, 1),
            ["engine_rss_mb_all_waiting"] = Math.Round(rssLoaded, 1),
            ["engine_peak_rss_mb"] = Math.Round(rssPeak, 1),
            ["engine_rss_mb_30s_after_delete"] = Math.Round(rssAfter, 1),
        };
    }

    private static async Task<(long Jid, double Ms)> SpoolAsync(EngineClient client, int count)
    {
        var watch = Stopwatch.StartNew();
        var reply = await client.SpoolAsync(Jobs.Flat(count, "true"), new SpoolOptions("bench", "scale.alf"));
        if (reply.Rc != 0)
            throw new InvalidOperationException($"spool refused: {reply.Msg}");
        return (reply.Jid, watch.Elapsed.TotalMilliseconds);
    }

    private static async Task DeleteAsync(EngineClient client, IReadOnlyList<long> jids)
    {
        foreach (var jid in jids)
        {
            var reply = await client.OperateAsync("delete", $"jid={jid}", "bench", force: true);
            if (reply.Affected != 1)
                throw new InvalidOperationException($"delete J{jid} did not delete it: {string.Join("; ", reply.Refused)}");
        }
    }

    // 50 simulated blades of 4 slots take `samples` commands: the engine's CPU per dispatch (ms) and dispatches per second.
    private static async Task<(double CpuMs, double Rate)> DispatchAsync(BenchEngine engine, int samples)
    {
        var taken = 0;
        using var stop = new CancellationTokenSource();
        var cpuBefore = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id);
        var watch = Stopwatch.StartNew();
        var sims = Enumerable.Range(1, 50).Select(i => SimulatedBlade.RunAsync(engine, "sim-" + i, 4, _ =>
        {
            if (Interlocked.Increment(ref taken) == samples)
                stop.Cancel();
        }, stop.Token)).ToList();
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(5), stop.Token);
            throw new TimeoutException($"only {taken} of {samples} commands were dispatched in 5 minutes");
        }
        catch (OperationCanceledException)
        {
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var cpu = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id) - cpuBefore;
        await Task.WhenAll(sims);
        return (Math.Round(cpu * 1000 / samples, 3), Math.Round(samples / seconds, 1));
    }
}
