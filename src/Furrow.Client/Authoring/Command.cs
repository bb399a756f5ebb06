namespace Furrow.Client.Authoring;

/// <summary>
/// One command line of a task (alfred's <c>RemoteCmd</c>, or <c>Cmd</c> when <see cref="Local"/>), with its options.
/// </summary>
/// <remarks>
/// <see cref="Argv"/> holds the program and its arguments one element each, exactly as the program receives them:
/// nothing is split on spaces and nothing needs quoting, whatever the elements hold. (Tractor's Python API splits a
/// single string on whitespace; here <c>new Command("prman a.rib")</c> is one word, the program "prman a.rib".)
/// Furrow replaces Tractor's codes <c>%h %H %n %j %t %c %r %R %q %D(path) %%</c> in the words when a blade runs the
/// command (as Tractor does, so write <c>%%</c> for a literal <c>%</c> before one of those letters, as in
/// <c>date +%%H</c>); <c>%ID(host)</c>, naming another command's host, is refused when the job is built.
/// </remarks>
/// <example>
/// <code>
/// new Command("prman", "-Progress", "/shots/a b/frame1.rib") { Service = "PixarRender", RetryRc = { 1 } }
/// </code>
/// </example>
public sealed class Command
{
    /// <summary>A command that runs <paramref name="argv"/>: the program first, then each argument as one element.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="argv"/> or one of its elements is null.</exception>
    public Command(params IEnumerable<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        Argv = [.. argv];
        if (Argv.Contains(null!))
            throw new ArgumentNullException(nameof(argv), "an element of the command line is null");
    }

    /// <summary>The program and its arguments, one element each; at least one element is required when the job is built.</summary>
    public List<string> Argv { get; init; }

    /// <summary>
    /// False (the default) writes <c>RemoteCmd</c>, run by any blade that provides the service; true writes
    /// <c>Cmd</c>, which Furrow runs only on a blade on the engine's own host (Tractor's <c>local=True</c>).
    /// </summary>
    public bool Local { get; set; }

    /// <summary><c>-service</c>: the service key expression a blade must provide to run this command; null uses its task's, then its job's.</summary>
    public string? Service { get; set; }

    /// <summary><c>-tags</c>: limit names this command counts against (limits.config), beside its job's tags.</summary>
    public List<string> Tags { get; init; } = [];

    /// <summary><c>-envkey</c>: names of blade.config environments to run in, before the job's own envkeys.</summary>
    public List<string> EnvKey { get; init; } = [];

    /// <summary>
    /// <c>-id</c>: a name for this command, unique among the job's commands, that another command's
    /// <see cref="RefersTo"/> and <c>%ID(host)</c>/<c>%ID(-host)</c> codes in its command line use (the code gives the
    /// host of the blade that ran this command). The same rules as <see cref="JobTask.Id"/> apply.
    /// </summary>
    public string? Id { get; set; }

    /// <summary>
    /// <c>-refersto</c>: the <see cref="Id"/> of another command of the job, sure to have run before this one (an earlier
    /// command of its task, or of a task it waits for); this command runs on the blade that ran that one.
    /// </summary>
    public string? RefersTo { get; set; }

    /// <summary><c>-msg</c>: text for Tractor's Alfred-style built-ins; Furrow keeps it in the script but does not act on it. Empty is the same as none.</summary>
    public string? Msg { get; set; }

    /// <summary>
    /// <c>-expand 1</c>: the command prints alfred <c>Task</c> lines on its output, and once it exits with 0 they become
    /// new subtasks of its task, as Tractor's expand does.
    /// </summary>
    public bool Expand { get; set; }

    /// <summary>
    /// <c>-samehost 1</c>: the command runs on the blade that ran the previous command of its task, as Tractor's
    /// <c>Command(samehost=1)</c> asks; on a task's first command it changes nothing.
    /// </summary>
    public bool SameHost { get; set; }

    /// <summary><c>-retryrc</c>: exit codes after which the command is run again automatically instead of failing its task.</summary>
    public List<int> RetryRc { get; init; } = [];

    /// <summary><c>-atleast</c>: blade slots the command needs free; null falls back to its task's, then its job's (1 when none say).</summary>
    public int? AtLeast { get; set; }

    /// <summary><c>-atmost</c>: blade slots the command takes when more are free; null falls back to its task's, then its job's.</summary>
    public int? AtMost { get; set; }

    /// <summary>
    /// <c>-when</c>, for a command in <see cref="Job.Postscript"/>: when it runs. Furrow runs postscript commands only when
    /// the job is done, so a postscript command needs <see cref="PostscriptWhen.Done"/>; the others are refused when the
    /// job is built. Null outside a postscript.
    /// </summary>
    public PostscriptWhen? When { get; set; }

    /// <summary><c>-metadata</c>: free text kept with the command for tools; empty is the same as none.</summary>
    public string? Metadata { get; set; }

    internal string Describe() => Argv.Count == 0 ? "an empty command" : $"command \"{Argv[0]}\"";
}
