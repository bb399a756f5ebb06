using System.Diagnostics;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Each Tractor-named shim in bin/ names the command as the user typed it in its usage errors and help, whichever program
/// answers (the native furrow-client or furrow-blade, or the .NET runtime when its switch is 0), and furrow's own
/// commands keep furrow's names.
/// </summary>
public sealed class ShimNameTests
{
    [Theory]
    [InlineData("tq", "", "tq")]
    [InlineData("tq", "FURROW_TQ_NATIVE", "tq")]
    [InlineData("tractor-spool", "", "tractor-spool")]
    [InlineData("tractor-spool", "FURROW_SPOOL_NATIVE", "tractor-spool")]
    [InlineData("tractor-dbctl", "", "tractor-dbctl")]
    [InlineData("tractor-engine", "", "tractor-engine")]
    [InlineData("tractor-blade", "", "tractor-blade")]
    [InlineData("tractor-blade", "FURROW_BLADE_NATIVE", "tractor-blade")]
    [InlineData("furrow blade", "", "furrow blade")]
    [InlineData("furrow blade", "FURROW_BLADE_NATIVE", "furrow blade")]
    [InlineData("furrow dbctl", "", "furrow dbctl")]
    [InlineData("furrow engine", "", "furrow engine")]
    public async Task AnUnknownOption_IsNamedWithTheCommandAsTyped(string command, string switchedOff, string named)
    {
        // tractor-spool too: a word that looks like an option is no file name, though it takes any number of files.
        var (code, stdout, stderr) = await RunAsync(command, switchedOff, "--no-such-option");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"{named}: unknown option '--no-such-option'; see {named} --help", stderr);

        (code, stdout, _) = await RunAsync(command, switchedOff, "--help");
        Assert.Equal(0, code);
        var usage = stdout.Split('\n').SkipWhile(l => !l.StartsWith("Usage:", StringComparison.Ordinal)).Skip(1).FirstOrDefault()?.Trim();
        Assert.StartsWith($"{named} ", usage);
    }

    // An empty value is no default and no crash later: every command refuses it before it does anything, naming the
    // option as typed, whichever program answers (`furrow user add zed --configdir=` once said "added zed", then crashed).
    [Theory]
    [InlineData("tractor-dbctl", "", "--configdir", new[] { "--configdir=", "--status" })]
    [InlineData("tractor-dbctl", "", "--configdir", new[] { "--status", "--configdir", "" })]
    [InlineData("tractor-dbctl", "", "--backup", new[] { "--backup=", "--configdir", "nosuchsite" })]
    [InlineData("tractor-engine", "", "--configdir", new[] { "--configdir=" })]
    [InlineData("furrow engine", "", "--configdir", new[] { "--configdir= ", "--port", "5999" })]
    [InlineData("furrow user", "", "--configdir", new[] { "add", "zed", "--configdir=" })]
    [InlineData("furrow user", "", "--password-file", new[] { "add", "zed", "--password-file=" })]
    [InlineData("furrow up", "", "--dir", new[] { "--dir=" })]
    [InlineData("tq", "", "--engine", new[] { "--engine=", "jobs" })]
    [InlineData("tq", "FURROW_TQ_NATIVE", "--engine", new[] { "--engine=", "jobs" })]
    [InlineData("tq", "", "--cols", new[] { "jobs", "--cols", " " })]
    [InlineData("tractor-spool", "", "--engine", new[] { "--engine=", "-c", "echo" })]
    [InlineData("tractor-blade", "", "--configdir", new[] { "--configdir=" })]
    [InlineData("tractor-blade", "FURROW_BLADE_NATIVE", "--configdir", new[] { "--configdir=" })]
    public async Task AnEmptyValue_IsAUsageErrorNamingTheOption_BeforeAnythingIsDone(string command, string switchedOff, string option, string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(command, switchedOff, args);

        Assert.Equal("", stdout);
        Assert.Equal(2, code);
        Assert.StartsWith(command, stderr); // `furrow user add: ...` for furrow user's add
        Assert.Contains($": {option} is given an empty value: give one, or leave the option out; see ", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", stderr);
    }

    [Fact]
    public async Task AShimsNameIsNotPassedOn_ToWhatItsProcessStarts()
    {
        // A stray FURROW_INVOKED_AS in a user's environment names nothing that does not match it: furrow tq stays furrow tq.
        var info = new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, "tq", "--no-such-option"]);
        info.Environment["FURROW_INVOKED_AS"] = "tractor-spool";
        var (code, _, stderr) = await ProgramRun.RunAsync(info, null);
        Assert.Equal(2, code);
        Assert.StartsWith("furrow tq: unknown option", stderr);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string command, string switchedOff, params string[] args)
    {
        var info = Shims.StartInfo(command, args);
        if (switchedOff.Length > 0)
            info.Environment[switchedOff] = "0";
        return ProgramRun.RunAsync(info, null);
    }
}
