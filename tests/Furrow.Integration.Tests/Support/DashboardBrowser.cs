using Microsoft.Playwright;

namespace Furrow.Integration.Tests.Support;

/// <summary>
/// A real Chromium (the distribution's: <c>/usr/bin/chromium</c>, or <c>FURROW_CHROMIUM</c>) driven by Playwright,
/// with one page, in a browser context of its own (cookies, storage), on a test site's engine. Nothing is downloaded:
/// Playwright's driver ships in its NuGet package and the browser is the one .ci/run installs. Screenshots go to
/// <see cref="ScreenshotDirectory"/> for people to look at.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    private DashboardBrowser(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
    }

    // One Chromium for the test run (launching it, and Playwright's driver, took seconds per test); each test gets its
    // own context, which shares no cookies, storage or cache with another's. A browser that has gone away is launched
    // again for the next test.
    private static readonly SemaphoreSlim Launching = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    private static async Task<IBrowser> BrowserAsync()
    {
        await Launching.WaitAsync();
        try
        {
            if (_browser is { IsConnected: true })
                return _browser;
            _playwright?.Dispose();
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                // This machine has no network beyond loopback: without these Chromium keeps trying Google's hosts.
                Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage"],
            });
            AppDomain.CurrentDomain.ProcessExit += CloseAtExit;
            return _browser;
        }
        finally
        {
            Launching.Release();
        }
    }

    private static void CloseAtExit(object? sender, EventArgs e)
    {
        AppDomain.CurrentDomain.ProcessExit -= CloseAtExit;
        _browser?.CloseAsync().Wait(TimeSpan.FromSeconds(5));
        _playwright?.Dispose();
    }

    /// <summary>The browser's executable: FURROW_CHROMIUM, else Debian's chromium.</summary>
    public static string Executable { get; } = Environment.GetEnvironmentVariable("FURROW_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where screenshots are kept: FURROW_SCREENSHOTS, else <c>artifacts/dashboard-screenshots</c> beside the published build.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("FURROW_SCREENSHOTS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(FurrowProcess.FurrowDll)!)!, "dashboard-screenshots");

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Every message the page logged to its console and every error it threw, for failure messages.</summary>
    public List<string> Console { get; } = [];

    /// <summary>Launches Chromium headless and opens a page whose relative URLs go to <paramref name="engine"/> (HOST:PORT).</summary>
    /// <param name="timeZone">The viewer's time zone (IANA name), so tests can see times shown in it.</param>
    public static async Task<DashboardBrowser> OpenAsync(string engine, string timeZone = "UTC")
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"no Chromium at {Executable}: install Debian's chromium package (.ci/run does) or set FURROW_CHROMIUM");
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = $"http://{engine}",
            TimezoneId = timeZone,
            Locale = "en-GB",
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        try
        {
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            var opened = new DashboardBrowser(context, page);
            page.Console += (_, message) => { lock (opened.Console) opened.Console.Add($"{message.Type}: {message.Text}"); };
            page.PageError += (_, error) => { lock (opened.Console) opened.Console.Add($"page error: {error}"); };
            return opened;
        }
        catch
        {
            await context.CloseAsync();
            throw;
        }
    }

    /// <summary>Signs in on the Dashboard's sign-in page as <paramref name="user"/> and waits for the jobs view.</summary>
    public async Task SignInAsync(string user, string password)
    {
        try
        {
            // A page asked for without a session sends the browser to the sign-in form, keeping where it was going.
            await Page.GotoAsync("/");
            await Assertions.Expect(Page.GetByLabel("User")).ToBeVisibleAsync();
            Assert.Contains("/signin", Page.Url);
            await Page.GetByLabel("User").FillAsync(user);
            await Page.GetByLabel("Password").FillAsync(password);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Jobs" })).ToBeVisibleAsync();
        }
        catch (Exception failed) when (failed is PlaywrightException or TimeoutException)
        {
            throw new InvalidOperationException($"signing in as {user} failed at {Page.Url}: {failed.Message}\npage log:\n{Logged()}", failed);
        }
    }

    /// <summary>Saves a full-page screenshot as <c>NAME.png</c> in <see cref="ScreenshotDirectory"/>.</summary>
    public async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png") });
    }

    /// <summary>What the page logged, for a failure message.</summary>
    public string Logged()
    {
        lock (Console)
            return string.Join('\n', Console);
    }

    /// <summary>
    /// Fails when the page threw, or the browser refused something of the page's own under its Content-Security-Policy
    /// (an inline style or script the page should not have needed).
    /// </summary>
    public void AssertNoPageErrors()
    {
        var logged = Logged();
        Assert.DoesNotContain("page error", logged);
        Assert.DoesNotContain("Content Security Policy", logged);
    }

    /// <summary>Closes this test's context and its pages; the shared browser stays for the next test.</summary>
    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
