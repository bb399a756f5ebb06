using System.Diagnostics;
using Furrow.Client;

namespace Furrow.Bench;

/// <summary>
/// The memory probe of the security issue (<c>bigspools</c>): <c>--spools</c> scripts of <c>--mb</c> MB each (a one-task job
/// whose comment fills it), spooled all at once, while a listing is asked every 50 ms from another connection. Prints the
/// engine's resident memory before, at its peak and 15 s after, how many spools were accepted or refused (503: no room
/// under SpoolMaxInFlightBytes within SpoolQueueWaitSecs), and the slowest listing while they ran. <c>--budget-mb</c> sets
/// SpoolMaxInFlightBytes (default 128), e.g. 100000 to see the engine without the bound.
/// </summary>
internal static class BigSpoolScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int spools, int mb, int? budgetMb)
    {
        if (spools < 1 || mb < 1 || budgetMb < 1)
            throw new ArgumentException("bigspools needs --spools, --mb and --budget-mb of 1 or more");
        await using var engine = await BenchEngine.StartAsync(engineSettings: budgetMb is { } budget
            ? $"\"SpoolMaxInFlightBytes\": {budget * 1048576L}, \"ScriptMaxBytes\": {Math.Max(64, mb + 1) * 1048576L}" : null);
        await engine.Client.SpoolAsync(Script(1), new SpoolOptions("bench", "warm.alf", Paused: true));
        var rssBefore = BladeScenario.RssMb(engine.EngineProcess.Id);
        var script = Script(mb);

        using var stop = new CancellationTokenSource();
        var listing = SpoolScenario.WatchListingsAsync(new EngineClient(engine.Engine), stop.Token);
        var watch = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, spools).Select(async i =>
        {
            using var client = new EngineClient(engine.Engine);
            try
            {
                await client.SpoolAsync(script, new SpoolOptions($"user{i}", "big.alf", Paused: true));
                return "accepted";
            }
            catch (EngineException error) when (error.StatusCode == 503)
            {
                return "refused";
            }
        }));
        var seconds = watch.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        var slowestListing = await listing;
        var peak = engine.PeakRssMb();
        await Task.Delay(TimeSpan.FromSeconds(15));
        return new Dictionary<string, object>
        {
            ["scenario"] = "bigspools",
            ["spools"] = spools,
            ["script_mb"] = mb,
            ["in_flight_budget_mb"] = budgetMb is { } b ? b : 128,
            ["accepted"] = outcomes.Count(o => o == "accepted"),
            ["refused_503"] = outcomes.Count(o => o == "refused"),
            ["all_spools_secs"] = Math.Round(seconds, 1),
            ["slowest_listing_during_spools_ms"] = Math.Round(slowestListing, 1),
            ["engine_rss_before_mb"] = Math.Round(rssBefore, 1),
            ["engine_peak_rss_mb"] = Math.Round(peak, 1),
            ["engine_rss_15s_after_mb"] = Math.Round(BladeScenario.RssMb(engine.EngineProcess.Id), 1),
        };
    }

    private static string Script(int mb)
    {
        const string Head = "Job -title {big comment} -comment {";
        const string Tail = "} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }\n";
        return Head + new string('c', mb * 1024 * 1024 - Head.Length - Tail.Length) + Tail;
    }
}
