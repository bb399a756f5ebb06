using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>Upgrade by restart: with many tasks in the database, how long from engine start to the first dispatch.</summary>
internal static class RestartScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int tasks)
    {
        await using var engine = await BenchEngine.StartAsync();
        const int perJob = 1000;
        for (var spooled = 0; spooled < tasks; spooled += perJob)
            await engine.Client.SpoolAsync(Jobs.Flat(Math.Min(perJob, tasks - spooled), "true"), new SpoolOptions("bench", "restart.alf"));
        await engine.StopEngineProcessAsync();

        // A blade already waiting, as on a real farm: it asks for work until the new engine hands some out.
        var watch = Stopwatch.StartNew();
        var firstWork = FirstDispatchAsync(engine);
        await engine.StartEngineProcessAsync();
        var listening = watch.Elapsed.TotalMilliseconds;
        await firstWork;
        var firstDispatch = watch.Elapsed.TotalMilliseconds;
        return new Dictionary<string, object>
        {
            ["scenario"] = "restart",
            ["store"] = "sqlite",
            ["tasks"] = tasks,
            ["start_to_answering_ms"] = Math.Round(listening),
            ["start_to_first_dispatch_ms"] = Math.Round(firstDispatch),
            ["db_mb"] = Math.Round(new FileInfo(engine.DatabaseFile).Length / 1048576.0, 1),
            ["engine_peak_rss_mb"] = Math.Round(engine.PeakRssMb(), 1),
        };
    }

    private static async Task FirstDispatchAsync(BenchEngine engine)
    {
        using var client = engine.BladeClient();
        var bootId = Guid.NewGuid().ToString("N");
        while (true)
        {
            try
            {
                await client.RegisterBladeAsync(new BladeRegistration("waiting", "bench-host", 1, "bench", bootId, Environment.ProcessId));
                var work = await client.PollWorkAsync("waiting", new WorkRequest(bootId, 1, 5000));
                if (work.Assignments.Count > 0)
                    return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(5);
            }
        }
    }
}
