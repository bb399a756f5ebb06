using System.Diagnostics;
using System.Globalization;
using System.Text;
using Furrow.Client;

namespace Furrow.Bench;

/// <summary>
/// How long a large job takes to be accepted (<c>spool</c>): a real engine on the chosen store, no blades, and
/// <c>--samples</c> jobs of <c>--tasks</c> render-like tasks each (one <c>prman</c> command with a service key per frame),
/// spooled paused one after another. Prints the fastest and median spool request (request sent to reply read, body
/// included), the engine's CPU per spool, and the slowest job listing answered while the spools ran (a listing every
/// 50 ms from a second connection), so a spool that stalls the queue shows.
/// </summary>
internal static class SpoolScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int tasks, int samples, string store)
    {
        if (tasks < 1 || samples < 1)
            throw new ArgumentException("spool needs --tasks and --samples of 1 or more");
        await using var engine = await BenchEngine.StartAsync(store);
        var script = Render(tasks);
        // A small job first, so the measured spools do not pay for the engine's first-call compilation.
        await SpoolAsync(engine.Client, Render(10));

        using var stop = new CancellationTokenSource();
        var listing = WatchListingsAsync(new EngineClient(engine.Engine), stop.Token);
        var times = new List<double>();
        var cpuBefore = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id);
        for (var i = 0; i < samples; i++)
            times.Add(await SpoolAsync(engine.Client, script));
        var cpuAfter = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id);
        await stop.CancelAsync();
        var slowestListing = await listing;
        times.Sort();
        return new Dictionary<string, object>
        {
            ["scenario"] = "spool",
            ["store"] = store,
            ["tasks"] = tasks,
            ["samples"] = samples,
            ["script_mb"] = Math.Round(Encoding.UTF8.GetByteCount(script) / 1048576.0, 2),
            ["spool_ms_min"] = Math.Round(times[0], 1),
            ["spool_ms_median"] = Math.Round(times[times.Count / 2], 1),
            ["engine_cpu_ms_per_spool"] = Math.Round((cpuAfter - cpuBefore) * 1000 / samples, 1),
            ["slowest_listing_during_spools_ms"] = Math.Round(slowestListing, 1),
            ["engine_peak_rss_mb"] = Math.Round(engine.PeakRssMb(), 1),
        };
    }

    /// <summary>One task per frame, each a prman render of that frame's RIB under a service key, as a renderer's exporter writes.</summary>
    internal static string Render(int frames)
    {
        var script = new StringBuilder("##AlfredToDo 3.0\nJob -title {shot010 beauty} -service {PixarRender} -subtasks {\n");
        for (var i = 1; i <= frames; i++)
        {
            var frame = i.ToString("D4", CultureInfo.InvariantCulture);
            script.Append("  Task {Frame ").Append(frame).Append("} -cmds {\n    RemoteCmd {prman -Progress -recover %r /show/shot010/rib/beauty.")
                .Append(frame).Append(".rib} -service {PixarRender}\n  }\n");
        }
        return script.Append("}\n").ToString();
    }

    private static async Task<double> SpoolAsync(EngineClient client, string script)
    {
        var watch = Stopwatch.StartNew();
        var reply = await client.SpoolAsync(script, new SpoolOptions("bench", "spool.alf", Paused: true));
        if (reply.Rc != 0)
            throw new InvalidOperationException($"spool refused: {reply.Msg}");
        return watch.Elapsed.TotalMilliseconds;
    }

    // The slowest of the job listings asked for every 50 ms until stopped.
    internal static async Task<double> WatchListingsAsync(EngineClient client, CancellationToken stop)
    {
        var slowest = 0.0;
        while (!stop.IsCancellationRequested)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                await client.JobsAsync("jid=1", cancellationToken: CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                return double.NaN;
            }
            slowest = Math.Max(slowest, watch.Elapsed.TotalMilliseconds);
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return slowest;
    }
}
