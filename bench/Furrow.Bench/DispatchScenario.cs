using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// Throughput: simulated blades speak the real HTTP protocol to a real engine and finish each command at once.
/// Latency: on an idle farm with one real blade process, how long a ready task waits until its command starts.
/// </summary>
internal static class DispatchScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int tasks, int blades, int slots, int latencySamples, string store = "sqlite")
    {
        await using var engine = await BenchEngine.StartAsync(store);
        const int tasksPerJob = 1000;
        for (var spooled = 0; spooled < tasks; spooled += tasksPerJob)
            await engine.Client.SpoolAsync(Jobs.Flat(Math.Min(tasksPerJob, tasks - spooled), "true"), new SpoolOptions("bench", "bench.alf"));

        var finished = 0;
        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var sims = Enumerable.Range(0, blades).Select(i => SimulatedBlade.RunAsync(engine.Engine, $"sim{i:000}", slots, _ =>
        {
            if (Interlocked.Increment(ref finished) >= tasks)
                stop.Cancel();
        }, stop.Token)).ToList();
        await Task.WhenAll(sims);
        var seconds = watch.Elapsed.TotalSeconds;
        var peakRss = engine.PeakRssMb();

        var (p50, p99) = await IdleLatencyAsync(engine, latencySamples);
        return new Dictionary<string, object>
        {
            ["scenario"] = "dispatch",
            ["store"] = store,
            ["tasks"] = tasks,
            ["blades"] = blades,
            ["slots_per_blade"] = slots,
            ["tasks_per_s"] = Math.Round(tasks / seconds, 1),
            ["ready_to_started_p50_ms"] = p50,
            ["ready_to_started_p99_ms"] = p99,
            ["latency_samples"] = latencySamples,
            ["engine_peak_rss_mb"] = Math.Round(peakRss, 1),
        };
    }

    // One real blade, one single-task job at a time: the wait from spool (the task is ready at once) to the start.
    private static async Task<(double P50, double P99)> IdleLatencyAsync(BenchEngine engine, int samples)
    {
        engine.Start("blade", "--engine", engine.Engine, "--name", "real-blade", "--slots", "1");
        var waits = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var jid = (await engine.Client.SpoolAsync(Jobs.Flat(1, "true"), new SpoolOptions("bench", "latency.alf"))).Jid;
            while (true)
            {
                var job = (await engine.Client.JobsAsync($"jid={jid}")).SingleOrDefault();
                if (job is null || job.NumDone == job.NumTasks)
                    break;
                await Task.Delay(5);
            }
            var spool = (await engine.Client.JobsAsync($"jid={jid}", archived: true)).Single().SpoolTime;
            var start = (await engine.Client.InvocationsAsync($"jid={jid}")).Single().StartTime!.Value;
            waits.Add(start - spool);
        }
        waits.Sort();
        return (Percentile(waits, 0.50), Percentile(waits, 0.99));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
