using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Farm;

/// <summary>
/// Gives memory back to the system after large jobs leave it (done or deleted). The runtime keeps the heap at the size
/// the largest job grew it to until a full collection, and an engine that has gone quiet allocates too little to cause
/// one: a 100,000-task job left it holding about a gigabyte. Every 10 s it looks at how many tasks left memory since its
/// last collection; when that is at least <see cref="TaskThreshold"/> and at least as many as are still in memory, it
/// makes one compacting full collection that also returns the free pages. A full collection pauses the engine for as
/// long as it takes to walk what is still live (about 0.4 s with 300,000 tasks held), so it is made only when what it
/// frees outweighs what it walks: after the last big job of the night, not every time one of many finishes.
/// Spools of large scripts leave the same kind of garbage (the script's text, read and parsed, is garbage once the job is
/// committed): once at least <see cref="SpoolBytesThreshold"/> of large scripts (<see cref="Jobs.SpoolAdmission.LargeScriptBytes"/>
/// each or more) has been admitted since the last collection and no spool is in flight, it collects too.
/// </summary>
internal sealed class MemoryReturner(LiveFarm farm, Jobs.SpoolAdmission spools, TimeProvider clock, ILogger<MemoryReturner> logger) : BackgroundService
{
    /// <summary>Tasks that must have left memory since the last collection before another is worth its pause.</summary>
    public const int TaskThreshold = 10_000;

    /// <summary>Bytes of large scripts spooled since the last collection that make another worth its pause, once spools are quiet.</summary>
    public const long SpoolBytesThreshold = 64L << 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var collectedAt = farm.TasksForgotten;
        var spooledAt = spools.LargeScriptBytesAdmitted;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var forgotten = farm.TasksForgotten - collectedAt;
            var spooled = spools.LargeScriptBytesAdmitted - spooledAt;
            var afterTasks = forgotten >= TaskThreshold && forgotten >= farm.TasksInMemory();
            var afterSpools = spooled >= SpoolBytesThreshold && spools.Idle;
            if (!afterTasks && !afterSpools)
                continue;
            collectedAt += forgotten;
            spooledAt += spooled;
            var before = Environment.WorkingSet;
            var watch = Stopwatch.StartNew();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            EngineLog.MemoryReturned(logger, (before - Environment.WorkingSet) >> 20, Environment.WorkingSet >> 20, watch.ElapsedMilliseconds);
        }
    }
}
