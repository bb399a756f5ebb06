namespace Furrow.Storage;

/// <summary>The SQL both providers share; parameters are `@name`, which SQLite and Npgsql both accept.</summary>
internal static class StoreSql
{
    public const string InsertJob = """
        INSERT INTO jobs (jid, owner, title, priority, spooltime, spoolhost, spoolfile, spoolcwd, paused, rootserial, comment, spec,
            aftertime, maxactive, afterjids, tier, projects, service, tags, atleast, atmost, envkey, dirmap, numtasks, numblocked, numready,
            crews, editpolicy, metadata)
        VALUES (@jid, @owner, @title, @priority, @spooltime, @spoolhost, @spoolfile, @spoolcwd, @paused, @rootserial, @comment, '',
            @aftertime, @maxactive, @afterjids, @tier, @projects, @service, @tags, @atleast, @atmost, @envkey, @dirmap, @numtasks, @numblocked, @numready,
            @crews, @editpolicy, @metadata)
        """;

    /// <summary>An expand's tasks join their job blocked (schema 11's counts; state changes move them by trigger).</summary>
    public const string AddBlockedTasks = "UPDATE jobs SET numtasks = numtasks + @count, numblocked = numblocked + @count WHERE jid = @jid";

    // jobs.spec stays in the schema (empty) for the engines before version 9, which wrote it and never read it.
    public const string InsertJobScript = "INSERT INTO job_scripts (jid, format, script) VALUES (@jid, @format, @script)";

    public const string GetJobScript = "SELECT format, script FROM job_scripts WHERE jid = @jid";

    // Spools commit in any order, so the counter only ever moves up here; dbctl's --set-job-counter uses SetParam.
    public const string SetJobCounter =
        "UPDATE params SET value = @value WHERE name = 'jidcounter' AND CAST(value AS BIGINT) < CAST(@value AS BIGINT)";

    public const string SetTaskState = "UPDATE tasks SET state = @state, statetime = @time WHERE jid = @jid AND tid = @tid";

    public const string SetTaskStateAndRetries =
        "UPDATE tasks SET state = @state, statetime = @time, retrycount = @retries WHERE jid = @jid AND tid = @tid";

    public const string SetTaskProgress = "UPDATE tasks SET progress = @progress WHERE jid = @jid AND tid = @tid";

    public const string SetCommandState = "UPDATE commands SET state = @state WHERE jid = @jid AND cid = @cid";
    public const string SetCommandStateFrom = "UPDATE commands SET state = @state WHERE jid = @jid AND cid = @cid AND state = @from";

    public const string InsertInvocation = """
        INSERT INTO invocations (iid, jid, tid, cid, blade, dispatchtime, current, status, argv)
        VALUES (@iid, @jid, @tid, @cid, @blade, @time, 1, 'dispatched', @argv)
        """;

    public const string MarkInvocationStarted =
        "UPDATE invocations SET pid = @pid, starttime = @time, log_start = @logstart, status = 'running' WHERE iid = @iid";

    public const string FinishInvocation =
        "UPDATE invocations SET stoptime = @time, rcode = @rcode, status = @status, current = 0, elapsedreal = @real, elapsedapp = @app, " +
        "elapsedsys = @sys, rss = @rss, vsz = @vsz, clockskew = @skew WHERE iid = @iid";

    public const string SetJobTimes =
        "UPDATE jobs SET starttime = COALESCE(@start, starttime), stoptime = @stop WHERE jid = @jid";

    public const string SetJobPaused = "UPDATE jobs SET paused = @paused WHERE jid = @jid";

    public const string SetJobDeleted = "UPDATE jobs SET deleted = 1, deletetime = @time WHERE jid = @jid";

    public const string SetJobUndeleted = "UPDATE jobs SET deleted = 0, deletetime = NULL WHERE jid = @jid";

    // Each statement keeps to jobs that are deleted, so a purge can never take a live job's rows.
    public static readonly string[] PurgeJob =
    [
        "DELETE FROM invocations WHERE jid = @jid AND jid IN (SELECT jid FROM jobs WHERE deleted <> 0)",
        "DELETE FROM commands WHERE jid = @jid AND jid IN (SELECT jid FROM jobs WHERE deleted <> 0)",
        "DELETE FROM tasks WHERE jid = @jid AND jid IN (SELECT jid FROM jobs WHERE deleted <> 0)",
        "DELETE FROM job_scripts WHERE jid = @jid AND jid IN (SELECT jid FROM jobs WHERE deleted <> 0)",
        "DELETE FROM blocklist WHERE jid = @jid AND jid IN (SELECT jid FROM jobs WHERE deleted <> 0)",
        "DELETE FROM jobs WHERE jid = @jid AND deleted <> 0",
    ];

    public const string PurgeableJobs =
        "SELECT jid, owner FROM jobs WHERE deleted <> 0 AND deletetime IS NOT NULL AND deletetime < @before ORDER BY jid LIMIT @limit";

    public const string SetJobPriority = "UPDATE jobs SET priority = @priority WHERE jid = @jid";

    public const string SetJobAfterTime = "UPDATE jobs SET aftertime = @aftertime WHERE jid = @jid";

    /// <summary>
    /// The statement that sets each attribute tq jattr, tattr and cattr may change, by target and canonical key
    /// (<see cref="Furrow.Core.Jobs.AttributeEdit"/>): parameters @value, @jid, and @tid or @cid.
    /// </summary>
    public static readonly IReadOnlyDictionary<(char Target, string Key), string> SetAttribute = new Dictionary<(char, string), string>
    {
        [('j', "title")] = "UPDATE jobs SET title = @value WHERE jid = @jid",
        [('j', "comment")] = "UPDATE jobs SET comment = @value WHERE jid = @jid",
        [('j', "priority")] = "UPDATE jobs SET priority = @value WHERE jid = @jid",
        [('j', "paused")] = "UPDATE jobs SET paused = @value WHERE jid = @jid",
        [('j', "aftertime")] = "UPDATE jobs SET aftertime = @value WHERE jid = @jid",
        [('j', "maxactive")] = "UPDATE jobs SET maxactive = @value WHERE jid = @jid",
        [('j', "afterjids")] = "UPDATE jobs SET afterjids = @value WHERE jid = @jid",
        [('j', "projects")] = "UPDATE jobs SET projects = @value WHERE jid = @jid",
        [('j', "tier")] = "UPDATE jobs SET tier = @value WHERE jid = @jid",
        [('j', "lockedby")] = "UPDATE jobs SET lockedby = @value WHERE jid = @jid",
        [('j', "crews")] = "UPDATE jobs SET crews = @value WHERE jid = @jid",
        [('t', "title")] = "UPDATE tasks SET title = @value WHERE jid = @jid AND tid = @tid",
        [('c', "service")] = "UPDATE commands SET service = @value WHERE jid = @jid AND cid = @cid",
        [('c', "tags")] = "UPDATE commands SET tags = @value WHERE jid = @jid AND cid = @cid",
        [('c', "envkey")] = "UPDATE commands SET envkey = @value WHERE jid = @jid AND cid = @cid",
        [('c', "retryrcodes")] = "UPDATE commands SET retryrc = @value WHERE jid = @jid AND cid = @cid",
        [('c', "minslots")] = "UPDATE commands SET atleast = @value WHERE jid = @jid AND cid = @cid",
        [('c', "maxslots")] = "UPDATE commands SET atmost = @value WHERE jid = @jid AND cid = @cid",
    };

    public const string UpsertBlade = """
        INSERT INTO blades (name, host, slots, version, boot_id, registered, last_contact, status, profile, nimby)
        VALUES (@name, @host, @slots, @version, @bootid, @registered, @contact, @status, @profile, @nimby)
        ON CONFLICT (name) DO UPDATE SET host = excluded.host, slots = excluded.slots, version = excluded.version,
            boot_id = excluded.boot_id, registered = excluded.registered, last_contact = excluded.last_contact,
            status = excluded.status, profile = excluded.profile, nimby = excluded.nimby
        """;

    public const string InsertSession =
        "INSERT INTO sessions (tokenhash, login, stamp, created, expires) VALUES (@hash, @login, @stamp, @created, @expires)";

    public const string DeleteSession = "DELETE FROM sessions WHERE tokenhash = @hash";

    public const string DeleteSessionsOf = "DELETE FROM sessions WHERE login = @login";

    public const string DeleteExpiredSessions = "DELETE FROM sessions WHERE expires < @before";

    public const string FindSession = "SELECT login, stamp, expires FROM sessions WHERE tokenhash = @hash";

    public const string UpsertParam = """
        INSERT INTO params (name, value) VALUES (@name, @value)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value
        """;

    internal const string JobColumns =
        "j.jid, j.owner, j.title, j.priority, j.spooltime, j.spoolhost, j.spoolfile, j.spoolcwd, j.paused, j.deleted, j.starttime, j.stoptime, j.comment, " +
        "j.aftertime, j.maxactive, j.afterjids, j.tier, j.projects, j.service, j.tags, j.atleast, j.atmost, j.envkey, j.dirmap, j.lockedby, j.crews, j.editpolicy";

    /// <summary>How many columns <see cref="JobColumns"/> reads; what a query adds after them starts here.</summary>
    public const int JobColumnCount = 27;

    public const string ListJobs = "SELECT " + JobColumns + """
        , (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid),
          (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid AND t.state = 'blocked'),
          (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid AND t.state = 'ready'),
          (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid AND t.state = 'active'),
          (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid AND t.state = 'error'),
          (SELECT CAST(COUNT(*) AS INTEGER) FROM tasks t WHERE t.jid = j.jid AND t.state = 'done')
        FROM jobs j WHERE (@deleted = 1 OR j.deleted = 0) ORDER BY j.jid
        """;

    /// <summary>Commands running when a backup was taken will never report to the restored database: reschedule them.</summary>
    public const string RescheduleActiveAfterRestore = """
        UPDATE invocations SET current = 0, status = 'restored', stoptime = @now WHERE current = 1;
        UPDATE commands SET state = 'blocked' WHERE state = 'active';
        UPDATE tasks SET state = 'ready', statetime = @now WHERE state = 'active';
        """;

    public const string LiveJobs = "SELECT " + JobColumns + ", j.rootserial FROM jobs j WHERE j.deleted = 0 AND j.stoptime IS NULL ORDER BY j.jid";

    public const string UnfinishedJob = "SELECT " + JobColumns + ", j.rootserial FROM jobs j WHERE j.jid = @jid AND j.deleted = 0 AND j.stoptime IS NULL";

    public const string JobBlocklist = "SELECT jid, blade, failures FROM blocklist WHERE jid = @jid ORDER BY blade";

    public const string LiveBlocklist =
        "SELECT jid, blade, failures FROM blocklist WHERE jid IN (SELECT jid FROM jobs WHERE deleted = 0 AND stoptime IS NULL) ORDER BY jid, blade";

    public const string SetBlocklist = """
        INSERT INTO blocklist (jid, blade, failures) VALUES (@jid, @blade, @failures)
        ON CONFLICT (jid, blade) DO UPDATE SET failures = excluded.failures
        """;

    public const string ClearBlocklist = "DELETE FROM blocklist WHERE jid = @jid AND (CAST(@blade AS TEXT) IS NULL OR blade = @blade)";

    public const string SetBladeNimby = "UPDATE blades SET nimby = @nimby WHERE name = @name";

    internal const string TaskColumns =
        "jid, tid, parent_tid, title, task_id, service, serialsubtasks, instance_of, state, statetime, retrycount, progress";

    public const string ListTasks = "SELECT " + TaskColumns + " FROM tasks WHERE (CAST(@jid AS BIGINT) IS NULL OR jid = @jid) ORDER BY jid, tid";

    public const string LiveTasks = "SELECT " + TaskColumns +
        " FROM tasks WHERE jid IN (SELECT jid FROM jobs WHERE deleted = 0 AND stoptime IS NULL) ORDER BY jid, tid";

    internal const string CommandColumns = "jid, cid, tid, argv, kind, runtype, service, expand, retryrc, state, tags, atleast, atmost, envkey, samehost, cmd_id, refersto";

    public const string ListCommands = "SELECT " + CommandColumns + " FROM commands WHERE (CAST(@jid AS BIGINT) IS NULL OR jid = @jid) ORDER BY jid, cid";

    // For a -samehost command, the latest invocation of an earlier command of its task: its cid and blade (the scheduler
    // keeps the blade only when that cid is the command just before). Asked only of -samehost rows, over the
    // invocations' (jid, tid) index. Then, for a command with an -id (whose blade %ID(host) codes name), the blade of its
    // own latest invocation.
    private const string CommandsToSchedule = "SELECT " + CommandColumns +
        ", CASE WHEN samehost <> 0 THEN (SELECT i.cid" + PreviousRun + ") END, CASE WHEN samehost <> 0 THEN (SELECT i.blade" + PreviousRun + ") END" +
        ", CASE WHEN cmd_id IS NOT NULL THEN (SELECT i.blade FROM invocations i WHERE i.jid = commands.jid AND i.tid = commands.tid " +
        "AND i.cid = commands.cid ORDER BY i.iid DESC LIMIT 1) END FROM commands";

    private const string PreviousRun = " FROM invocations i WHERE i.jid = commands.jid AND i.tid = commands.tid AND i.cid < commands.cid " +
        "ORDER BY i.cid DESC, i.iid DESC LIMIT 1";

    /// <summary>
    /// One unfinished job's commands as the scheduler reads them: <see cref="CommandColumns"/>, then the previous run's cid
    /// and blade, then the blade of the command's own latest run.
    /// </summary>
    public const string UnfinishedJobCommands = CommandsToSchedule + " WHERE jid = @jid ORDER BY jid, cid";

    /// <summary>Every unfinished job's commands, as <see cref="UnfinishedJobCommands"/> reads one job's.</summary>
    public const string LiveCommands = CommandsToSchedule +
        " WHERE jid IN (SELECT jid FROM jobs WHERE deleted = 0 AND stoptime IS NULL) ORDER BY jid, cid";

    /// <summary>How many columns <see cref="InvocationColumns"/> names; a query's next column comes after them.</summary>
    public const int InvocationColumnCount = 19;

    internal const string InvocationColumns =
        "iid, jid, tid, cid, blade, dispatchtime, starttime, stoptime, pid, rcode, current, status, log_start, " +
        "elapsedreal, elapsedapp, elapsedsys, rss, vsz, clockskew";

    public const string ListInvocations = "SELECT " + InvocationColumns + " FROM invocations WHERE (CAST(@jid AS BIGINT) IS NULL OR jid = @jid) ORDER BY iid";

    // The argv handed to the blade matters only while the invocation is current (for its log header); listings leave it out.
    public const string CurrentInvocations = "SELECT " + InvocationColumns + ", argv FROM invocations WHERE current = 1 ORDER BY iid";

    public const string MaxIid = "SELECT COALESCE(MAX(iid), 0) FROM invocations";

    public const string ListBlades = "SELECT name, host, slots, version, boot_id, registered, last_contact, status, profile, nimby FROM blades ORDER BY name";

    public const string JobExists = "SELECT jid FROM jobs WHERE jid = @jid";

    public const string GetParam = "SELECT value FROM params WHERE name = @name";

    // ON CONFLICT keeps a batch of other callers' writes from failing with this one; the engine reads the binding back.
    public const string SetBladeKey =
        "INSERT INTO blade_keys (name, key_sha256, enrolled) VALUES (@name, @hash, @enrolled) ON CONFLICT (name) DO NOTHING";

    public const string DeleteBladeKey = "DELETE FROM blade_keys WHERE name = @name";

    public const string GetBladeKey = "SELECT key_sha256 FROM blade_keys WHERE name = @name";
}
