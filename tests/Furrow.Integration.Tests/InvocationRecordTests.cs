using System.Globalization;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>Each invocation's record: where and when it ran on the engine's clock, and what its process tree used.</summary>
public sealed class InvocationRecordTests
{
    [Fact]
    [Trait(TestSite.StoreTrait, TestSite.AnyStore)]
    public async Task ARealCommand_HasItsElapsedCpuAndPeakMemoryRecorded_AndTqFiltersOnThem()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("meter", slots: 2);
        // One command holds a 60 MB string (about twice that resident) while a child shell spins; the other does nothing.
        var jid = await site.SpoolAsync("""
            Job -title {usage} -subtasks {
                Task {heavy} -cmds { RemoteCmd {sh -c "x=$(head -c 60000000 /dev/zero | tr '\\0' a); sh -c 'i=0; while [ \$i -lt 1500000 ]; do i=\$((i+1)); done'; echo ${#x}"} }
                Task {light} -cmds { RemoteCmd {true} }
                Task {burst} -cmds { RemoteCmd {sh -c "python3 -c 'b = bytes(1) * (300 << 20)'; sleep 1"} }
            }
            """);
        var job = await site.WaitForJobAsync(jid, j => j.NumDone + j.NumError == 3, TimeSpan.FromSeconds(60), "all three finished");
        Assert.True(job.NumDone == 3, await site.Client.TaskLogAsync(jid, 1));

        var rows = await site.Client.InvocationsAsync($"jid={jid}");
        var heavy = rows.Single(r => r.Tid == 1);
        var light = rows.Single(r => r.Tid == 2);
        Assert.InRange(heavy.PeakRss!.Value, 50L << 20, 1L << 30);
        Assert.True(heavy.UserSecs > 0.2, $"cpu {heavy.UserSecs} + {heavy.SystemSecs}");
        Assert.True(heavy.ElapsedReal >= heavy.UserSecs, $"elapsed {heavy.ElapsedReal} < user {heavy.UserSecs}");
        Assert.True(light.ElapsedReal < heavy.ElapsedReal, $"light {light.ElapsedReal}, heavy {heavy.ElapsedReal}");
        Assert.True(light.PeakRss is null or < 50L << 20, $"light rss {light.PeakRss}");
        // A child's short peak (over between two samples) is in the kernel's RSS peak; the virtual size is never below it.
        var burst = rows.Single(r => r.Tid == 3);
        Assert.InRange(burst.PeakRss!.Value, 250L << 20, 1L << 30);
        Assert.All(rows, r => Assert.True(r.PeakVsz is null || r.PeakVsz >= r.PeakRss, $"vsz {r.PeakVsz} < rss {r.PeakRss} ({r.Tid})"));
        Assert.NotNull(burst.PeakVsz);
        // Times are the engine's: dispatched, then started, then stopped; the elapsed time fits in between.
        Assert.True(heavy.DispatchTime <= heavy.StartTime && heavy.StartTime <= heavy.StopTime, $"{heavy}");
        Assert.True((heavy.StopTime - heavy.StartTime) / 1000.0 >= heavy.ElapsedReal - 1, $"{heavy}");

        // Tractor's invocation columns answer clauses, with units (among the first two tasks: the burst is big too).
        Assert.Equal([heavy.Iid], (await site.Client.InvocationsAsync($"jid={jid} and tid < 3 and rss > 50M")).Select(r => r.Iid));
        Assert.Equal([heavy.Iid], (await site.Client.InvocationsAsync($"jid={jid} and tid < 3 and elapsedapp > 0.2 and cpu > 0.05")).Select(r => r.Iid));
        var fast = heavy.ElapsedReal!.Value / 2;
        Assert.Equal([heavy.Iid], (await site.Client.InvocationsAsync(
            $"jid={jid} and tid < 3 and elapsedreal > {fast.ToString(CultureInfo.InvariantCulture)}s")).Select(r => r.Iid));
        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "invocations", $"jid={jid} and tid < 3 and rss > 50M");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["iid", "jid", "tid", "cid", "blade", "pid", "rc", "status", "elapsed", "cpu", "rss"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var cells = Assert.Single(lines[1..]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(heavy.Iid.ToString(CultureInfo.InvariantCulture), cells[0]);
        Assert.EndsWith("M", cells[^1]);
        // The cpu column is what the cpu clause reads: cores kept busy on average, not CPU seconds.
        Assert.Equal((heavy.UserSecs + heavy.SystemSecs) / heavy.ElapsedReal, heavy.Cpu);
        Assert.Equal(heavy.Cpu!.Value.ToString("0.##", CultureInfo.InvariantCulture), cells[^2]);
    }

    [Fact]
    public async Task ABladeWhoseClockIsAnHourAhead_LeavesARecordOnTheEnginesClock_AndItsSkewIsReported()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {skewed} -subtasks { Task {t} -cmds { RemoteCmd {render} } }");
        // A blade on a host whose clock is an hour fast, speaking the blade protocol.
        const long Hour = 3_600_000;
        long BladeNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + Hour;
        const string Name = "fast-clock";
        var boot = Guid.NewGuid().ToString("N");
        await site.Client.RegisterBladeAsync(new BladeRegistration(Name, "fast-host", 1, "test", boot, 1));
        var work = await site.Client.PollWorkAsync(Name, new WorkRequest(boot, 1, 5000));
        var assignment = Assert.Single(work.Assignments);
        var started = BladeNow();
        await site.Client.ReportAsync(Name, new BladeReport(boot, [new InvocationEvent(1, assignment.Iid, InvocationEventTypes.Started, started, Pid: 4242)],
            [assignment.Iid], 0, SentMs: BladeNow()));
        await Task.Delay(300);
        var usage = new ProcessUsage(2.5, 1.25, 0.25, 300L << 20, 1L << 30);
        var reply = await site.Client.ReportAsync(Name, new BladeReport(boot,
            [new InvocationEvent(2, assignment.Iid, InvocationEventTypes.Exited, BladeNow(), ExitCode: 0, Usage: usage)], [], 1, SentMs: BladeNow()));
        Assert.Equal(2, reply.AckedSeq);
        var engineNow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var row = (await site.Client.InvocationsAsync($"jid={jid}")).Single();
        Assert.Equal("done", row.Status);
        // On the engine's clock: not an hour in the future, and in order.
        Assert.True(row.DispatchTime <= row.StartTime && row.StartTime <= row.StopTime && row.StopTime <= engineNow, $"{row}");
        Assert.InRange(row.ClockSkewMs!.Value, -Hour - 1_000, -Hour + 5_000);
        // The blade's own measure of the real time stands, whatever its clock.
        Assert.Equal((2.5, 1.25, 0.25, 300L << 20, 1L << 30), (row.ElapsedReal, row.UserSecs, row.SystemSecs, row.PeakRss, row.PeakVsz));
        var blade = (await site.Client.BladesAsync($"name={Name}")).Single();
        Assert.InRange(blade.ClockSkewMs!.Value, -Hour - 1_000, -Hour + 5_000);
        var (code, stdout, stderr) = await Shims.RunAsync("tq", null, "--engine", site.Engine, "blades", $"name={Name}");
        Assert.True(code == 0, stderr);
        Assert.Contains("clockskew", stdout);
        Assert.Matches(@"\s-3[56]\d\d(\.\d+)?s\s", stdout);
        Assert.Equal([row.Iid], (await site.Client.InvocationsAsync($"jid={jid} and elapsedreal >= 2.5 and rss = 300M and vsz > 1023M")).Select(r => r.Iid));
    }
}
