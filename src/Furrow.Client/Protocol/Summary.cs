namespace Furrow.Client.Protocol;

/// <summary>
/// The farm at a glance (GET /api/v1/summary), over the jobs the caller may see: tasks by state, jobs, blades, dispatches
/// in each of the last 60 minutes (oldest first, the current minute last) and the engine's clock (Unix ms).
/// </summary>
public sealed record FarmSummary(SummaryTasks Tasks, SummaryJobs Jobs, SummaryBlades Blades, int[] DispatchesPerMinute, long NowMs);

/// <summary>Tasks of jobs not deleted, by state as tq names them, and in all.</summary>
public sealed record SummaryTasks(long Blocked, long Ready, long Active, long Done, long Error, long Total);

/// <summary>
/// Jobs not deleted (<see cref="Total"/>): with a task running, paused, with a task in error, with every task done; and
/// deleted jobs still kept in the archive.
/// </summary>
public sealed record SummaryJobs(long Total, long Active, long Paused, long Error, long Done, long Deleted);

/// <summary>Blades known to the engine: down (not up), else nimby, else busy (a slot in use) or idle.</summary>
public sealed record SummaryBlades(int Total, int Busy, int Idle, int Nimby, int Down);

/// <summary>
/// What POST /api/v1/config/reload did: the site config files it read and checked, those now in force, and those that
/// take a restart of the engine to apply, with why.
/// </summary>
public sealed record ConfigReloadReply(List<string> Read, List<string> Applied, List<ConfigFileNote> RestartNeeded)
{
    /// <summary>
    /// The files applied live that the config directory does not hold: each is in force as absent (no limits.config:
    /// nothing is limited; no blade.config: every blade provides every service key; no crews.config: Furrow's defaults;
    /// no users.config: no accounts). A file removed since the last reload is taken away by this one.
    /// </summary>
    public List<string> Absent { get; init; } = [];

    /// <summary>
    /// Keys of tractor.config and db.config that Furrow does not read, each with its file and <c>line 3, column 5: "Key" is not a setting ...</c>:
    /// not refused (a site may copy Tractor's own tractor.config), but named so a misspelt setting does not go unnoticed.
    /// </summary>
    public List<ConfigFileNote> Ignored { get; init; } = [];
}

/// <summary>A config file and what there is to say of it.</summary>
public sealed record ConfigFileNote(string File, string Reason);
