using Furrow.Core.Scripts;

namespace Furrow.Client.Authoring;

/// <summary>
/// A job built in C#, after Tractor's Python author API (<c>tractor.api.author.Job</c>): a title, job-wide settings, a
/// tree of <see cref="Subtasks"/>, and commands that run when the rest is done. <see cref="ToAlfred"/> gives its alfred
/// script (Tractor's <c>asTcl()</c>) and <see cref="SpoolAsync(EngineClient, CancellationToken)"/> submits it
/// (Tractor's <c>spool()</c>).
/// </summary>
/// <remarks>
/// Building (<see cref="Validate"/>, <see cref="ToJobSpec"/>, <see cref="ToAlfred"/>, spooling) refuses, with an
/// <see cref="InvalidJobException"/> that names the task or command, whatever Furrow would refuse at spool, and a few
/// mistakes Furrow would run as written but never as meant (see <see cref="Validate"/>). The alfred text it writes reads
/// back, through Furrow's parser, to the same job. Not thread-safe: build a job on one thread.
/// </remarks>
/// <example>
/// <code>
/// var job = new Job("shot 12 render") { Priority = 100, Service = "linux" };
/// job.Subtasks.Add(new Iterate(1, 24, f => new JobTask($"frame {f}") { Commands = { new Command("prman", $"f{f}.rib") } }));
/// job.Cleanup.Add(new Command("rm", "-rf", "/tmp/shot12"));
/// long jid = await job.SpoolAsync(engine);
/// </code>
/// </example>
public sealed class Job
{
    /// <summary>A job with the given title (required: a job without one is refused when it is built).</summary>
    public Job(string title)
    {
        Title = title;
        Subtasks = new SubtaskList(this);
    }

    /// <summary><c>-title</c>: what tq and the Dashboard call the job.</summary>
    public string Title { get; set; }

    /// <summary><c>-priority</c>: higher runs first; null leaves the engine's default (1). Must be a number from -1000000 to 1000000.</summary>
    public double? Priority { get; set; }

    /// <summary><c>-service</c>: the service key expression for every command that neither it nor its task sets.</summary>
    public string? Service { get; set; }

    /// <summary><c>-envkey</c>: blade.config environments every command runs in, after the command's own.</summary>
    public List<string> EnvKey { get; init; } = [];

    /// <summary><c>-tags</c>: limit names (limits.config) every command of the job counts against.</summary>
    public List<string> Tags { get; init; } = [];

    /// <summary><c>-projects</c>: the projects the job belongs to; the first is the share group the scheduler balances jobs by.</summary>
    public List<string> Projects { get; init; } = [];

    /// <summary><c>-crews</c>: crews the job belongs to, as Tractor lists them; Furrow keeps them in the job's script but does not act on them.</summary>
    public List<string> Crews { get; init; } = [];

    /// <summary><c>-tier</c>: one of the site's dispatch tiers; the engine refuses a tier it does not have. Null for the default.</summary>
    public string? Tier { get; set; }

    /// <summary><c>-paused 1</c>: spool the job paused, so nothing runs until it is unpaused.</summary>
    public bool Paused { get; set; }

    /// <summary><c>-maxactive</c>: at most this many of the job's commands run at once; null or 0 for no cap.</summary>
    public int? MaxActive { get; set; }

    /// <summary><c>-atleast</c>: blade slots each command needs free unless its task or itself says.</summary>
    public int? AtLeast { get; set; }

    /// <summary><c>-atmost</c>: blade slots each command takes when more are free unless its task or itself says.</summary>
    public int? AtMost { get; set; }

    /// <summary><c>-serialsubtasks</c>: run the top-level subtasks one after another, in order.</summary>
    public bool SerialSubtasks { get; set; }

    /// <summary>
    /// <c>-after</c>: nothing of the job starts before this wall-clock time, read by the engine in its site's time zone (as
    /// Tractor reads <c>-after</c>), to the second. A <see cref="DateTimeKind.Utc"/> value is refused when the job is built,
    /// because the engine would read it as local time; convert it to the engine's zone first.
    /// </summary>
    public DateTime? After { get; set; }

    /// <summary><c>-afterjids</c>: ids of jobs that must be done before this one starts; the engine refuses ids it never had.</summary>
    public List<long> AfterJids { get; init; } = [];

    /// <summary><c>-comment</c>: free text shown with the job; empty is the same as none.</summary>
    public string? Comment { get; set; }

    /// <summary><c>-metadata</c>: free text kept with the job for tools; empty is the same as none.</summary>
    public string? Metadata { get; set; }

    /// <summary>
    /// <c>-spoolcwd</c>: the directory the job's commands start in. Spooling without <see cref="SpoolOptions"/> sends it as
    /// the spool's working directory, else the current directory, as tractor-spool does.
    /// </summary>
    public string? SpoolCwd { get; set; }

    /// <summary><c>-dirmaps</c>: path prefixes mapped per blade zone, which <c>%D(path)</c> in a command line uses.</summary>
    public List<DirMap> DirMaps { get; init; } = [];

    /// <summary><c>-subtasks</c>: the job's top-level tasks, Instances and Iterates.</summary>
    public SubtaskList Subtasks { get; }

    /// <summary><c>-cleanup</c>: commands that run once every task is done (Furrow runs them in a last task, "job cleanup").</summary>
    public List<Command> Cleanup { get; init; } = [];

    /// <summary><c>-postscript</c>: commands that run when the job is done; each needs <c>When = PostscriptWhen.Done</c>.</summary>
    public List<Command> Postscript { get; init; } = [];

    /// <summary>
    /// Checks the job as Furrow will check it at spool, and throws for the first problem. Refused: a job with nothing to
    /// run; an empty title on the job or a task; a command with no words; text with a NUL character or a broken UTF-16 surrogate (it cannot travel
    /// as UTF-8); an id, tier or service with blanks around it, or a service key that does not parse; a priority that is not
    /// finite; a UTC <see cref="After"/>; an after-jid outside 1..2147483647; a command-line code or option Furrow does not
    /// support yet; an <see cref="Instance"/> whose task is not in the job, or whose name would find a different task; two
    /// tasks, or two commands, with the same id; and tasks that wait for each other, so the job could never finish.
    /// </summary>
    /// <exception cref="InvalidJobException">The first problem, naming the job, task or command it is in.</exception>
    public void Validate() => _ = JobBuild.Build(this);

    /// <summary>The job as Furrow's parsed job model (what the engine compiles), after <see cref="Validate"/>; a new object each call.</summary>
    /// <exception cref="InvalidJobException">The job is refused; see <see cref="Validate"/>.</exception>
    public JobSpec ToJobSpec() => JobBuild.Build(this);

    /// <summary>
    /// The job as an alfred script (Tractor's <c>asTcl()</c>), written by Furrow's own alfred writer in the layout of
    /// Tractor's author API: <c>##AlfredToDo 3.0</c>, then one <c>Job</c> command. Furrow's parser reads it back to the job
    /// <see cref="ToJobSpec"/> gives, so it may be saved and spooled later with tractor-spool.
    /// </summary>
    /// <exception cref="InvalidJobException">The job is refused; see <see cref="Validate"/>.</exception>
    public string ToAlfred() => JobBuild.ToAlfred(this);

    /// <summary>
    /// Spools the job to <paramref name="engine"/> as alfred text, as tractor-spool would: owned by <c>$USER</c> (else the
    /// login name), from this host, in <see cref="SpoolCwd"/> or else the current directory. Returns the new job's id.
    /// </summary>
    /// <exception cref="InvalidJobException">The job is refused before anything is sent; see <see cref="Validate"/>.</exception>
    /// <exception cref="EngineException">The engine refused the job (for instance a <see cref="Tier"/> the site does not have).</exception>
    /// <exception cref="HttpRequestException">The engine could not be reached.</exception>
    public Task<long> SpoolAsync(EngineClient engine, CancellationToken cancellationToken = default) =>
        SpoolAsync(engine, DefaultSpoolOptions(), cancellationToken);

    /// <summary>
    /// Spools the job to <paramref name="engine"/> as alfred text with the given owner, file name, host, working
    /// directory and overrides. Returns the new job's id. <see cref="SpoolOptions.IsJson"/> is ignored: the text is alfred.
    /// </summary>
    /// <exception cref="InvalidJobException">The job is refused before anything is sent; see <see cref="Validate"/>.</exception>
    /// <exception cref="EngineException">The engine refused the job.</exception>
    /// <exception cref="HttpRequestException">The engine could not be reached.</exception>
    public async Task<long> SpoolAsync(EngineClient engine, SpoolOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        var script = ToAlfred();
        var reply = await engine.SpoolAsync(script, options with { IsJson = false }, cancellationToken).ConfigureAwait(false);
        return reply.Jid;
    }

    private SpoolOptions DefaultSpoolOptions() =>
        new(Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName,
            Host: Environment.MachineName, Cwd: string.IsNullOrEmpty(SpoolCwd) ? Environment.CurrentDirectory : SpoolCwd);
}
