using Furrow.Core.Access;
using Furrow.Core.Jobs;
using Furrow.Core.Query;

namespace Furrow.Engine.Jobs;

/// <summary>
/// One operator's verb as asked (`tq OPERATION CLAUSE`, `POST /api/v1/operations/{operation}`): who asks (the user the
/// request acts as, and whether its login is an administrator), whether with `--force` (the caller's word that they mean
/// to act on other users' jobs; what they may do is crews.config's to say), and the value the verb takes (chpri's
/// priority, delay's time, an attribute edit). What it acts on is <see cref="TableOf"/> the operation: tasks, commands or jobs.
/// </summary>
internal sealed record OperationRequest(string Operation, AccessCaller Caller, bool Force)
{
    /// <summary>The user the request acts as.</summary>
    public string User => Caller.Name;

    private static readonly string[] TaskOperations = ["retry", "skip", "resume", "kill", "tattr", "chkeys"];

    private static readonly string[] CommandOperations = ["cattr"];

    private static readonly string[] JobOperations =
        ["pause", "unpause", "interrupt", "restart", "delete", "undelete", "chpri", "delay", "undelay", "retryallerrs", "skipallerrs", "jattr", "lock", "unlock"];

    /// <summary>Every operation there is, task ones first.</summary>
    public static IEnumerable<string> Names => TaskOperations.Concat(CommandOperations).Concat(JobOperations);

    /// <summary>
    /// The operations of <see cref="Names"/> that <paramref name="caller"/> may run on a job with <paramref name="job"/>'s
    /// owner, policy and lock, in <see cref="Names"/>' order: those <see cref="CrewRules.OperationRefusal"/> does not
    /// refuse, the very rule <see cref="TaskOperations.ApplyAsync"/> applies when they are run (a task's or command's
    /// operation is judged by its job's facts too). <paramref name="force"/> as the operation would be sent.
    /// </summary>
    public static List<string> AllowedOn(CrewRules rules, AccessCaller caller, JobAccessFacts job, bool force) =>
        [.. Names.Where(operation => rules.OperationRefusal(caller, operation, job, force, target: "") is null)];

    /// <summary>chpri's new priority.</summary>
    public double Priority { get; init; }

    /// <summary>delay's start time, Unix ms.</summary>
    public long AfterMs { get; init; }

    /// <summary>jattr's, tattr's, cattr's or chkeys' change (chkeys: the service key).</summary>
    public AttributeEdit? Edit { get; init; }

    /// <summary>What an operation acts on: the rows its clause is matched against; null for an unknown operation.</summary>
    public static QueryTable? TableOf(string operation) =>
        TaskOperations.Contains(operation) ? QueryTable.Tasks
        : CommandOperations.Contains(operation) ? QueryTable.Commands
        : JobOperations.Contains(operation) ? QueryTable.Jobs
        : null;
}

/// <summary>One thing an operation's clause matched: a job (Tid and Cid 0), a task (Cid 0) or a command, with its job's owner.</summary>
internal sealed record OperationTarget(long Jid, int Tid, int Cid, string Owner)
{
    /// <summary>How replies name it: J1, J1 T2, J1 T2 C3.</summary>
    public string Name => Cid != 0 ? $"J{Jid} T{Tid} C{Cid}" : Tid != 0 ? $"J{Jid} T{Tid}" : $"J{Jid}";
}

/// <summary>
/// What an operation did: the targets it acted on, by name, and for each one it did not, why not; <see cref="Forbidden"/>
/// of those the rules refused (the rest could not be done in their state).
/// </summary>
internal sealed record OperationOutcome(IReadOnlyList<string> Done, IReadOnlyList<string> Refused)
{
    /// <summary>How many of <see cref="Refused"/> the rules refused (crews.config, locks, --force).</summary>
    public int Forbidden { get; init; }
}
