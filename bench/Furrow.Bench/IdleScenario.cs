using System.Diagnostics;
using System.Globalization;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// What an idle farm costs (<c>idle</c>), on engines with the site's default silence timeout (so blades check in as
/// often as they do on a real site):
/// <list type="number">
/// <item><c>--blades</c> real <c>furrow blade</c> processes with no work, 10 s after they registered, over <c>--secs</c>:
/// the engine's CPU and each blade's (with its command keeper), as a percentage of one core, and their RSS;</item>
/// <item>a fresh engine with <c>--sim-blades</c> simulated idle blades that speak the protocol as the real blade does when
/// it has nothing to run (a 20 s long poll always open, a report with its figures and an empty running list every half
/// silence timeout, or four fifths of the heartbeat interval on an engine that does not count the poll as contact): the
/// engine's CPU and RSS, the simulator's own CPU (it shares the machine),
/// the requests the engine answered, and how many blades the engine took for gone meanwhile (must be 0).</item>
/// </list>
/// </summary>
internal static class IdleScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int blades, int simBlades, int secs)
    {
        if (blades < 0 || simBlades < 0 || secs < 1)
            throw new ArgumentException("idle needs --blades and --sim-blades of 0 or more and --secs of 1 or more");
        var result = new Dictionary<string, object> { ["scenario"] = "idle", ["secs"] = secs };
        if (blades > 0)
            await RealAsync(blades, secs, result);
        if (simBlades > 0)
            await SimulatedAsync(simBlades, secs, result);
        return result;
    }

    private static async Task RealAsync(int blades, int secs, Dictionary<string, object> result)
    {
        await using var engine = await BenchEngine.StartAsync(silenceSecs: null);
        var processes = Enumerable.Range(1, blades).Select(i => engine.Start("blade", "--engine", engine.Engine, "--name", $"idle-{i}",
            "--slots", "1", "--state-dir", Path.Combine(engine.Root, "blades", $"idle-{i}"))).ToList();
        await BladeScenario.WaitForBladesAsync(engine.Client, blades);
        await Task.Delay(TimeSpan.FromSeconds(10));
        var bladePids = processes.Select(p => p.Id).Concat(BladeScenario.KeepersOf(processes)).ToList();
        var engineBefore = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id);
        var bladesBefore = bladePids.Sum(BladeScenario.OwnCpuSeconds);
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(secs));
        var seconds = watch.Elapsed.TotalSeconds;
        var engineCpu = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id) - engineBefore;
        var bladesCpu = bladePids.Sum(BladeScenario.OwnCpuSeconds) - bladesBefore;
        var down = (await engine.Client.BladesAsync()).Count(b => b.Status != "up");
        result["blades"] = blades;
        result["engine_cpu_pct"] = Math.Round(engineCpu * 100 / seconds, 3);
        result["blade_cpu_pct"] = Math.Round(bladesCpu * 100 / seconds / blades, 3);
        result["blade_rss_mb"] = Math.Round(processes.Average(p => BladeScenario.RssMb(p.Id)), 1);
        result["keeper_rss_mb"] = Math.Round(BladeScenario.KeepersOf(processes).Select(BladeScenario.RssMb).DefaultIfEmpty(0).Average(), 1);
        result["engine_rss_mb"] = Math.Round(BladeScenario.RssMb(engine.EngineProcess.Id), 1);
        result["blades_down"] = down;
    }

    private static async Task SimulatedAsync(int count, int secs, Dictionary<string, object> result)
    {
        await using var engine = await BenchEngine.StartAsync(silenceSecs: null);
        // One connection per open long poll, as many blades would have; reports share whichever are free.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        }) { Timeout = Timeout.InfiniteTimeSpan };
        using var client = engine.BladeClient(http);
        using var stop = new CancellationTokenSource();
        var counters = new Counters();
        var loops = new List<Task>(count);
        // One after another, each blade's loops started as soon as it is registered, as blades coming up on a farm.
        for (var i = 1; i <= count; i++)
        {
            var name = "sim-" + i.ToString("D5", CultureInfo.InvariantCulture);
            var bootId = Guid.NewGuid().ToString("N");
            var welcome = await client.RegisterBladeAsync(new BladeRegistration(name, "sim-host-" + i, 4, "bench", bootId, Environment.ProcessId,
                SimulatedBladeSetup.RenderNode));
            loops.Add(PollLoopAsync(client, name, bootId, counters, stop.Token));
            loops.Add(ReportLoopAsync(client, name, bootId, welcome, counters, stop.Token));
        }
        await Task.Delay(TimeSpan.FromSeconds(10));
        var engineBefore = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id);
        var selfBefore = BladeScenario.OwnCpuSeconds(Environment.ProcessId);
        var requestsBefore = counters.Requests;
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(secs));
        var seconds = watch.Elapsed.TotalSeconds;
        var engineCpu = BladeScenario.OwnCpuSeconds(engine.EngineProcess.Id) - engineBefore;
        var selfCpu = BladeScenario.OwnCpuSeconds(Environment.ProcessId) - selfBefore;
        var requests = counters.Requests - requestsBefore;
        var down = (await engine.Client.BladesAsync()).Count(b => b.Status != "up");
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        result["sim_blades"] = count;
        result["sim_engine_cpu_pct"] = Math.Round(engineCpu * 100 / seconds, 2);
        result["sim_engine_rss_mb"] = Math.Round(BladeScenario.RssMb(engine.EngineProcess.Id), 1);
        result["sim_requests_per_s"] = Math.Round(requests / seconds, 1);
        result["sim_failed_requests"] = counters.Failures;
        result["simulator_cpu_pct"] = Math.Round(selfCpu * 100 / seconds, 2);
        result["sim_blades_down"] = down;
    }

    private sealed class Counters
    {
        private long _requests;
        private long _failures;

        public long Requests => Interlocked.Read(ref _requests);

        public long Failures => Interlocked.Read(ref _failures);

        public void Answered() => Interlocked.Increment(ref _requests);

        public void Failed() => Interlocked.Increment(ref _failures);
    }

    // The real blade's work loop with nothing to run: a long poll always open.
    private static async Task PollLoopAsync(EngineClient client, string name, string bootId, Counters counters, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await client.PollWorkAsync(name, new WorkRequest(bootId, 4, 20_000), stop);
                counters.Answered();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is HttpRequestException or EngineException)
            {
                counters.Failed();
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    // The real blade's report loop with nothing running: its figures and an empty running list every half silence timeout
    // when the engine counts the open poll as contact, else a little more often than a heartbeat would be due.
    private static async Task ReportLoopAsync(EngineClient client, string name, string bootId, BladeWelcome welcome, Counters counters,
        CancellationToken stop)
    {
        var heartbeat = Math.Max(welcome.ReportIntervalMs, welcome.SilenceTimeoutMs / 5);
        var every = Math.Max(welcome.ReportIntervalMs, welcome.OpenPollIsContact ? welcome.SilenceTimeoutMs / 2 : heartbeat * 4 / 5);
        // Spread over the interval, as blades started at different times are.
        try
        {
            await Task.Delay(Random.Shared.Next(every), stop);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.ReportAsync(name, new BladeReport(bootId, [], [], 4, SimulatedBladeSetup.RenderNode,
                        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), stop);
                    counters.Answered();
                }
                catch (Exception error) when (error is HttpRequestException or EngineException)
                {
                    counters.Failed();
                }
                await Task.Delay(every, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
