using System.Net;
using Furrow.Integration.Tests.Support;
using Microsoft.Playwright;

namespace Furrow.Integration.Tests;

/// <summary>
/// The Dashboard in a real Chromium against a real engine and blade: sign in, watch a spooled job's tasks turn done and
/// a running task's log grow without reloading, pause dispatching from the admin panel, retry an errored task, act
/// only as the crews allow, and show every hostile value users can spool as text.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DashboardTests
{
    static DashboardTests() => Assertions.SetDefaultExpectTimeout(30_000);

    // The page sets this once when it is loaded: still there later means the view changed without a reload.
    private const string MarkPage = "() => { window.__notReloaded = true; }";
    private const string StillSamePage = "() => window.__notReloaded === true";

    [Fact]
    public async Task ASpooledJob_ShowsUpAndItsTasksTurnDoneLive_AndARunningTasksLogFollows_WithoutReload()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        await site.StartBladeAsync("rack1", slots: 2);
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine, timeZone: "Asia/Tokyo");
        var page = browser.Page;
        await browser.SignInAsync("ana", password);
        await page.EvaluateAsync(MarkPage);

        // The first task prints a line a second for a while, so its log can be watched growing.
        var jid = await site.SpoolAsync("""
            Job -title {live frames} -subtasks {
                Task {slow} -cmds { RemoteCmd {{sh} {-c} {for i in 1 2 3 4 5 6; do echo "line $i"; sleep 1; done}} }
                Task {quick} -cmds { RemoteCmd {{echo} {quick one}} }
            }
            """, "ana");
        var row = page.Locator($".grid .row[data-key='{jid}']");
        await Assertions.Expect(row).ToContainTextAsync("live frames");
        await Assertions.Expect(row).ToContainTextAsync("ana");
        await browser.ScreenshotAsync("jobs");

        await row.GetByRole(AriaRole.Link, new() { Name = $"Open job {jid}" }).ClickAsync();
        await page.WaitForURLAsync($"**/jobs/{jid}");
        var slow = page.Locator(".grid .row[data-key='1']");
        await Assertions.Expect(slow).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("task-active"));
        await slow.ClickAsync();
        await page.WaitForURLAsync($"**/jobs/{jid}/tasks/1");
        var log = page.Locator("#task-log");
        await Assertions.Expect(log).ToContainTextAsync("line 1");
        // Lines printed after the log was opened arrive by themselves.
        await Assertions.Expect(log).ToContainTextAsync("line 6");
        await Assertions.Expect(page.Locator(".grid .row.task-done")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".job-head h1 .state.done")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>(StillSamePage), "the page reloaded; it should have updated in place");
        // Following the log never asks past its end (no 416 for each look that finds nothing new).
        Assert.DoesNotContain("416", browser.Logged());
        await browser.ScreenshotAsync("job-with-log");

        // Times are shown in the viewer's zone (Tokyo is UTC+9 all year).
        var spooled = await site.Client.JobsAsync($"jid={jid}");
        var tokyo = DateTimeOffset.FromUnixTimeMilliseconds(spooled.Single().SpoolTime).ToOffset(TimeSpan.FromHours(9));
        await Assertions.Expect(page.Locator(".job-head time")).ToContainTextAsync(tokyo.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));

        // The deep link works on reload: the same job and task open.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#task-title")).ToHaveTextAsync("slow");
        await Assertions.Expect(page.Locator("#task-log")).ToContainTextAsync("line 6");
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task PausingDispatchFromTheAdminPanel_KeepsANewJobWaiting_SaysWhyOnEveryPage_UntilResumed()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("wrangler", administrator: true);
        await site.StartBladeAsync("rack1", slots: 2);
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync("wrangler", password);

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause dispatching" }).ClickAsync();
        var banner = page.Locator("#paused-banner");
        await Assertions.Expect(banner).ToBeVisibleAsync();
        Assert.True((await site.Client.StatusAsync()).DispatchPaused);
        await Assertions.Expect(page.Locator("table[aria-label='Engine status']")).ToContainTextAsync("Schema version");
        await browser.ScreenshotAsync("admin-paused");
        // Config reload from the same panel: the engine's reply says what it read and applied.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reload config files" }).ClickAsync();
        await Assertions.Expect(page.Locator("#reload-result")).ToContainTextAsync("crews.config");
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("Config files read again.");

        var jid = await site.SpoolAsync("Job -title {held} -subtasks { Task {frame} -cmds { RemoteCmd {{echo} {ran}} } }", "wrangler");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Jobs" }).ClickAsync();
        await Assertions.Expect(banner).ToBeVisibleAsync();
        await page.GotoAsync($"/jobs/{jid}/tasks/1");
        await Assertions.Expect(banner).ToBeVisibleAsync();
        // Why is this waiting: the scheduler's own reason, from the why endpoint.
        var why = page.Locator(".why-box");
        await Assertions.Expect(why).ToContainTextAsync("Why is this waiting?");
        await Assertions.Expect(why.Locator("li")).Not.ToHaveCountAsync(0);
        var reasons = await site.Client.WhyAsync(jid, 1);
        await Assertions.Expect(why).ToContainTextAsync(reasons.Reasons[0].Text);
        Assert.Equal("ready", (await site.Client.TasksAsync($"jid={jid}")).Single().State);

        await page.GotoAsync("/admin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume dispatching" }).ClickAsync();
        await Assertions.Expect(banner).ToBeHiddenAsync();
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done once dispatch resumed");
    }

    [Fact]
    public async Task AnErroredTask_IsRetriedFromItsPanel_AndRunsAgain()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        await site.StartBladeAsync("rack1", slots: 1);
        // Fails the first time it runs, succeeds the second.
        var marker = Path.Combine(site.Root, "ran-once");
        var jid = await site.SpoolAsync(
            "Job -title {flaky} -subtasks {\n" +
            "    Task {flaky frame} -cmds { RemoteCmd {{sh} {-c} {test -e " + marker + " || { touch " + marker + "; exit 3; }}} }\n" +
            "}\n", "ana");
        await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error");
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync("ana", password);
        await page.GotoAsync($"/jobs/{jid}/tasks/1");
        await Assertions.Expect(page.Locator(".task-panel .state.error")).ToBeVisibleAsync();
        await browser.ScreenshotAsync("task-error");
        await page.EvaluateAsync(MarkPage);
        await page.Locator(".task-panel").GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Assertions.Expect(page.Locator(".grid .row[data-key='1']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("task-done"));
        await Assertions.Expect(page.Locator(".task-panel .state.done")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>(StillSamePage));
        Assert.Equal(1, (await site.Client.JobsAsync($"jid={jid}")).Single().NumDone);
    }

    [Fact]
    public async Task HostileTitlesArgvAndLogs_ShowAsText_AndNeverRunInThePage()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        await site.StartBladeAsync("rack1", slots: 1);
        const string titleHtml = "<img src=x onerror=\"window.__pwned='title'\">";
        const string taskHtml = "<script>window.__pwned='task'</script><b>bold</b>";
        const string logHtml = "<svg onload=\"window.__pwned='log'\"></svg>&amp;";
        var jid = await site.SpoolAsync(
            "Job -title {" + titleHtml + "} -subtasks {\n" +
            "    Task {" + taskHtml + "} -cmds { RemoteCmd {{echo} {" + logHtml + "}} }\n" +
            "}\n", "ana");
        var spoofed = await site.SpoolAsync("Job -title {invoice\u202egpj.exe \u001b[2J} -subtasks { Task {t} -cmds { RemoteCmd {{true}} } }", "ana");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done");
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync("ana", password);

        await Assertions.Expect(page.Locator($".grid .row[data-key='{jid}'] .job-title")).ToHaveTextAsync(titleHtml);
        // A right-to-left override would make the end of a title read as its start; an escape would clear or recolour a
        // terminal: both are shown as escapes, as tq shows them.
        await Assertions.Expect(page.Locator($".grid .row[data-key='{spoofed}'] .job-title")).ToHaveTextAsync(@"invoice\u202egpj.exe \x1b[2J");
        await page.GotoAsync($"/jobs/{jid}/tasks/1");
        await Assertions.Expect(page.Locator("#job-title")).ToHaveTextAsync(titleHtml);
        await Assertions.Expect(page.Locator("#task-title")).ToHaveTextAsync(taskHtml);
        await Assertions.Expect(page.Locator(".task-panel .argv").First).ToContainTextAsync(logHtml);
        await Assertions.Expect(page.Locator("#task-log")).ToContainTextAsync(logHtml);
        await browser.ScreenshotAsync("hostile-values");
        // Nothing the values hold became an element, and nothing ran.
        Assert.Equal(0, await page.Locator("main img, main script, main svg[onload], main b").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        browser.AssertNoPageErrors();

        // The page's own protections: only its own script runs, and no other site may frame it.
        using var http = new HttpClient();
        using var reply = await http.GetAsync($"http://{site.Engine}/jobs/{jid}");
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var policy = reply.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("nosniff", reply.Headers.GetValues("X-Content-Type-Options").Single());
        // The raw log (what the user's command printed) is never sniffed into a page either.
        using var logs = await site.HttpAsync();
        using var raw = await logs.GetAsync($"api/v1/jobs/{jid}/tasks/1/log");
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task AReadOnlyLogin_IsOfferedNoActions_AndTheEngineRefusesThemAnyway()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("auditor");
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), "{ \"Crews\": { \"ReadOnlyLogins\": [\"auditor\"] } }");
        var jid = await site.SpoolAsync("Job -title {audited} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        // The engine reads a changed crews.config within a second or so.
        await Eventually.WaitUntilAsync(async () =>
        {
            using var client = new Furrow.Client.EngineClient(site.Engine, new HttpClient());
            await client.LoginAsync("auditor", password);
            return true;
        }, TimeSpan.FromSeconds(10), () => "the auditor account to be usable");
        await browser.SignInAsync("auditor", password);
        await Assertions.Expect(page.Locator("#user")).ToContainTextAsync("read-only");
        await page.Locator($".grid .row[data-key='{jid}'] input[type=checkbox]").CheckAsync();
        await Assertions.Expect(page.Locator("button[data-op='pause']")).ToBeDisabledAsync();
        await page.GotoAsync("/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause dispatching" })).ToBeDisabledAsync();

        // The same call made by hand with the session's own CSRF token: the engine says no.
        var refused = await page.EvaluateAsync<int>("""
            async () => {
                const who = await fetch('/api/v1/auth');
                const csrf = who.headers.get('X-CSRF-Token');
                const reply = await fetch('/api/v1/dispatch/pause', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
                return reply.status;
            }
            """);
        Assert.Equal(403, refused);
        Assert.False((await site.Client.StatusAsync()).DispatchPaused);
    }

    [Fact]
    public async Task OnlyWhatCrewsConfigAllows_IsOfferedPerJob_TheTooltipNamingTheJobsItIsNot_AndActingSkipsThem()
    {
        await using var site = new TestSite();
        var password = site.AddAccount("fxer");
        // fx may pause and unpause other users' jobs, not delete them or retry their tasks.
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), """
            { "Crews": { "fx": ["fxer"] },
              "JobEditAccessPolicies": { "defaultPolicy": { "all": ["JobOwner", "Administrators"], "control": ["JobOwner", "fx", "Administrators"] } } }
            """);
        await site.StartEngineAsync();
        var open = await site.SpoolAsync("Job -title {shared} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        var held = await site.SpoolAsync("Job -title {held} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        Assert.Equal(1, (await site.Client.OperateAsync("lock", $"jid={held}", "ana", force: true)).Affected);
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        // Acting on other users' jobs asks first; the test says yes.
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await browser.SignInAsync("fxer", password);
        await page.EvaluateAsync(MarkPage);

        var pause = page.Locator(".jobs button[data-op='pause']");
        var delete = page.Locator(".jobs button[data-op='delete']");
        const string Why = "(crews.config's edit policies, or a lock)";
        const string GridTop = "() => document.querySelector('.jobs .grid').getBoundingClientRect().top";
        var gridTop = await page.EvaluateAsync<double>(GridTop);
        await page.Locator($".grid .row[data-key='{open}'] input[type=checkbox]").CheckAsync();
        await Assertions.Expect(pause).ToBeEnabledAsync();
        await Assertions.Expect(pause).Not.ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("."));
        await Assertions.Expect(delete).ToBeDisabledAsync();
        await Assertions.Expect(delete).ToHaveAttributeAsync("title", $"Delete: not allowed on J{open} {Why}");
        var note = page.Locator("#actions-denied");
        await Assertions.Expect(note).ToContainTextAsync("Not allowed by crews.config or a lock: Priority…, Delete");

        // ana's lock keeps fxer out of the other job: Pause stays offered for the first, and says it skips the second.
        await page.Locator($".grid .row[data-key='{held}'] input[type=checkbox]").CheckAsync();
        await Assertions.Expect(pause).ToBeEnabledAsync();
        await Assertions.Expect(pause).ToHaveAttributeAsync("title", $"Pause: not allowed on J{held} {Why}; it acts on the others only");
        await Assertions.Expect(delete).ToHaveAttributeAsync("title", $"Delete: not allowed on J{open}, J{held} {Why}");
        await Assertions.Expect(note).ToContainTextAsync("Pause (some jobs)");
        // The note shares the buttons' line, cut to fit with all of it in its tooltip: the list does not move under the pointer.
        await Assertions.Expect(note).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("Pause \\(some jobs\\).*Delete"));
        Assert.Equal(gridTop, await page.EvaluateAsync<double>(GridTop));
        await browser.ScreenshotAsync("jobs-allowed-actions");
        await pause.ClickAsync();
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("pause: 1 affected.");
        await Assertions.Expect(page.Locator($".grid .row[data-key='{open}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("job-paused"));
        Assert.DoesNotContain("Refused", await page.Locator("#message").TextContentAsync());
        var jobs = await site.Client.JobsAsync($"jid in [{open}, {held}]");
        Assert.True(jobs.Single(j => j.Jid == open).Paused);
        Assert.False(jobs.Single(j => j.Jid == held).Paused);

        // A lock taken while the page is open shows without a reload: Unpause, offered for the paused job, is withdrawn.
        var unpause = page.Locator(".jobs button[data-op='unpause']");
        await Assertions.Expect(unpause).ToBeEnabledAsync();
        Assert.Equal(1, (await site.Client.OperateAsync("lock", $"jid={open}", "ana", force: true)).Affected);
        await Assertions.Expect(unpause).ToBeDisabledAsync();
        await Assertions.Expect(unpause).ToHaveAttributeAsync("title", $"Unpause: not allowed on J{open} {Why}");
        Assert.True(await page.EvaluateAsync<bool>(StillSamePage), "the page reloaded; it should have updated in place");
        Assert.Equal(1, (await site.Client.OperateAsync("unlock", $"jid={open}", "ana", force: true)).Affected);

        // The job's own page: Unpause offered, Delete not; the locked job's task may not be retried from its panel.
        await page.GotoAsync($"/jobs/{open}");
        var head = page.Locator(".job-head");
        await Assertions.Expect(head.Locator("button[data-op='unpause']")).ToBeEnabledAsync();
        await Assertions.Expect(head.Locator("button[data-op='delete']")).ToBeDisabledAsync();
        await Assertions.Expect(head.Locator("button[data-op='delete']")).ToHaveAttributeAsync("title", $"Delete: not allowed on J{open} {Why}");
        await Assertions.Expect(head.Locator("#actions-denied")).ToContainTextAsync("Priority…, Delete");
        await Assertions.Expect(head.Locator("#actions-denied")).Not.ToContainTextAsync("Unpause");
        await browser.ScreenshotAsync("job-allowed-actions");
        await page.GotoAsync($"/jobs/{held}/tasks/1");
        var retry = page.Locator(".task-panel button[data-op='retry']");
        await Assertions.Expect(retry).ToBeDisabledAsync();
        await Assertions.Expect(retry).ToHaveAttributeAsync("title", $"Retry: not allowed on J{held} {Why}");
        await Assertions.Expect(head.Locator("button[data-op='pause']")).ToBeDisabledAsync();
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task TheHeader_KeepsOneHeightWhateverItsChangingTextSays_SoThePageBelowNeverMoves()
    {
        await using var site = new TestSite();
        // A long account name, shown with its role: the header's widest steady text.
        const string User = "nightshift-lighting-wrangler";
        var password = site.AddAccount(User);
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), $$"""{ "Crews": { "ReadOnlyLogins": ["{{User}}"] } }""");
        await site.StartEngineAsync();
        await site.SpoolAsync("Job -title {steady} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync(User, password);
        await Assertions.Expect(page.Locator("#summary")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");

        // What the header says changes while the page is open (the live indicator's states, the summary's counts); none
        // of it may wrap the header onto another line and push the page down, at any common window width.
        const string MainTop = "() => document.getElementById('main').getBoundingClientRect().top";
        foreach (var width in new[] { 1920, 1440, 1280, 1024, 800, 600 })
        {
            await page.SetViewportSizeAsync(width, 900);
            var top = await page.EvaluateAsync<double>(MainTop);
            if (width > 900)
            {
                // A window this wide has the whole header on one line: every part of it centred on the same height.
                var centres = await page.EvaluateAsync<double[]>("""
                    () => [...document.querySelector('header.top').children].map(c => { const r = c.getBoundingClientRect(); return r.top + r.height / 2; })
                    """);
                Assert.True(centres.Max() - centres.Min() < 2, $"at {width} px the header has more than one line: centres at {string.Join(", ", centres)}");
            }
            foreach (var live in new[] { "connecting", "reconnecting", "live" })
            {
                await page.EvaluateAsync("text => { document.getElementById('live').textContent = text; }", live);
                Assert.True(top == await page.EvaluateAsync<double>(MainTop), $"at {width} px the page moved when the header said {live}");
            }
            await page.EvaluateAsync("""
                () => document.querySelectorAll('#summary .chip').forEach(chip => {
                    chip.lastChild.textContent = chip.lastChild.textContent.replace(/^\d[\d,]*/, '1,234,567'); })
                """);
            Assert.True(top == await page.EvaluateAsync<double>(MainTop), $"at {width} px the page moved when the summary's counts grew");
            // The user's name is always there to read, whole in its tooltip where the line cuts it.
            await Assertions.Expect(page.Locator("#user")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#user")).ToHaveAttributeAsync("title", $"{User} (read-only)");
            await Assertions.Expect(page.Locator("#signout")).ToBeInViewportAsync();
            if (width is 1280 or 600)
                await browser.ScreenshotAsync($"header-{width}");
        }
        await page.SetViewportSizeAsync(1440, 900);
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task TheJobList_FiltersWithTqClauses_NamesABadToken_AndIsDrivenByKeyboard()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("ana");
        var mine = await site.SpoolAsync("Job -title {mine} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "ana");
        var theirs = await site.SpoolAsync("Job -title {theirs} -subtasks { Task {t} -cmds { RemoteCmd {{echo} {x}} } }", "bob");
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync("ana", password);
        await Assertions.Expect(page.Locator(".grid .row")).ToHaveCountAsync(2);

        var filter = page.GetByLabel("Filter jobs with a tq clause");
        await filter.FillAsync("owner=bob");
        await filter.PressAsync("Enter");
        await Assertions.Expect(page.Locator(".grid .row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($".grid .row[data-key='{theirs}']")).ToBeVisibleAsync();
        await page.WaitForURLAsync("**/jobs?q=owner%3Dbob");

        await filter.FillAsync("owner=bob and (");
        await filter.PressAsync("Enter");
        var message = page.Locator("#message");
        await Assertions.Expect(message).ToBeVisibleAsync();
        var expected = await BadClauseMessageAsync(site, "owner=bob and (");
        await Assertions.Expect(message).ToContainTextAsync(expected);

        // Keyboard only: into the list, down to the first row, Enter opens it.
        await filter.FillAsync("");
        await filter.PressAsync("Enter");
        await Assertions.Expect(page.Locator(".grid .row")).ToHaveCountAsync(2);
        await page.Locator(".grid .body").FocusAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**/jobs/{theirs}");   // newest first
        await page.GoBackAsync();
        await Assertions.Expect(page.Locator($".grid .row[data-key='{mine}']")).ToBeVisibleAsync();

        // Every control has a name a screen reader can say.
        var unnamed = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('button, input, a')].filter(e => e.offsetParent !== null)
                .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim() || (e.id && document.querySelector(`label[for='${e.id}']`)) || e.closest('label')))
                .map(e => e.outerHTML)
            """);
        Assert.Empty(unnamed);
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task TheBladesView_ShowsSlotsAndHeartbeat_AndNimbyIsToggledThere()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var password = site.AddAccount("wrangler", administrator: true);
        await site.StartBladeAsync("rack7", slots: 3);
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await browser.SignInAsync("wrangler", password);
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Blades" }).ClickAsync();
        var row = page.Locator(".grid .row[data-key='rack7']");
        await Assertions.Expect(row).ToContainTextAsync("0/3");
        await Assertions.Expect(row).ToContainTextAsync("ago");
        await browser.ScreenshotAsync("blades");
        await row.GetByRole(AriaRole.Button, new() { Name = "Nimby blade rack7" }).ClickAsync();
        await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=rack7")).Single().Nimby, TimeSpan.FromSeconds(10),
            () => "rack7 to be nimby");
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = "Unnimby blade rack7" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TheLocalUsersSignInLink_OpensTheDashboardSignedIn_Once()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // What furrow up and furrow dashboard print: a link asked for through the engine's socket, as its own account.
        var link = await site.Client.SignInLinkAsync();
        var who = (await site.Client.WhoAmIAsync()).User;
        await using var browser = await DashboardBrowser.OpenAsync(site.Engine);
        var page = browser.Page;
        await page.GotoAsync(link.Path);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#user")).ToContainTextAsync($"{who} (admin)");
        // The code leaves the address bar (and history) once used.
        Assert.DoesNotContain(link.Code, page.Url);
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToBeVisibleAsync();

        // A second browser with the same link is refused, and says so on the sign-in form.
        await using var second = await DashboardBrowser.OpenAsync(site.Engine);
        await second.Page.GotoAsync(link.Path);
        await Assertions.Expect(second.Page.Locator(".signin-error")).Not.ToBeEmptyAsync();
        await Assertions.Expect(second.Page.GetByLabel("User")).ToBeVisibleAsync();
        browser.AssertNoPageErrors();
    }

    // The engine's own words for a clause it cannot parse, which the page must show as they are.
    private static async Task<string> BadClauseMessageAsync(TestSite site, string clause)
    {
        using var http = await site.HttpAsync();
        using var reply = await http.GetAsync($"api/v1/jobs?q={Uri.EscapeDataString(clause)}");
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        var problem = System.Text.Json.JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("msg").GetString()!;
    }
}
