using System.Text.Json;
using Furrow.Bench;

// Release-mode benchmarks of a real engine process; each scenario prints one JSON line.
// Usage: dotnet run -c Release --project bench/Furrow.Bench -- SCENARIO [options]
//   dispatch [--tasks N] [--blades N] [--samples N] [--store sqlite|postgresql] [--mixed [--lic-ms N]] [--tasks-per-job N] [--tls]
//            throughput with simulated blades, then ready-to-started latency with one real blade (defaults 20000, 100, 200;
//            jobs of 1000 tasks, so many jobs queued at one priority take a smaller --tasks-per-job).
//            --mixed adds blade profiles (half Maya, half Nuke), service keys, the limit "lic" and two owners, and reports
//            fairness, service mismatches and the most "lic" commands held at once (each held --lic-ms, 100, by the
//            simulated blades so the caps bind; every other command finishes at once); the target run is
//            dispatch --mixed --tasks 100000 --blades 200
//            --tls serves the engine over https with a site CA it makes ("Tls": "site-ca"); every client trusts that CA
//   deps [--chain N] [--width N] [--fanins N] [--cmd-ms N]
//            dependency release with one real blade: a chain of N serial tasks (100) and --fanins (20) jobs whose parent
//            waits for --width (50) subtasks; each command sleeps --cmd-ms (50; 0 runs true)
//   logs [--blades N] [--total-mb N] [--mb-per-task N]
//            output streaming: simulated blades (100) send their commands' output (--mb-per-task 2 each, 200 in all) as
//            bytes in 8 KB chunks; MB/s acknowledged, the engine's peak RSS, and whether the logs hold every byte
//   restart [--tasks N]
//   real [--tasks N] [--blades N] [--slots N] [--idle-secs N]   (also: blade)
//            real blade processes (1) of --slots (8): idle CPU of the engine, blades and keepers over --idle-secs (30), a
//            sleep 1 task's submit-to-done, then one job of --tasks (2000) tasks of /bin/true: spool time, first start,
//            tasks/s, CPU per task of the engine, the blades and their command keepers, and peak RSS of each; the issue's
//            targets are real --blades 32 --slots 64 --tasks 20000 and real --blades 8 --slots 64 --tasks 20000
//   backup [--db-mb N]
//   idle [--blades N] [--sim-blades N] [--secs N]
//            an idle farm on the site's default silence timeout: --blades (32) real blades with no work, then a fresh engine
//            with --sim-blades (10000) simulated idle blades (long poll open, a report every few seconds), each measured over
//            --secs (60) after 10 s to settle: CPU of the engine and of each blade as % of one core, RSS, blades taken for
//            gone (0 expected); either part is left out with 0
//   scale [--tasks N] [--blades N] [--samples N]
//            --blades (10000) registered blades and --tasks (1000000) waiting tasks in jobs of 100000: engine CPU per dispatch
//            with 10000 and with all tasks waiting (50 simulated blades take --samples (5000) commands each time), the
//            slowest spool, engine RSS empty, with the blades, with every task waiting, peak, and 30 s after deleting them
//   spool [--tasks N] [--samples N] [--store sqlite|postgresql]
//            --samples (3) paused jobs of --tasks (20000) render-like tasks spooled one after another: the fastest and median
//            spool request, the engine's CPU per spool, and the slowest job listing answered meanwhile (one every 50 ms);
//            the targets are 20000 in < 1 s and 100000 in < 5 s on both stores
//   query [--jobs N] [--tasks-per-job N] [--samples N] [--store sqlite|postgresql]
//            --jobs (10000) paused jobs of --tasks-per-job (100) tasks from 20 owners: p50 and p99 of typical tq searches
//            (by owner, by state, by spool time, by title, one job's tasks) with tq's default columns, over --samples (50),
//            and a whole tq process's time; the targets are p99 < 100 ms on both stores and tq p50 < 150 ms;
//            then each search as the native column query and as Tractor's tractorselect over TCP (<name>_tractor_added_ms)
//   rows [--rows N] [--rounds N]
//            in process, no engine: a column reply of --rows (10000) job rows of the query bench's 8 columns written in the
//            native shape (arrays) and in Tractor's (keyed rows, TractorRowWriter), best p50 of --rounds (12) rounds of
//            30; the engine-side share of the query bench's <name>_tractor_added_ms, measured without its noise
//   dashboard [--jobs N] [--tasks-per-job N] [--tasks N] [--samples N]
//            the Dashboard in Debian's Chromium (FURROW_CHROMIUM for another) on --jobs (10000) jobs of --tasks-per-job (100)
//            tasks and one job of --tasks (10000): the job list's and that job's task tree's first render and a task's state
//            change shown live, over --samples (10); the targets are < 1 s, < 1 s and < 200 ms
//   auth [--samples N]
//            what authenticating a caller costs the engine: --samples (5000) one-row listings with a login token over TCP,
//            through the engine's unix socket, and anonymously on an engine without RequireAuthentication (the baseline):
//            the engine's CPU per request and p50 for each, and the token's cost over the baseline
//   clients [--samples N]
//            process wall time (start to exit) p50 and p99 over --samples (50) of bin/tractor-spool spooling a small script
//            and bin/tq listing one job, each native (furrow-client) and on the .NET runtime (FURROW_SPOOL_NATIVE=0,
//            FURROW_TQ_NATIVE=0), and furrow-client spooling without the shims; the target is < 150 ms for both;
//            needs FURROW_DLL=artifacts/furrow/furrow.dll
//   bigspools [--spools N] [--mb N] [--budget-mb N]
//            --spools (6) scripts of --mb (50) MB spooled at once (a comment fills each): accepted and refused (503),
//            engine RSS before, at peak and 15 s after, and the slowest listing meanwhile (the security issue's probe);
//            --budget-mb sets SpoolMaxInFlightBytes (128), e.g. 100000 for the engine without that bound
// FURROW_BENCH_VERBOSE=1 shows the engine's and blades' logs on stderr. FURROW_BENCH_KEEP=1 keeps each run's site (its
// path goes to stderr): delete the sites after the last of several runs, not between them (see BenchEngine.DisposeAsync).
// FURROW_BENCH_TIMELINE=1 prints dispatch's dispatches per second. FURROW_DLL runs another furrow.dll (e.g. a ReadyToRun
// publish) for the engine and real blades instead of the one built beside the bench.
string[] valued = ["--jobs", "--sim-blades", "--secs", "--idle-secs", "--tasks", "--blades", "--slots", "--samples", "--store", "--db-mb", "--chain", "--width", "--fanins", "--lic-ms", "--cmd-ms", "--total-mb", "--mb-per-task", "--tasks-per-job"];
var scenario = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !valued.Contains(args[i - 1])))
    .FirstOrDefault() ?? "dispatch";
string Text(string name, string fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
int Arg(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

try
{
    _ = BenchEngine.FurrowDll;
}
catch (FileNotFoundException missing)
{
    Console.Error.WriteLine($"bench: {missing.Message}");
    return 2;
}

Dictionary<string, object> result;
try
{
    result = scenario switch
    {
        "dispatch" => await DispatchScenario.RunAsync(tasks: Arg("--tasks", 20_000), blades: Arg("--blades", 100), slots: 4,
            latencySamples: Arg("--samples", 200), store: Text("--store", "sqlite"), mixed: args.Contains("--mixed"), licRunMs: Arg("--lic-ms", 100),
            tasksPerJob: Arg("--tasks-per-job", 1000), tls: args.Contains("--tls")),
        "deps" => await DepsScenario.RunAsync(chain: Arg("--chain", 100), width: Arg("--width", 50), fanIns: Arg("--fanins", 20), commandMs: Arg("--cmd-ms", 50)),
        "logs" => await LogScenario.RunAsync(blades: Arg("--blades", 100), totalMb: Arg("--total-mb", 200), mbPerTask: Arg("--mb-per-task", 2)),
        "restart" => await RestartScenario.RunAsync(tasks: Arg("--tasks", 100_000)),
        "backup" => await BackupScenario.RunAsync(targetMb: Arg("--db-mb", 256)),
        "idle" => await IdleScenario.RunAsync(blades: Arg("--blades", 32), simBlades: Arg("--sim-blades", 10_000), secs: Arg("--secs", 60)),
        "scale" => await ScaleScenario.RunAsync(tasks: Arg("--tasks", 1_000_000), blades: Arg("--blades", 10_000), samples: Arg("--samples", 5000)),
        "spool" => await SpoolScenario.RunAsync(tasks: Arg("--tasks", 20_000), samples: Arg("--samples", 3), store: Text("--store", "sqlite")),
        "real" or "blade" => await BladeScenario.RunAsync(tasks: Arg("--tasks", 2000), blades: Arg("--blades", 1), slots: Arg("--slots", 8),
            idleSecs: Arg("--idle-secs", 30)),
        "query" => await QueryScenario.RunAsync(jobs: Arg("--jobs", 10_000), tasksPerJob: Arg("--tasks-per-job", 100), samples: Arg("--samples", 50),
            store: Text("--store", "sqlite")),
        "dashboard" => await DashboardScenario.RunAsync(jobs: Arg("--jobs", 10_000), tasksPerJob: Arg("--tasks-per-job", 100),
            bigJobTasks: Arg("--tasks", 10_000), samples: Arg("--samples", 10)),
        "rows" => await RowsScenario.RunAsync(rows: Arg("--rows", 10_000), rounds: Arg("--rounds", 12)),
        "clients" => await ClientScenario.RunAsync(samples: Arg("--samples", 50)),
        "auth" => await AuthScenario.RunAsync(samples: Arg("--samples", 5000)),
        "bigspools" => await BigSpoolScenario.RunAsync(spools: Arg("--spools", 6), mb: Arg("--mb", 50),
            budgetMb: args.Contains("--budget-mb") ? Arg("--budget-mb", 128) : null),
        _ => throw new ArgumentException($"unknown scenario '{scenario}': expected dispatch, deps, logs, restart, backup, spool, idle, scale, query, rows, dashboard, clients, auth, bigspools or real (blade)"),
    };
}
catch (ArgumentException usage)
{
    Console.Error.WriteLine($"bench: {usage.Message}");
    return 2;
}
catch (Exception failed) when (failed is InvalidOperationException or TimeoutException or HttpRequestException)
{
    // What went wrong is the message (an engine that ended, a job that never finished); the stack adds nothing.
    Console.Error.WriteLine($"bench: {failed.Message}");
    return 1;
}
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;
