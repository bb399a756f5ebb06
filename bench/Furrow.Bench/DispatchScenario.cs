using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// Throughput: simulated blades speak the real HTTP protocol to a real engine and finish each command at once.
/// Latency: on an idle farm with one real blade process, how long a ready task waits until its command starts.
/// Mixed (<c>--mixed</c>): the same with Tractor scheduling in play. Half the simulated blades provide Maya and half
/// Nuke (blade.config), commands ask for Maya, Nuke or <c>linux &amp;&amp; !Houdini</c>, a quarter count against the
/// limit <c>lic</c> (limits.config: a quarter of all slots farm-wide, 2 per host; the simulated blades hold those for
/// <c>--lic-ms</c>, default 100, so that the caps come into play), and the jobs belong alternately to
/// alice and bob at one priority. Adds fairness (who got what in the first half), service mismatches (must be 0) and the
/// most <c>lic</c> commands the simulated blades held at once (must not exceed the caps).
/// </summary>
internal static class DispatchScenario
{
    private const string Limit = "lic";
    private static readonly string[] Owners = ["alice", "bob"];

    public static async Task<Dictionary<string, object>> RunAsync(int tasks, int blades, int slots, int latencySamples, string store = "sqlite",
        bool mixed = false, int licRunMs = 100, int tasksPerJob = 1000, bool tls = false)
    {
        if (mixed && blades < 2)
            throw new ArgumentException("--mixed needs at least 2 blades (half provide Maya, half Nuke)");
        var licSiteMax = Math.Max(1, blades * slots / 4);
        const int licBladeMax = 2;
        await using var engine = await BenchEngine.StartAsync(store, mixed ? MixedSite(blades, licSiteMax, licBladeMax) : null, tls: tls);
        if (tasksPerJob < 1)
            throw new ArgumentException("--tasks-per-job must be at least 1");
        var jobs = 0;
        var spooling = Stopwatch.StartNew();
        for (var spooled = 0; spooled < tasks; spooled += tasksPerJob, jobs++)
        {
            var count = Math.Min(tasksPerJob, tasks - spooled);
            var (script, owner) = mixed
                ? (Jobs.Mixed(count, $"mixed{jobs}", Limit), Owners[jobs % Owners.Length])
                : (Jobs.Flat(count, "true"), "bench");
            var reply = await engine.Client.SpoolAsync(script, new SpoolOptions(owner, "bench.alf"));
            if (reply.Rc != 0)
                throw new InvalidOperationException($"spool refused: {reply.Msg}");
        }

        var spoolSeconds = spooling.Elapsed.TotalSeconds;
        var finished = 0;
        long tenthTicks = 0, ninetiethTicks = 0;
        var mismatches = 0;
        var dispatched = new List<(long Ticks, bool Alice, bool Limited)>(mixed ? tasks : 0);
        var licMeter = new ConcurrencyMeter();
        var roundTrips = new RoundTrips();
        using var stop = new CancellationTokenSource();
        var gcBefore = await engine.Client.StatusAsync();
        engine.EngineProcess.Refresh();
        var engineCpuBefore = engine.EngineProcess.TotalProcessorTime;
        var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var sims = Enumerable.Range(0, blades).Select(i =>
        {
            var name = SimName(i);
            var provides = i < blades / 2 ? "Maya" : "Nuke";
            var setup = mixed
                ? new SimulatedBladeSetup(name, SimulatedBladeSetup.RenderNode, a => a.Argv.Contains(Limit), licMeter, licRunMs) { RoundTrips = roundTrips }
                : SimulatedBladeSetup.Plain with { RoundTrips = roundTrips };
            return StopAllIfFailsAsync(stop, SimulatedBlade.RunAsync(engine, name, slots, a =>
            {
                if (mixed)
                {
                    // argv is "true SERVICE [lic]": a Maya blade must never get a Nuke command, nor the reverse.
                    if (a.Argv.Count < 2 || (a.Argv[1] != provides && a.Argv[1] != "linux"))
                        Interlocked.Increment(ref mismatches);
                    lock (dispatched)
                        dispatched.Add((watch.ElapsedTicks, a.Owner == "alice", a.Argv.Contains(Limit)));
                }
                var count = Interlocked.Increment(ref finished);
                if (count == tasks / 10)
                    Volatile.Write(ref tenthTicks, watch.ElapsedTicks);
                if (count == tasks - tasks / 10)
                    Volatile.Write(ref ninetiethTicks, watch.ElapsedTicks);
                if (count >= tasks)
                    stop.Cancel();
            }, stop.Token, setup));
        }).ToList();
        var stalled = await WatchAsync(() => Volatile.Read(ref finished), stop, TimeSpan.FromSeconds(60));
        var perBladeMax = await Task.WhenAll(sims);
        var seconds = watch.Elapsed.TotalSeconds;
        if (stalled)
            throw new TimeoutException($"dispatch stalled: {finished} of {tasks} commands dispatched, none in the last 60 s");
        var peakRss = engine.PeakRssMb();
        engine.EngineProcess.Refresh();
        var engineCpu = engine.EngineProcess.TotalProcessorTime - engineCpuBefore;
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore;
        var gcAfter = await engine.Client.StatusAsync();

        var (p50, p99) = await IdleLatencyAsync(engine, latencySamples);
        var result = new Dictionary<string, object>
        {
            ["scenario"] = "dispatch",
            ["store"] = store,
            ["tls"] = tls,
            ["tasks"] = tasks,
            ["blades"] = blades,
            ["slots_per_blade"] = slots,
            ["tasks_per_s"] = Math.Round(tasks / seconds, 1),
            // The middle 80% of dispatches: the engine past its warm-up (JIT) and before the run's last stragglers
            // (with --mixed, the limited commands the cap held back to the end).
            ["tasks_per_s_middle_80pct"] = ninetiethTicks > tenthTicks
                ? Math.Round((tasks - 2 * (tasks / 10)) / ((double)(ninetiethTicks - tenthTicks) / Stopwatch.Frequency), 1)
                : 0,
            ["ready_to_started_p50_ms"] = p50,
            ["ready_to_started_p99_ms"] = p99,
            ["latency_samples"] = latencySamples,
            ["engine_peak_rss_mb"] = Math.Round(peakRss, 1),
            // The engine's own CPU (user and system, task logs included) per dispatched task: steadier than tasks/s on a
            // machine the simulated blades share with it.
            ["engine_cpu_ms_per_task"] = Math.Round(engineCpu.TotalMilliseconds / tasks, 3),
            // The simulated blades' CPU (this process) per task: the rest of what the two share of the machine.
            ["sim_blades_cpu_ms_per_task"] = Math.Round(benchCpu.TotalMilliseconds / tasks, 3),
            // How long the engine stood still for garbage collections while it dispatched, as a share of the run, and how
            // many collections of each generation it made: the figures that choose the engine's GC mode.
            ["engine_gc_pause_pct"] = Math.Round(100 * (gcAfter.GcPauseMs - gcBefore.GcPauseMs) / (seconds * 1000), 1),
            ["engine_collections"] = BenchEngine.CollectionsBetween(gcBefore, gcAfter),
            ["spool_s"] = Math.Round(spoolSeconds, 1),
            ["jobs"] = jobs,
        };
        // The engine's commit latency under this load, as the blades saw it (see RoundTrips).
        var (pollP50, pollP90, reportP50, reportP90) = roundTrips.Percentiles();
        result["busy_poll_with_work_p50_ms"] = pollP50;
        result["busy_poll_with_work_p90_ms"] = pollP90;
        result["busy_report_p50_ms"] = reportP50;
        result["busy_report_p90_ms"] = reportP90;
        if (!mixed)
            return result;

        // Fairness: both owners have the same number of tasks at the same priority, so in the first half of the run
        // (by time) each should get about half. Windows of 1,000 dispatches show how even it is at a finer grain.
        var half = dispatched.Count == 0 ? 0 : dispatched[^1].Ticks / 2;
        var firstHalf = dispatched.TakeWhile(d => d.Ticks <= half).ToList();
        var alice = firstHalf.Count(d => d.Alice);
        var bob = firstHalf.Count - alice;
        var windowShares = firstHalf.Chunk(1000).Where(w => w.Length == 1000).Select(w => w.Count(d => d.Alice) / 1000.0).ToList();
        result["mixed"] = true;
        result["first_half_dispatched_alice"] = alice;
        result["first_half_dispatched_bob"] = bob;
        result["first_half_alice_bob_ratio"] = bob == 0 ? double.PositiveInfinity.ToString(CultureInfo.InvariantCulture) : Math.Round((double)alice / bob, 3);
        if (windowShares.Count > 0)
        {
            result["first_half_alice_share_min_per_1000"] = Math.Round(windowShares.Min(), 3);
            result["first_half_alice_share_max_per_1000"] = Math.Round(windowShares.Max(), 3);
        }
        // Where the time went: a run whose unlimited commands are all out long before its end is bound by the limit's
        // cycle (a held command's exit report, then the freed count handed to a waiting blade), not by dispatch.
        double Seconds(long ticks) => Math.Round((double)ticks / Stopwatch.Frequency, 2);
        var limitedTicks = dispatched.Where(d => d.Limited).Select(d => d.Ticks).ToList();
        var lastUnlimited = dispatched.LastOrDefault(d => !d.Limited).Ticks;
        result["unlimited_all_dispatched_s"] = Seconds(lastUnlimited);
        result["limited_dispatched_by_then"] = limitedTicks.Count(t => t <= lastUnlimited);
        if (limitedTicks.Count > 0)
            result["limited_per_s"] = Math.Round(limitedTicks.Count / ((double)limitedTicks[^1] / Stopwatch.Frequency), 1);
        result["service_mismatches"] = mismatches;
        result["lic_run_ms"] = licRunMs;
        result["lic_site_max"] = licSiteMax;
        result["lic_max_concurrent_observed"] = licMeter.Max;
        result["lic_blade_max"] = licBladeMax;
        result["lic_max_per_blade_observed"] = perBladeMax.Max();
        // FURROW_BENCH_TIMELINE=1: dispatches per second of the run on stderr (all, then the limited ones), to see where
        // a whole-run figure loses to its middle (warm-up, the limited commands' tail).
        if (Environment.GetEnvironmentVariable("FURROW_BENCH_TIMELINE") == "1")
        {
            foreach (var second in dispatched.GroupBy(d => d.Ticks / Stopwatch.Frequency).OrderBy(g => g.Key))
                Console.Error.WriteLine($"second {second.Key}: {second.Count()} dispatched, {second.Count(d => d.Limited)} limited");
        }
        return result;
    }

    // One simulated blade failing (the engine refused a request) ends the run at once instead of after the stall timeout.
    private static async Task<int> StopAllIfFailsAsync(CancellationTokenSource stop, Task<int> blade)
    {
        try
        {
            return await blade;
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private static string SimName(int i) => $"sim{i:000}";

    // blade.config: the first half of the simulated blades provide Maya, the rest Nuke, all linux; a catch-all profile
    // lets the real blade of the latency part run the plain jobs. MaxLoad is high so machine load never holds a blade back.
    // limits.config: "lic" capped farm-wide and per host.
    private static Dictionary<string, string> MixedSite(int blades, int licSiteMax, int licBladeMax)
    {
        var maya = Enumerable.Range(0, blades / 2).Select(SimName).ToArray();
        var nuke = Enumerable.Range(blades / 2, blades - blades / 2).Select(SimName).ToArray();
        var bladeConfig = new
        {
            ProfileDefaults = new { Capacity = new { MaxLoad = 1000 } },
            BladeProfiles = new object[]
            {
                new { ProfileName = "MayaNodes", Hosts = new { Name = maya }, Provides = new[] { "Maya", "linux" } },
                new { ProfileName = "NukeNodes", Hosts = new { Name = nuke }, Provides = new[] { "Nuke", "linux" } },
                new { ProfileName = "Other", Hosts = new { Name = "*" }, Provides = new[] { "linux" } },
            },
        };
        var limits = new Dictionary<string, object>
        {
            ["Limits"] = new Dictionary<string, object> { [Limit] = new { SiteMax = licSiteMax, BladeMax = licBladeMax } },
        };
        return new Dictionary<string, string>
        {
            ["blade.config"] = JsonSerializer.Serialize(bladeConfig),
            ["limits.config"] = JsonSerializer.Serialize(limits),
        };
    }

    /// <summary>Waits until <paramref name="stop"/> fires; fires it itself and returns true if progress stops for <paramref name="patience"/>.</summary>
    internal static async Task<bool> WatchAsync(Func<int> progress, CancellationTokenSource stop, TimeSpan patience)
    {
        var last = progress();
        var since = Stopwatch.StartNew();
        var verbose = Environment.GetEnvironmentVariable("FURROW_BENCH_VERBOSE") == "1";
        var (shown, shownAt) = (last, Stopwatch.StartNew());
        while (!stop.IsCancellationRequested)
        {
            if (verbose && shownAt.Elapsed >= TimeSpan.FromSeconds(2))
            {
                var count = progress();
                Console.Error.WriteLine($"bench: {count} dispatched, {(count - shown) / shownAt.Elapsed.TotalSeconds:F0}/s over the last {shownAt.Elapsed.TotalSeconds:F1} s");
                (shown, shownAt) = (count, Stopwatch.StartNew());
            }
            try
            {
                await Task.Delay(250, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var now = progress();
            if (now != last)
            {
                (last, since) = (now, Stopwatch.StartNew());
            }
            else if (since.Elapsed > patience)
            {
                await stop.CancelAsync();
                return true;
            }
        }
        return false;
    }

    // One real blade, one single-task job at a time: the wait from spool (the task is ready at once) to the start.
    private static async Task<(double P50, double P99)> IdleLatencyAsync(BenchEngine engine, int samples)
    {
        engine.Start("blade", "--engine", engine.Engine, "--name", "real-blade", "--slots", "1");
        // The blade process's own start-up is not a task's wait: sample once it has registered.
        var registering = Stopwatch.StartNew();
        while (!(await engine.Client.BladesAsync()).Any(b => b.Name == "real-blade" && b.Status == "up"))
        {
            if (registering.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException("the real blade did not register within 60 s");
            await Task.Delay(20);
        }
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

    internal static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
