using System.Diagnostics.CodeAnalysis;
using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Core.Query;

/// <summary>The searchable columns of one table, with Tractor's alias names; the engine fills rows under these names.</summary>
public sealed class QuerySchema
{
    // Before the tables below, which static initialization reads in order. What a job's `state` holds (the store works it out: the first of these that holds, waiting when none does).
    private static readonly string[] JobStates = ["deleted", "paused", "error", "done", "active", "waiting"];

    // What the engine writes as a blade's status: up while it reports, silent past BladeSilenceTimeoutSecs, stopped when
    // it said it was going.
    private static readonly string[] BladeStatuses = ["up", "silent", "stopped"];

    private readonly Dictionary<string, QueryColumn> _columns;
    private readonly Dictionary<string, string> _aliases;

    private QuerySchema(QueryTable table, string name, QueryColumn[] columns, params (string Alias, string Column)[] aliases)
        : this(table, name, [], columns, aliases)
    {
    }

    private QuerySchema(QueryTable table, string name, string[] notRecorded, QueryColumn[] columns, params (string Alias, string Column)[] aliases)
    {
        Table = table;
        Name = name;
        var unknown = notRecorded.Where(n => !columns.Any(c => c.Name == n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"not columns of {name}: {string.Join(", ", unknown)}", nameof(notRecorded));
        columns = columns.Select(c => notRecorded.Contains(c.Name) ? c with { Recorded = false } : c).ToArray();
        Columns = columns;
        _columns = columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        _aliases = aliases.ToDictionary(a => a.Alias, a => a.Column, StringComparer.OrdinalIgnoreCase);
    }

    public QueryTable Table { get; }

    /// <summary>Singular table name as Tractor's database uses it (`job`, `task`, …); also the dot-notation prefix.</summary>
    public string Name { get; }

    /// <summary>Display name used in messages (`jobs`, `tasks`, …).</summary>
    public string PluralName => Table.ToString().ToLowerInvariant();

    public IReadOnlyList<QueryColumn> Columns { get; }

    /// <summary>Alternative column names, alias → canonical name.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    // Columns of Tractor's schema that Furrow does not keep: a clause or sort naming one is refused ("not recorded by
    // Furrow"), never answered with an always-empty column. Furrow adds `state`: deleted, paused, error, done, active or
    // waiting, the first that holds; `lockedby`, the user holding the job's lock (tq lock), empty when none; and `paused`.
    public static QuerySchema Jobs { get; } = new(QueryTable.Jobs, "job",
    ["spooladdr", "assignments", "etalevel", "pausetime", "elapsedsecs", "esttotalsecs", "pil", "lastnoteid"],
    [
        I("jid"), S("owner"), S("spoolhost"), S("spoolfile"), S("spoolcwd"), S("spooladdr"), S("title"),
        S("assignments"), S("tier"), F("priority"), SL("crews"), SL("projects"), SL("tags"), S("service"),
        SL("envkey"), S("editpolicy"), I("minslots"), I("maxslots"), I("etalevel"), IL("afterjids"),
        T("spooltime"), T("pausetime"), T("aftertime"), T("starttime"), T("stoptime"), T("deletetime"),
        F("elapsedsecs"), F("esttotalsecs"), I("numtasks"), I("numblocked"), I("numready"), I("numactive"),
        I("numerror"), I("numdone"), I("maxtid"), I("maxcid"), S("comment"), S("metadata"), I("maxactive"),
        B("serialsubtasks"), S("dirmap"), I("pil"), I("lastnoteid"), E("state", JobStates), S("lockedby"), B("paused"),
    ],
        ("user", "owner"), ("username", "owner"), ("cwd", "spoolcwd"), ("pri", "priority"),
        ("spooled", "spooltime"), ("deleted", "deletetime"), ("elapsed", "elapsedsecs"),
        ("est", "esttotalsecs"), ("ntasks", "numtasks"), ("jobid", "jid"));

    // Task, command and invocation searches also see the job's owner (tq's `tasks owner=louise`, `user=louise`) and a
    // state; any other job column is there under its own name too (`tasks priority > 100`), as `job.column`. The store
    // works out cids, ptids, minslots, maxslots, activetime and currcid from the task's commands, Instances and invocations,
    // and `blade` (a Furrow column, not Tractor's) as the blade of the task's newest run: where it runs, or last ran.
    public static QuerySchema Tasks { get; } = new(QueryTable.Tasks, "task",
    ["attached", "readytime", "resumeblock"],
    [
        I("jid"), I("tid"), S("title"), S("id"), S("service"), I("minslots"), I("maxslots"), IL("cids"),
        B("serialsubtasks"), IL("ptids"), B("attached"), E("state", Names<TaskState>(TaskStateNames.ToName)), T("statetime"), T("readytime"),
        T("activetime"), I("currcid"), B("haslog"), SL("preview"), SL("chaser"), F("progress"), S("metadata"),
        B("resumeblock"), I("retrycount"), S("owner"), S("blade"),
    ],
        ("taskid", "tid"), ("user", "owner"), ("username", "owner"));

    // Furrow adds `kind`: remote, local or builtin (Tractor's `local` is kind=local).
    public static QuerySchema Commands { get; } = new(QueryTable.Commands, "command",
    ["resumewhile", "resumepin"],
    [
        I("jid"), I("tid"), I("cid"), SL("argv"), B("local"), B("expand"), E("runtype", Names<CommandRunType>(CommandNames.ToName)), S("msg"), S("service"),
        SL("tags"), S("id"), S("refersto"), I("minslots"), I("maxslots"), SL("envkey"), IL("retryrcodes"),
        S("metadata"), SL("resumewhile"), B("resumepin"), E("state", Names<CommandState>(CommandStateNames.ToName)), S("owner"),
        E("kind", Names<CommandKind>(CommandNames.ToName)),
    ],
        ("cmdid", "cid"), ("retryrc", "retryrcodes"), ("retrycodes", "retryrcodes"), ("user", "owner"), ("username", "owner"));

    public static QuerySchema Invocations { get; } = new(QueryTable.Invocations, "invocation",
    ["numslots", "limits", "retrycount", "resumecount", "resumable"],
    [
        I("jid"), I("tid"), I("cid"), I("iid"), B("current"), S("blade"), I("numslots"), SL("limits"),
        T("starttime"), T("stoptime"), I("pid"), F("rss"), F("vsz"), F("cpu"), F("elapsedapp"), F("elapsedsys"),
        F("elapsedreal"), I("rcode"), I("retrycount"), I("resumecount"), B("resumable"), E("state", Names<InvocationState>(InvocationStateNames.ToName)), S("owner"),
    ],
        ("mem", "vsz"), ("utime", "elapsedapp"), ("stime", "elapsedsys"), ("wtime", "elapsedreal"), ("user", "owner"), ("username", "owner"));

    // Memory and disk are in bytes, so `mem > 4G` reads as written.
    public static QuerySchema Blades { get; } = new(QueryTable.Blades, "blade",
    ["port", "boottime", "udi"],
    [
        S("name"), S("ipaddr"), I("port"), S("osname"), S("osversion"), T("boottime"), I("numcpu"), F("loadavg"),
        F("availmemory"), F("availdisk"), S("version"), S("profile"), S("nimby"), T("starttime"), I("numslots"),
        F("udi"), E("status", BladeStatuses), T("heartbeattime"), B("registered"),
    ],
        ("os", "osname"), ("cores", "numcpu"), ("load", "loadavg"), ("mem", "availmemory"),
        ("availmem", "availmemory"), ("disk", "availdisk"));

    public static QuerySchema Params { get; } = new(QueryTable.Params, "param", [S("name"), S("value")]);

    public static QuerySchema Notes { get; } = new(QueryTable.Notes, "note",
    [
        I("noteid"), S("notetype"), S("noteuser"), T("notetime"), S("note"), S("itemtype"), IL("itemid"),
    ]);

    public static IReadOnlyList<QuerySchema> All { get; } = [Jobs, Tasks, Commands, Invocations, Blades, Params, Notes];

    public static QuerySchema For(QueryTable table) => All[(int)table];

    /// <summary>Finds a table by Tractor's names, singular or plural, in any case (`Job`, `jobs`, `task`).</summary>
    public static bool TryGet(string name, [NotNullWhen(true)] out QuerySchema? schema)
    {
        schema = All.FirstOrDefault(s =>
            string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(s.PluralName, name, StringComparison.OrdinalIgnoreCase));
        return schema is not null;
    }

    /// <summary>Resolves a column or alias name (any case) to its column.</summary>
    public bool TryResolve(string name, [NotNullWhen(true)] out QueryColumn? column)
    {
        if (_aliases.TryGetValue(name, out var canonical))
            name = canonical;
        return _columns.TryGetValue(name, out column);
    }

    /// <summary>Every name a user may type for this table: columns then aliases.</summary>
    public IEnumerable<string> AllNames => Columns.Select(c => c.Name).Concat(_aliases.Keys);

    private static QueryColumn I(string name) => new(name, QueryColumnType.Int);
    private static QueryColumn F(string name) => new(name, QueryColumnType.Float);
    private static QueryColumn S(string name) => new(name, QueryColumnType.String);
    private static QueryColumn T(string name) => new(name, QueryColumnType.Time);
    private static QueryColumn B(string name) => new(name, QueryColumnType.Bool);
    private static QueryColumn E(string name, string[] words) => new(name, QueryColumnType.String, Words: words);

    private static string[] Names<T>(Func<T, string> name) where T : struct, Enum => Enum.GetValues<T>().Select(name).ToArray();

    private static QueryColumn SL(string name) => new(name, QueryColumnType.StringList);
    private static QueryColumn IL(string name) => new(name, QueryColumnType.IntList);
}
