using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// Dependency release on an idle farm with one real blade process: how long a task whose prerequisites just finished
/// waits before its command starts. Chain: serial sibling tasks, each waiting for the one before. Fan-in: a parent
/// waiting for its subtasks (the last of them to stop releases it).
/// </summary>
/// <remarks>
/// Each command sleeps <c>--cmd-ms</c> (50) so that its exit report leaves the blade at once: a command that ends while
/// the report of its start is still on its way has its exit queued behind that report (the blade's reports are
/// ordered), which the engine cannot shorten; <c>--cmd-ms 0</c> shows that wait as well.
/// Start and stop times are the blade's own clock, dispatch times the engine's; blade and engine share this machine's
/// clock. <c>start_after_stop</c> is the dependant's start minus its prerequisite's stop (the exit report's trip to the
/// engine, the dispatch and the blade's process start); <c>dispatch_after_exit</c> is the dependant's dispatch minus that
/// stop (exit report to dispatch, without the process start).
/// </remarks>
internal static class DepsScenario
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);

    private const int WarmUpChain = 5;

    public static async Task<Dictionary<string, object>> RunAsync(int chain, int width, int fanIns, int commandMs)
    {
        if (chain < 2 || width < 1 || fanIns < 1)
            throw new ArgumentException("deps needs --chain 2 or more, --width 1 or more and --fanins 1 or more");
        if (commandMs < 0)
            throw new ArgumentException("deps needs --cmd-ms 0 or more");
        var command = commandMs == 0 ? "true" : $"sleep {(commandMs / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}";
        await using var engine = await BenchEngine.StartAsync();
        engine.Start("blade", "--engine", engine.Engine, "--name", "real-blade", "--slots", "4");

        // A short chain first: the first release of a new engine and blade runs code for the first time (measured apart,
        // as cold_first_release_ms), which a farm's engine does once in its life, not once per dependency.
        var coldStart = new List<double>();
        var coldDispatch = new List<double>();
        var (tasks, runs) = await RunJobAsync(engine, Jobs.Chain(WarmUpChain, command), "warm-up.alf");
        Measure(runs[tasks["t2"]], [runs[tasks["t1"]]], coldStart, coldDispatch);

        var chainStart = new List<double>();
        var chainDispatch = new List<double>();
        (tasks, runs) = await RunJobAsync(engine, Jobs.Chain(chain, command), "chain.alf");
        for (var i = 2; i <= chain; i++)
            Measure(runs[tasks[$"t{i}"]], [runs[tasks[$"t{i - 1}"]]], chainStart, chainDispatch);

        var fanStart = new List<double>();
        var fanDispatch = new List<double>();
        for (var r = 0; r < fanIns; r++)
        {
            (tasks, runs) = await RunJobAsync(engine, Jobs.FanIn(width, command), "fanin.alf");
            Measure(runs[tasks["parent"]], [.. Enumerable.Range(1, width).Select(i => runs[tasks[$"c{i}"]])], fanStart, fanDispatch);
        }

        List<double> Sorted(IEnumerable<double> values) => [.. values.Order()];
        double P(List<double> values, double p) => DispatchScenario.Percentile(Sorted(values), p);
        return new Dictionary<string, object>
        {
            ["scenario"] = "deps",
            ["command_ms"] = commandMs,
            ["cold_first_release_ms"] = coldDispatch[0],
            ["chain_tasks"] = chain,
            ["chain_start_after_stop_p50_ms"] = P(chainStart, 0.50),
            ["chain_start_after_stop_p99_ms"] = P(chainStart, 0.99),
            ["chain_dispatch_after_exit_p50_ms"] = P(chainDispatch, 0.50),
            ["chain_dispatch_after_exit_p99_ms"] = P(chainDispatch, 0.99),
            ["fanin_width"] = width,
            ["fanin_jobs"] = fanIns,
            ["fanin_start_after_stop_p50_ms"] = P(fanStart, 0.50),
            ["fanin_start_after_stop_p99_ms"] = P(fanStart, 0.99),
            ["fanin_dispatch_after_exit_p50_ms"] = P(fanDispatch, 0.50),
            ["fanin_dispatch_after_exit_p99_ms"] = P(fanDispatch, 0.99),
            ["dispatch_after_exit_p99_ms"] = P([.. chainDispatch, .. fanDispatch], 0.99),
            ["samples"] = chainStart.Count + fanStart.Count,
            // A dependant dispatched before its prerequisite stopped would be a dependency not honoured: must be 0.
            ["dispatched_before_prerequisite_stopped"] = chainDispatch.Concat(fanDispatch).Count(ms => ms < 0),
        };
    }

    // The dependant's wait after the last of its prerequisites stopped.
    private static void Measure(InvocationRow dependant, IReadOnlyList<InvocationRow> prerequisites, List<double> startAfterStop, List<double> dispatchAfterExit)
    {
        var released = prerequisites.Max(p => p.StopTime ?? throw new InvalidOperationException($"task {p.Tid} of job {p.Jid} has no stop time"));
        var started = dependant.StartTime ?? throw new InvalidOperationException($"task {dependant.Tid} of job {dependant.Jid} has no start time");
        startAfterStop.Add(started - released);
        dispatchAfterExit.Add(dependant.DispatchTime - released);
    }

    /// <summary>Spools a job, waits until it is done, and returns its task ids by title and each task's last invocation.</summary>
    private static async Task<(Dictionary<string, int> Tids, Dictionary<int, InvocationRow> Runs)> RunJobAsync(BenchEngine engine, string script, string file)
    {
        var reply = await engine.Client.SpoolAsync(script, new SpoolOptions("bench", file));
        if (reply.Rc != 0)
            throw new InvalidOperationException($"spool refused: {reply.Msg}");
        var jid = reply.Jid;
        await Jobs.WaitUntilDoneAsync(engine.Client, jid, JobTimeout);
        var tids = (await engine.Client.TasksAsync($"jid={jid}")).ToDictionary(t => t.Title, t => t.Tid);
        var runs = (await engine.Client.InvocationsAsync($"jid={jid}"))
            .GroupBy(i => i.Tid)
            .ToDictionary(g => g.Key, g => g.OrderBy(i => i.Current).ThenBy(i => i.Iid).Last());
        return (tids, runs);
    }
}
