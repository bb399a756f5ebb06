using Microsoft.Playwright;

namespace Furrow.Integration.Tests.Support;

/// <summary>
/// A real Chromium (the distribution's: <c>/usr/bin/chromium</c>, or <c>FURROW_CHROMIUM</c>) driven by Playwright,
/// with one page on a test site's engine. Nothing is downloaded: Playwright's driver ships in its NuGet package and the
/// browser is the one .ci/run installs. Screenshots go to <see cref="ScreenshotDirectory"/> for people to look at.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
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
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                // This machine has no network beyond loopback: without these Chromium keeps trying Google's hosts.
                Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage"],
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = $"http://{engine}",
                TimezoneId = timeZone,
                Locale = "en-GB",
                ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            var opened = new DashboardBrowser(playwright, browser, context, page);
            page.Console += (_, message) => { lock (opened.Console) opened.Console.Add($"{message.Type}: {message.Text}"); };
            page.PageError += (_, error) => { lock (opened.Console) opened.Console.Add($"page error: {error}"); };
            return opened;
        }
        catch
        {
            playwright.Dispose();
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

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
