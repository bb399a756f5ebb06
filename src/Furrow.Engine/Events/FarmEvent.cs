namespace Furrow.Engine.Events;

/// <summary>
/// One event of the live stream (GET /api/v1/events): what changed, by name, never the rows themselves. Its id is
/// <c>&lt;boot&gt;-&lt;seq&gt;</c>; <see cref="Jids"/> are the jobs it names, for filtering a caller who may see only some jobs.
/// </summary>
/// <param name="Seq">Increasing within one engine process.</param>
/// <param name="Type">jobs, tasks, log, blades, engine or reset.</param>
/// <param name="Data">The event's JSON (camelCase).</param>
/// <param name="Jids">The jobs a jobs, tasks or log event names; empty for the others.</param>
internal sealed record FarmEvent(long Seq, string Type, string Data, IReadOnlyList<long> Jids)
{
    public const string Jobs = "jobs";
    public const string Tasks = "tasks";
    public const string Log = "log";
    public const string Blades = "blades";
    public const string Engine = "engine";
    public const string Reset = "reset";

    /// <summary>Whether the event names jobs, so a caller held to some jobs sees it only for jobs it may see.</summary>
    public bool NamesJobs => Type is Jobs or Tasks or Log;
}

/// <summary>An event before it has its place in the stream: its type, data, and the jobs it names.</summary>
internal sealed record PendingEvent(string Type, string Data, IReadOnlyList<long> Jids);
