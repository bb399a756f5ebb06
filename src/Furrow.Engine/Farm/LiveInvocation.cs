namespace Furrow.Engine.Farm;

/// <summary>A command handed to a blade and not yet over, with what it holds there (slots, limit counts).</summary>
internal sealed class LiveInvocation(long iid, long jid, int tid, int cid, string blade, long dispatchTimeMs)
{
    public long Iid { get; } = iid;
    public long Jid { get; } = jid;
    public int Tid { get; } = tid;
    public int Cid { get; } = cid;
    public string Blade { get; } = blade;
    public long DispatchTimeMs { get; } = dispatchTimeMs;
    public bool Started { get; set; }

    /// <summary>When it started, on the engine's clock (the blade's time corrected by its clock skew); 0 until started.</summary>
    public long StartTimeMs { get; set; }

    /// <summary>What its process tree used, from its exit event; null until it exits (or when its blade does not say).</summary>
    public Storage.InvocationUsage? Usage { get; set; }

    /// <summary>The command line as handed to its blade when that differs from the script's (`%D(...)` dirmaps put in the
    /// blade's zone); null when it is the script's own.</summary>
    public IReadOnlyList<string>? MappedArgv { get; init; }

    /// <summary>Blade slots it occupies (`-atleast`/`-atmost`; 1 by default).</summary>
    public int Slots { get; init; } = 1;

    /// <summary>Limit names it counts against while it runs, and the host they are counted on.</summary>
    /// <remarks>Set again when a config reload changes which limits its command counts against.</remarks>
    public IReadOnlyList<string> Limits { get; set; } = [];

    public string Host { get; init; } = "";

    /// <summary>The job's owner, for per-owner limit counts.</summary>
    public string Owner { get; init; } = "";

    /// <summary>The log already holds this invocation's header (written before an engine crash lost the start's commit).</summary>
    public bool HeaderWritten { get; set; }

    /// <summary>Where this invocation's output begins in the task log, once started.</summary>
    public long? LogStart { get; set; }

    /// <summary>What an `-expand` command printed so far, as bytes (null for other commands): the script its tasks come from.</summary>
    public MemoryStream? ExpandOutput { get; set; }

    /// <summary>Output bytes already written to the log; a resent chunk below this is skipped.</summary>
    public long LogBytes { get; set; }

    /// <summary>
    /// What is known of its use when nothing but its times is: the real time from its start to <paramref name="stopTimeMs"/>
    /// (both on the engine's clock), with its blade's clock skew. For an exit that brought no figures, and for a run the
    /// engine ended itself (killed, retried, skipped, deleted, its blade lost).
    /// </summary>
    public Storage.InvocationUsage ElapsedTo(long stopTimeMs, long? clockSkewMs) =>
        new(Math.Max(0, stopTimeMs - StartTimeMs) / 1000.0, null, null, null, null, clockSkewMs);
}
