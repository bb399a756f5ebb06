using Microsoft.Extensions.Logging;

namespace Furrow.Engine;

/// <summary>The engine's log messages. Event ids are in bands: 1xxx storage, 2xxx dispatch, 3xxx blades, 4xxx API.</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1001, LogLevel.Error, "The job database refused a change, reloading the scheduler's view from it: {Reason}")]
    public static partial void CommitFailed(ILogger logger, string reason);

    [LoggerMessage(1004, LogLevel.Error, "The job database is unreachable; API calls wait for it (then fail), blades keep their results: {Reason}")]
    public static partial void StoreUnreachable(ILogger logger, string reason);

    [LoggerMessage(1005, LogLevel.Information, "The job database is back; the scheduler's view was reloaded from it")]
    public static partial void StoreBack(ILogger logger);

    [LoggerMessage(1006, LogLevel.Warning, "Cannot write the task log {Path} ({Reason}); its output goes to {Aside} until that is fixed")]
    public static partial void TaskLogDiverted(ILogger logger, string path, string aside, string reason);

    [LoggerMessage(1002, LogLevel.Information, "Job database {Store} at schema version {Version}")]
    public static partial void StoreReady(ILogger logger, string store, int version);

    [LoggerMessage(1003, LogLevel.Critical, "The engine cannot start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string reason);

    [LoggerMessage(2001, LogLevel.Information, "Spooled job {Jid} '{Title}' for {Owner}: {Tasks} tasks")]
    public static partial void JobSpooled(ILogger logger, long jid, string title, string owner, int tasks);

    [LoggerMessage(2004, LogLevel.Warning, "Job id {Jid} is used again: the earlier job's logs were moved aside to {Aside}")]
    public static partial void ReusedJobLogsMoved(ILogger logger, long jid, string aside);

    [LoggerMessage(2002, LogLevel.Information, "Loaded {Jobs} unfinished jobs, {Ready} tasks ready, {Running} invocations running on blades")]
    public static partial void FarmLoaded(ILogger logger, int jobs, int ready, int running);

    [LoggerMessage(2006, LogLevel.Information, "Rebuilt the farm from the job database in {TotalMs} ms (read {ReadMs} ms with jobs built alongside, {BuildMs} ms more to build the last, logs {LogsMs} ms)")]
    public static partial void FarmRebuilt(ILogger logger, long totalMs, long readMs, long buildMs, long logsMs);

    [LoggerMessage(2005, LogLevel.Information, "Returned {FreedMb} MB to the system after jobs left memory ({HeldMb} MB held now; collection took {PauseMs} ms)")]
    public static partial void MemoryReturned(ILogger logger, long freedMb, long heldMb, long pauseMs);

    [LoggerMessage(2003, LogLevel.Information, "Job {Jid} is done")]
    public static partial void JobDone(ILogger logger, long jid);

    [LoggerMessage(3001, LogLevel.Information, "Blade {Blade} registered from {Host} with {Slots} slots")]
    public static partial void BladeRegistered(ILogger logger, string blade, string host, int slots);

    [LoggerMessage(3002, LogLevel.Warning, "Blade {Blade} silent for {SilentMs} ms: {Count} of its commands go back to ready")]
    public static partial void BladeLost(ILogger logger, string blade, long silentMs, int count);

    [LoggerMessage(3005, LogLevel.Information, "Blade {Blade} stopped; {Count} commands it was running go back to ready")]
    public static partial void BladeLeft(ILogger logger, string blade, int count);

    [LoggerMessage(3003, LogLevel.Warning, "Blade {Blade} restarted (new boot): {Count} commands it was running go back to ready")]
    public static partial void BladeRebooted(ILogger logger, string blade, int count);

    [LoggerMessage(3004, LogLevel.Information, "Blade {Blade} reported invocation {Iid} that is no longer current; ignored")]
    public static partial void StaleReport(ILogger logger, string blade, long iid);

    [LoggerMessage(4002, LogLevel.Warning, "Took over a stale engine.lock left by {Holder}, which is no longer running")]
    public static partial void StaleLockTaken(ILogger logger, string holder);

    [LoggerMessage(4003, LogLevel.Warning, "No local socket: {Path} is longer than a unix socket path may be (107 bytes), so callers on this " +
        "host must log in (tq --login) even as the engine's own account; a shorter TractorDataDirectory restores it")]
    public static partial void NoLocalSocket(ILogger logger, string path);

    [LoggerMessage(4004, LogLevel.Information, "Site config reloaded by {User}: applied {Applied}; absent (in force as none) {Absent}; restart needed for {Restart}")]
    public static partial void ConfigReloaded(ILogger logger, string user, string applied, string absent, string restart);

    [LoggerMessage(4005, LogLevel.Warning, "Site config reload by {User} refused, nothing changed: {Reason}")]
    public static partial void ConfigReloadRefused(ILogger logger, string user, string reason);

    [LoggerMessage(4006, LogLevel.Warning, "Settings Furrow does not read, ignored (Tractor's own, or misspelt): {Keys}")]
    public static partial void SettingsIgnored(ILogger logger, string keys);

    [LoggerMessage(4001, LogLevel.Information, "Furrow engine {Version} listening on port {Port}, data in {DataDir}")]
    public static partial void Listening(ILogger logger, string version, int port, string dataDir);
}
