using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Which program answers tq and tractor-spool: furrow-client, the native build, whether they are started through the
/// bin/ shims or as `furrow tq` / `furrow spool`; the .NET runtime when its command's switch is 0.
/// </summary>
public sealed class NativeClientTests
{
    private static string NativeClient => Path.Combine(Path.GetDirectoryName(FurrowProcess.FurrowDll)!, "furrow-client");

    [Theory]
    [InlineData("tractor-spool", "", true)]
    [InlineData("tractor-spool", "FURROW_TQ_NATIVE", true)]
    [InlineData("tractor-spool", "FURROW_SPOOL_NATIVE", false)]
    [InlineData("furrow spool", "", true)]
    [InlineData("furrow spool", "FURROW_SPOOL_NATIVE", false)]
    [InlineData("tq", "", true)]
    [InlineData("tq", "FURROW_SPOOL_NATIVE", true)]
    [InlineData("tq", "FURROW_TQ_NATIVE", false)]
    [InlineData("furrow tq", "", true)]
    [InlineData("furrow tq", "FURROW_TQ_NATIVE", false)]
    public async Task TheProcessThatAsksTheEngine_IsFurrowClient_UnlessItsCommandsSwitchIsZero(string command, string switchedOff, bool native)
    {
        Assert.True(File.Exists(NativeClient), $"the test run publishes the native client beside furrow.dll ({NativeClient})");
        var script = Path.Combine(Path.GetTempPath(), $"furrow-native-client-{Guid.NewGuid():N}.alf");
        await File.WriteAllTextAsync(script, "Job -title {native} -subtasks {}");
        try
        {
            // An engine that takes the connection and never answers: while it holds the request, the process that sent it
            // can be looked at. The shims and furrow replace themselves (exec), so it is the process this test started.
            using var engine = new TcpListener(IPAddress.Loopback, 0);
            engine.Start();
            var address = $"127.0.0.1:{((IPEndPoint)engine.LocalEndpoint).Port}";
            string[] args = command.EndsWith("spool", StringComparison.Ordinal) ? ["--engine", address, script] : ["--engine", address, "jobs"];
            var info = Shims.StartInfo(command, args);
            if (switchedOff.Length > 0)
                info.Environment[switchedOff] = "0";
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            string? program;
            using (await engine.AcceptTcpClientAsync(timeout.Token))
                program = new FileInfo($"/proc/{process.Id}/exe").ResolveLinkTarget(false)?.FullName;
            engine.Stop(); // the request goes unanswered: the command fails as against an engine that went away

            await process.WaitForExitAsync(timeout.Token);
            Assert.True(native ? program == NativeClient : Path.GetFileName(program) == "dotnet",
                $"{command} with {(switchedOff.Length > 0 ? switchedOff + "=0" : "no switch")} ran as {program}");
            Assert.Equal(1, process.ExitCode);
            Assert.Equal("", await stdout);
            Assert.Contains("cannot reach the engine at", await stderr);
        }
        finally
        {
            File.Delete(script);
        }
    }

    // tq --version answers as furrow --version, by every way tq is started; it goes alone (with --login it is refused,
    // not half-done), and it is no option of tq's commands.
    [Fact]
    public async Task TqVersion_PrintsFurrowsVersion_ByEveryWayTqIsStarted()
    {
        var furrow = await ProgramRun.RunAsync(new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "--version"]));
        Assert.Equal(0, furrow.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+\S*\n$", furrow.Stdout);

        var native = await ProgramRun.RunAsync(new ProcessStartInfo(NativeClient, ["tq", "--version"]));
        var runtimeInfo = new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "tq", "--version"]);
        runtimeInfo.Environment["FURROW_TQ_NATIVE"] = "0";
        var runtime = await ProgramRun.RunAsync(runtimeInfo);
        var shim = await Shims.RunAsync("tq", null, "--version");
        Assert.Equal((0, furrow.Stdout, ""), native);
        Assert.Equal((0, furrow.Stdout, ""), runtime);
        Assert.Equal((0, furrow.Stdout, ""), shim);

        var withLogin = await Shims.RunAsync("tq", null, "--version", "--login");
        Assert.Equal((2, "", "tq: --version goes alone\n"), withLogin);
        // After the command or before it, with no engine running: refused as a usage error before anything is asked.
        var afterCommand = await Shims.RunAsync("tq", null, "--engine", "127.0.0.1:1", "jobs", "--version");
        Assert.Equal((2, "", "tq: --version goes with tq alone, not with tq jobs\n"), afterCommand);
        var beforeCommand = await Shims.RunAsync("tq", null, "--engine", "127.0.0.1:1", "--version", "jobs");
        Assert.Equal((2, "", "tq jobs: --version goes with tq alone, not with tq jobs; see tq jobs --help\n"), beforeCommand);
        var loginBeforeCommand = await Shims.RunAsync("tq", null, "--engine", "127.0.0.1:1", "--login", "retry", "3");
        Assert.Equal(2, loginBeforeCommand.ExitCode);
        Assert.Contains("--login goes with tq alone, not with tq retry", loginBeforeCommand.Stderr);
    }
}
