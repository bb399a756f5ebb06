using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Bench;

/// <summary>
/// An online backup of a large job database while blades keep taking work: how long it takes, and the longest gap
/// between two dispatches during it, against the longest gap in the same run before it started.
/// </summary>
internal static class BackupScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int targetMb)
    {
        await using var engine = await BenchEngine.StartAsync();
        // Long command lines fill the database quickly, like real render commands with many flags.
        var padding = new string('x', 900);
        while (File.Exists(engine.DatabaseFile) && new FileInfo(engine.DatabaseFile).Length < targetMb * 1048576L
            || !File.Exists(engine.DatabaseFile))
            await engine.Client.SpoolAsync(Jobs.Flat(1000, "true " + padding), new SpoolOptions("bench", "backup.alf"));

        // The spool's own writes are flushed first, so the gaps measured are the engine's, not the kernel's writeback of
        // the 250 MB just spooled (every commit syncs the file system it shares).
        using (var sync = Process.Start("sync"))
            await sync.WaitForExitAsync();
        var dispatches = new List<long>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var blades = Enumerable.Range(0, 8).Select(i => SimulatedBlade.RunAsync(engine, $"b{i}", 1, _ =>
        {
            lock (dispatches)
                dispatches.Add(clock.ElapsedMilliseconds);
        }, stop.Token)).ToList();
        await Task.Delay(2000);
        var backupStart = clock.ElapsedMilliseconds;
        var archive = Path.Combine(engine.Root, "bench-backup.tar.gz");
        var (code, _) = await engine.RunAsync("dbctl", "--configdir", engine.Root, "--backup", archive);
        var backupEnd = clock.ElapsedMilliseconds;
        await Task.Delay(1000);
        stop.Cancel();
        await Task.WhenAll(blades);
        if (code != 0)
            throw new InvalidOperationException("the backup failed");

        long[] times;
        lock (dispatches)
            times = [.. dispatches.Order()];
        return new Dictionary<string, object>
        {
            ["scenario"] = "backup",
            ["store"] = "sqlite",
            ["db_mb"] = Math.Round(new FileInfo(engine.DatabaseFile).Length / 1048576.0, 1),
            ["archive_mb"] = Math.Round(new FileInfo(archive).Length / 1048576.0, 1),
            ["backup_s"] = Math.Round((backupEnd - backupStart) / 1000.0, 2),
            ["max_dispatch_pause_ms"] = MaxGap(times, backupStart, backupEnd),
            ["max_dispatch_pause_before_ms"] = MaxGap(times, 0, backupStart),
            ["dispatches_during_backup"] = times.Count(t => t >= backupStart && t <= backupEnd),
        };
    }

    private static long MaxGap(long[] times, long from, long to)
    {
        var inside = times.Where(t => t >= from && t <= to).ToList();
        if (inside.Count == 0)
            return to - from;
        var gap = Math.Max(inside[0] - from, to - inside[^1]);
        for (var i = 1; i < inside.Count; i++)
            gap = Math.Max(gap, inside[i] - inside[i - 1]);
        return gap;
    }
}
