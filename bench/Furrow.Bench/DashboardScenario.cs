using System.Diagnostics;
using Microsoft.Playwright;

namespace Furrow.Bench;

/// <summary>
/// How fast the Dashboard is on a full database (<c>dashboard</c>), timed in the distribution's Chromium
/// (<c>/usr/bin/chromium</c>, or FURROW_CHROMIUM) through Playwright: a real engine (SQLite), <c>--jobs</c> paused jobs of
/// <c>--tasks-per-job</c> tasks (10,000 of 100: a million tasks) and one more job of <c>--tasks</c> tasks (10,000). Reported:
/// the job list's first render (navigation to every row counted and the first drawn), the task tree of the big job
/// (the same), each over <c>--samples</c> loads, and how long a task's state change takes to show in an open page
/// (from the operation's request to the row's new state drawn, through the engine's event stream). The targets:
/// list and tree &lt; 1 s, update &lt; 200 ms.
/// </summary>
internal static class DashboardScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int jobs, int tasksPerJob, int bigJobTasks, int samples)
    {
        if (jobs < 1 || tasksPerJob < 1 || bigJobTasks < 1 || samples < 1)
            throw new ArgumentException("dashboard needs --jobs, --tasks-per-job, --tasks and --samples of 1 or more");
        var chromium = Environment.GetEnvironmentVariable("FURROW_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"no Chromium at {chromium}: install Debian's chromium package or set FURROW_CHROMIUM");
        await using var engine = await BenchEngine.StartAsync("sqlite",
            new Dictionary<string, string> { ["crews.config"] = """{ "Crews": { "Administrators": ["wrangler"] } }""" });
        var passwordFile = Path.Combine(engine.Root, "wrangler.password");
        await File.WriteAllTextAsync(passwordFile, "bench-password\n");
        // wrangler administers the farm; user07 owns a twentieth of the jobs and may change only those, so each row of its
        // listing with allowed=1 is checked against crews.config's edit policies and most are refused.
        foreach (var account in new[] { "wrangler", "user07" })
        {
            var (code, output) = await engine.RunAsync("user", "add", account, "--configdir", engine.Root, "--password-file", passwordFile);
            if (code != 0)
                throw new InvalidOperationException($"furrow user add {account} failed: {output}");
        }

        var fill = Stopwatch.StartNew();
        await QueryScenario.FillAsync(engine, jobs, tasksPerJob);
        var big = await engine.Client.SpoolAsync(QueryScenario.Script("one big job", bigJobTasks), new Client.SpoolOptions("user00", "big.alf", Paused: true));
        var fillSecs = fill.Elapsed.TotalSeconds;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = $"http://{engine.Engine}",
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.GetByLabel("User").FillAsync("wrangler");
        await page.GetByLabel("Password").FillAsync("bench-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator(".grid .row").First.WaitForAsync();

        var allJobs = jobs + 1;
        // The same rows read by a .NET client: what of a first render is the engine's, and what the browser's.
        var apiJobs = new List<double>();
        var apiTasks = new List<double>();
        for (var i = 0; i < samples + 1; i++)
        {
            var watch = Stopwatch.StartNew();
            var rows = await engine.Client.JobsAsync(null, null, new Client.ListOptions(Limit: 0, Archived: true));
            var jobsMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var taskRows = await engine.Client.TasksAsync($"jid={big.Jid}", null, new Client.ListOptions(Limit: 0, Archived: true));
            if (i > 0)
            {
                apiJobs.Add(jobsMs);
                apiTasks.Add(watch.Elapsed.TotalMilliseconds);
            }
            if (rows.Count != allJobs || taskRows.Count != bigJobTasks)
                throw new InvalidOperationException($"the engine listed {rows.Count} jobs and {taskRows.Count} tasks, not {allJobs} and {bigJobTasks}");
        }
        // What allowed=1 (the Dashboard's listing: each job's operations the caller may run) costs over the same listing
        // without it, for a user who is not an administrator.
        using var user07 = new Client.EngineClient(engine.Engine, new HttpClient(), token: await AuthScenario.LoginAsync(engine, "user07", "bench-password"));
        var plainListing = new List<double>();
        var allowedListing = new List<double>();
        for (var i = 0; i < samples + 1; i++)
        {
            foreach (var (withAllowed, times) in new[] { (false, plainListing), (true, allowedListing) })
            {
                var watch = Stopwatch.StartNew();
                var rows = await user07.JobsAsync(null, null, new Client.ListOptions(Limit: 0, Archived: true) { WithAllowed = withAllowed });
                if (i > 0)
                    times.Add(watch.Elapsed.TotalMilliseconds);
                if (rows.Count != allJobs || withAllowed != rows.All(r => r.Allowed is not null))
                    throw new InvalidOperationException($"user07 listed {rows.Count} jobs (allowed={withAllowed}), not {allJobs}");
            }
        }
        var list = await TimeLoadsAsync(page, "/jobs", allJobs, samples);
        var tree = await TimeLoadsAsync(page, $"/jobs/{big.Jid}", bigJobTasks, samples);

        // A state change shown live: skip a task of the open job, and time until its row says done.
        var updates = new List<double>();
        for (var tid = 1; tid <= Math.Min(samples, bigJobTasks); tid++)
        {
            // Only rows in view are drawn: bring this one into view first (not timed).
            await page.EvaluateAsync("tid => { document.querySelector('.grid .body').scrollTop = (tid - 1) * 30; }", tid);
            await page.Locator($".grid .row[data-key='{tid}']").WaitForAsync();
            var watch = Stopwatch.StartNew();
            await engine.Client.OperateAsync("skip", $"jid={big.Jid} and tid={tid}", "wrangler", force: true);
            await page.WaitForFunctionAsync($"() => document.querySelector(\".grid .row[data-key='{tid}'].task-done\") !== null", null,
                new PageWaitForFunctionOptions { PollingInterval = null, Timeout = 30_000 });
            updates.Add(watch.Elapsed.TotalMilliseconds);
        }

        return new Dictionary<string, object>
        {
            ["scenario"] = "dashboard",
            ["jobs"] = allJobs,
            ["tasks"] = jobs * tasksPerJob + bigJobTasks,
            ["big_job_tasks"] = bigJobTasks,
            ["samples"] = samples,
            ["fill_secs"] = Math.Round(fillSecs, 1),
            ["job_list_first_render_p50_ms"] = Percentile(list, 50),
            ["job_list_first_render_max_ms"] = Math.Round(list.Max(), 1),
            ["task_tree_first_render_p50_ms"] = Percentile(tree, 50),
            ["task_tree_first_render_max_ms"] = Math.Round(tree.Max(), 1),
            ["api_jobs_listing_p50_ms"] = Percentile(apiJobs, 50),
            ["api_big_job_tasks_listing_p50_ms"] = Percentile(apiTasks, 50),
            ["api_jobs_listing_not_admin_p50_ms"] = Percentile(plainListing, 50),
            ["api_jobs_listing_not_admin_allowed_p50_ms"] = Percentile(allowedListing, 50),
            ["live_update_p50_ms"] = Percentile(updates, 50),
            ["live_update_p90_ms"] = Percentile(updates, 90),
            ["live_update_p99_ms"] = Percentile(updates, 99),
            ["live_update_max_ms"] = Math.Round(updates.Max(), 1),
            ["chromium"] = browser.Version,
        };
    }

    // Navigates to path and times until the grid counts every row (its aria-rowcount: rows + the header) and draws the first.
    private static async Task<List<double>> TimeLoadsAsync(IPage page, string path, int rows, int samples)
    {
        var times = new List<double>();
        for (var i = 0; i < samples + 1; i++)
        {
            await page.GotoAsync("about:blank");
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.Locator($".grid[aria-rowcount='{rows + 1}'] .row").First.WaitForAsync();
            if (i > 0) // the first warms the engine's code and the browser's cache
                times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)], 1);
    }
}
