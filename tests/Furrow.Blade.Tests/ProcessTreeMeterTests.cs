using System.Diagnostics;

namespace Furrow.Blade.Tests;

public sealed class ProcessTreeMeterTests
{
    [Theory]
    [InlineData("4242 (sh) S 1 4242 4242 0 -1 4194560 1 2 0 0 7 3 11 5 20 0 1 0 100 2617344 230 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
        4242, 'S', 1, 4242, 7 + 11, 3 + 5, 100UL, 2617344, 230)]
    [InlineData("77 (my (odd) cmd) R 42 77 5 0 -1 0 0 0 0 0 250 40 0 0 20 0 1 0 100 999 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        77, 'R', 42, 77, 250, 40, 100UL, 999, 12)]
    public void ProcStat_ReadsTheFieldsAfterACommandNameWithSpacesAndParentheses(string line, int pid, char state, int ppid, int group,
        long user, long system, ulong start, long vsz, long rss)
    {
        Assert.Equal(new ProcStat(pid, state, ppid, group, user, system, start, vsz, rss), ProcStat.TryParse(line));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("12 (x) S 1 2 3")]
    [InlineData("12 (x) S a b c d e f g h i j k l m n o p q r s t u v w")]
    public void ProcStat_RefusesWhatIsNotAStatLine(string line) => Assert.Null(ProcStat.TryParse(line));

    [Fact]
    public async Task Meter_SeesTheMemoryAndCpuOfAChildProcessTree()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var meter = new ProcessTreeMeter();
        // A shell holds a 60 MB string (about twice that resident) and, in a child shell, spins for a while.
        var info = new ProcessStartInfo("sh", ["-c", "x=$(head -c 60000000 /dev/zero | tr '\\0' a); sh -c 'i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done'; echo ${#x}"])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        meter.Track(1, process.Id);
        Assert.Equal("60000000", (await process.StandardOutput.ReadToEndAsync()).Trim());
        await process.WaitForExitAsync();
        var (user, system, rss, vsz) = meter.Finish(1);
        Assert.InRange(rss!.Value, 50L << 20, 1L << 30);
        Assert.True(vsz >= rss, $"vsz {vsz} < rss {rss}");
        Assert.True(user + system > 0.2, $"cpu {user} + {system}");
        Assert.Equal((null, null, null, null), meter.Finish(1)); // once only
    }
}
