using System.Diagnostics;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Tractor's wire protocol, spoken by a client written here in Python (standard library only) from TRACTOR-PROTOCOL.md:
/// hand-written HTTP/1.0 on a socket, form bodies ending in CRLF, the masked-password login, tractorselect, queue
/// operations and the monitor shapes. Each area is a module `Tractor/test_AREA.py` run against a real engine with a
/// real blade; the Python side checks each effect through the native API.
/// </summary>
public sealed class TractorProtocolTests
{
    private static readonly string Scripts = Path.Combine(AppContext.BaseDirectory, "Tractor");

    [Fact]
    public Task Session_Login_And_Spool() => RunAreaAsync("session");

    [Fact]
    public Task AnonymousEngine_NamesCallersAsTractorsClientsDo() => RunAreaAsync("anonymous", engineSettings: "\"RequireAuthentication\": false");

    [Fact]
    public Task Monitor_Shapes() => RunAreaAsync("monitor", withBlade: true);

    [Fact]
    public Task Query_Tractorselect() => RunAreaAsync("query", withBlade: true);

    [Fact]
    public Task Scripts_TractorIdiomsRunAsTractorRunsThem() => RunAreaAsync("scripts", withBlade: true);

    [Fact]
    public Task Queue_Operations() => RunAreaAsync("queue", withBlade: true, others: [("bystander", false), ("boss", true)]);

    /// <summary>
    /// Starts an engine (and a blade) with a user account and runs <paramref name="area"/>'s checks as that user;
    /// <paramref name="others"/> are more accounts (administrators or not) the checks may log in as ($TRACTOR_ACCOUNTS).
    /// </summary>
    /// <param name="engineSettings">tractor.config members added before the engine starts (<see cref="TestSite.AddEngineSettingsAsync"/>).</param>
    internal static async Task RunAreaAsync(string area, bool withBlade = false, string? engineSettings = null, (string Name, bool Administrator)[]? others = null)
    {
        await using var site = new TestSite();
        if (engineSettings is not null)
            await site.AddEngineSettingsAsync(engineSettings);
        var password = site.AddAccount("wrangler");
        var accounts = (others ?? []).Select(o => $"{o.Name}:{site.AddAccount(o.Name, o.Administrator)}").ToList();
        await site.StartEngineAsync();
        if (withBlade)
            await site.StartBladeAsync("tractorblade");
        // The engine reads changed account files at most once a second: wait for the account to log in.
        await Eventually.WaitForAsync(async () =>
        {
            try
            {
                return await site.LoginAsync("wrangler", password);
            }
            catch (Furrow.Client.EngineException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(10), () => "the engine to take the wrangler account");

        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Scripts };
        start.Environment["TRACTOR_ACCOUNTS"] = string.Join(",", accounts);
        foreach (var arg in new[] { Path.Combine(Scripts, "run_area.py"), "127.0.0.1", site.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "wrangler", password, area })
            start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        if (!python.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            python.Kill();
            Assert.Fail($"the {area} checks did not finish in 3 minutes:\n{await stdout}\n{await stderr}");
        }
        var output = await stdout + await stderr;
        Assert.True(python.ExitCode == 0, $"the Tractor client's {area} checks failed (exit {python.ExitCode}):\n{output}\nengine output:\n{site.EngineProcess?.Output}");
        Assert.Contains(" passed, 0 failed", output);
    }
}
