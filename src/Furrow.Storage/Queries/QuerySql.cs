using System.Globalization;
using System.Text;
using Furrow.Core.Query;
using Furrow.Storage.Migrations;

namespace Furrow.Storage.Queries;

/// <summary>
/// Translates a compiled search clause and sort (<see cref="Furrow.Core.Query"/>) into the WHERE and ORDER BY of a
/// listing, for either store. Every value the user typed becomes a parameter (`@q0`, `@q1` ...); the SQL text holds only
/// column expressions from <see cref="QueryColumns"/> and fixed keywords, so no clause can change the statement's shape.
/// The result matches <see cref="QueryNode.Evaluate"/> row for row: every test yields true or false (a null value is
/// false, and `!=` is `not =`, so a null is "not equal"), times compare at the millisecond the store keeps, and lists
/// match when any item does.
/// </summary>
internal sealed class QuerySql
{
    private readonly SqlDialect _dialect;
    private readonly QueryColumns _columns;
    private readonly List<(string Name, object? Value)> _parameters = [];
    private readonly HashSet<string> _tables = new(StringComparer.Ordinal);
    private int _negations;

    public QuerySql(SqlDialect dialect, QueryTable table)
    {
        _dialect = dialect;
        Table = table;
        _columns = QueryColumns.For(table);
    }

    public QueryTable Table { get; }

    public SqlDialect Dialect => _dialect;

    /// <summary>Parameters in the order they were made; names without the `@`.</summary>
    public IReadOnlyList<(string Name, object? Value)> Parameters => _parameters;

    /// <summary>Other tables the translated text refers to (`job`, `task`, `command`), which the FROM must join.</summary>
    public IReadOnlyCollection<string> Tables => _tables;

    /// <summary>Adds a value as a parameter and returns its placeholder.</summary>
    public string Parameter(object? value)
    {
        var name = "q" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return "@" + name;
    }

    /// <summary>A boolean SQL expression that is never null.</summary>
    public string Where(QueryNode node) => node switch
    {
        MatchAllNode => "1 = 1",
        AndNode or OrNode => Chain(node),
        NotNode not => Negated(() => Where(not.Inner)),
        TruthNode truth => Truth(truth.Key, truth.Column),
        CompareNode compare => Compare(compare.Key, compare.Column, compare.Op, compare.Literal),
        InNode @in => @in.Items.Count == 0 ? "1 = 0"
            : OneParameterIn(@in) is { } oneParameter ? oneParameter
            : Balanced([.. @in.Items.Select(item => Compare(@in.Key, @in.Column, CompareOp.Eq, item))], " OR ", 0, @in.Items.Count),
        LikeNode like => Like(like.Key, like.Column, like.Pattern),
        ColumnCompareNode pair => pair.Op == CompareOp.Ne
            ? Negated(() => Definite($"{Expression(pair.LeftKey)} = {Expression(pair.RightKey)}"))
            : Definite($"{Expression(pair.LeftKey)} {Symbol(pair.Op)} {Expression(pair.RightKey)}"),
        _ => throw new NotSupportedException($"no SQL for {node.GetType().Name}"),
    };

    /// <summary>The fewest items of an `in` list bound as one parameter (<see cref="OneParameterIn"/>).</summary>
    public const int OneParameterInFrom = 16;

    // A long `in` list of numbers or strings against a column that is one value: the items bound as one parameter (a JSON
    // array SQLite reads with json_each, an array PostgreSQL reads with ANY) rather than one parameter and one `=` each.
    // A statement of 20,000 parameters cost SQLite time growing with their square (each is looked up by name among all
    // of them as it is bound) and its planner as much again; this is one parameter, and it still uses the column's index.
    // Equal results: `=` against each item is `IN` the items, a null value is in nothing, and under NOT it is pinned false.
    // Null for a list this does not cover (a list column, times, mixed kinds), which is written item by item.
    private string? OneParameterIn(InNode node)
    {
        if (node.Items.Count < OneParameterInFrom || node.Column.IsList)
            return null;
        var items = node.Items;
        object? values;
        if (node.Column.Type == QueryColumnType.String && items.All(i => i.Kind == QueryValueKind.String))
        {
            values = _dialect == SqlDialect.Postgres
                ? items.Select(i => i.AsString).ToArray()
                : System.Text.Json.JsonSerializer.Serialize(items.Select(i => i.AsString).ToArray(), QueryJson.Default.StringArray);
        }
        else if (node.Column.Type == QueryColumnType.Int && items.All(i => i.Kind is QueryValueKind.Int or QueryValueKind.Bool))
        {
            values = _dialect == SqlDialect.Postgres
                ? items.Select(i => i.AsInt).ToArray()
                : System.Text.Json.JsonSerializer.Serialize(items.Select(i => i.AsInt).ToArray(), QueryJson.Default.Int64Array);
        }
        else if (node.Column.Type is QueryColumnType.Float or QueryColumnType.Bool
            && items.All(i => i.Kind is QueryValueKind.Int or QueryValueKind.Bool or QueryValueKind.Float))
        {
            var numbers = items.Select(i => i.Kind == QueryValueKind.Float ? i.AsFloat : i.AsInt).ToArray();
            if (!numbers.All(double.IsFinite))
                return null;
            values = _dialect == SqlDialect.Postgres ? numbers : System.Text.Json.JsonSerializer.Serialize(numbers, QueryJson.Default.DoubleArray);
        }
        else
        {
            return null;
        }
        var expression = Expression(node.Key);
        var parameter = Parameter(values);
        return Definite(_dialect == SqlDialect.Postgres
            ? $"{expression} = ANY({parameter})"
            : $"{expression} IN (SELECT value FROM json_each({parameter}))");
    }

    // A run of `and` (or of `or`) is written as a balanced tree of its tests, in their order: the parser builds a chain as
    // deep as it is long, and SQLite refuses an expression nested more than 1000 deep (`jid in [...]` of a thousand jobs
    // is such a run too). The run is walked without recursion along it.
    private string Chain(QueryNode node)
    {
        var isAnd = node is AndNode;
        var tests = new List<string>();
        var pending = new Stack<QueryNode>();
        pending.Push(node);
        while (pending.TryPop(out var next))
        {
            switch (next)
            {
                case AndNode both when isAnd:
                    pending.Push(both.Right);
                    pending.Push(both.Left);
                    break;
                case OrNode either when !isAnd:
                    pending.Push(either.Right);
                    pending.Push(either.Left);
                    break;
                default:
                    tests.Add(Where(next));
                    break;
            }
        }
        return Balanced(tests, isAnd ? " AND " : " OR ", 0, tests.Count);
    }

    private static string Balanced(List<string> tests, string op, int from, int to) => to - from == 1
        ? tests[from]
        : $"({Balanced(tests, op, from, (from + to) / 2)}{op}{Balanced(tests, op, (from + to) / 2, to)})";

    /// <summary>
    /// The rows of jobs <paramref name="scope"/> shows: `j.owner` is its user, or `j.crews` (a JSON list) holds one of its
    /// crews. Every name is a parameter. The job table is joined by every listing, so this needs no join of its own.
    /// </summary>
    public string Scope(Furrow.Core.Access.JobScope scope)
    {
        var owner = $"j.owner = {Parameter(scope.User)}";
        if (scope.Crews.Count == 0)
            return $"({owner})";
        var crews = string.Join(", ", scope.Crews.Select(crew => Parameter(crew)));
        return $"({owner} OR EXISTS (SELECT 1 FROM {Items("j.crews")} WHERE e.value IN ({crews})))";
    }

    /// <summary>
    /// ORDER BY items for <paramref name="sort"/>, then the table's own id order so pages never overlap. Nulls come last
    /// ascending and first descending, as <see cref="SortSpec"/> orders them.
    /// </summary>
    public string OrderBy(SortSpec? sort)
    {
        var items = new List<string>();
        foreach (var key in sort?.Keys ?? [])
        {
            var expression = Expression(key.Key);
            // A list sorts by its items joined with commas, as SortSpec writes it: the JSON text without its brackets and quotes.
            if (key.Column.IsList)
                expression = $"REPLACE(REPLACE(REPLACE({expression}, '\"', ''), '[', ''), ']', '')";
            if (key.Column.Type == QueryColumnType.String || key.Column.IsList)
                expression = Ordinal(expression);
            items.Add(key.Descending ? $"{expression} DESC NULLS FIRST" : $"{expression} ASC NULLS LAST");
        }
        items.AddRange(_columns.IdOrder);
        return string.Join(", ", items);
    }

    /// <summary>A column's expression for a SELECT list, noting the table it needs joined.</summary>
    public string Select(string key) => Expression(key);

    private string Expression(string key)
    {
        var (table, expression) = _columns.Resolve(key, _dialect);
        if (table is not null)
            _tables.Add(table);
        return expression;
    }

    // A WHERE keeps only rows whose test is true, so a null (unknown) test drops the row as false would, through AND and
    // OR: a test needs pinning to false only under a NOT, where "not unknown" would also drop it but "not false" keeps it.
    // Left bare, `t.jid = @q0` can use the table's key; wrapped in COALESCE it cannot.
    private string Definite(string predicate) => _negations > 0 ? $"COALESCE({predicate}, FALSE)" : predicate;

    private string Negated(Func<string> inner)
    {
        _negations++;
        try
        {
            return $"(NOT {inner()})";
        }
        finally
        {
            _negations--;
        }
    }

    private string Ordinal(string expression) => _dialect == SqlDialect.Postgres ? $"({expression}) COLLATE \"C\"" : expression;

    private static string Symbol(CompareOp op) => op switch
    {
        CompareOp.Eq => "=",
        CompareOp.Lt => "<",
        CompareOp.Le => "<=",
        CompareOp.Gt => ">",
        CompareOp.Ge => ">=",
        _ => "<>",
    };

    private string Truth(string key, QueryColumn column)
    {
        var expression = Expression(key);
        return column.Type switch
        {
            QueryColumnType.String => Definite($"{expression} <> ''"),
            QueryColumnType.Time => Definite($"{expression} > 0"),
            QueryColumnType.StringList or QueryColumnType.IntList => Definite($"{ArrayLength(expression)} > 0"),
            _ => Definite($"{expression} <> 0"),
        };
    }

    private string Compare(string key, QueryColumn column, CompareOp op, QueryValue literal)
    {
        if (op == CompareOp.Ne)
            return Negated(() => Compare(key, column, CompareOp.Eq, literal));
        var expression = Expression(key);
        if (column.IsList)
        {
            var item = Item(column, literal);
            var test = Scalar(item, column.Type == QueryColumnType.StringList ? QueryColumnType.String : QueryColumnType.Float, op, literal);
            return $"EXISTS (SELECT 1 FROM {Items(expression)} WHERE {test})";
        }

        return Scalar(expression, column.Type, op, literal);
    }

    // One scalar comparison, definite. The literal already has the column's type; anything else cannot come from the parser.
    private string Scalar(string expression, QueryColumnType type, CompareOp op, QueryValue literal)
    {
        switch (type)
        {
            case QueryColumnType.Time when literal.Kind == QueryValueKind.Time:
                return TimeCompare(expression, op, literal.AsTime);
            case QueryColumnType.String when literal.Kind == QueryValueKind.String:
                var left = op == CompareOp.Eq ? expression : Ordinal(expression);
                return Definite($"{left} {Symbol(op)} {Parameter(literal.AsString)}");
            case QueryColumnType.Int or QueryColumnType.Float or QueryColumnType.Bool when literal.Kind is QueryValueKind.Int or QueryValueKind.Bool:
                return Definite($"{expression} {Symbol(op)} {Parameter(literal.AsInt)}");
            case QueryColumnType.Int or QueryColumnType.Float or QueryColumnType.Bool when literal.Kind == QueryValueKind.Float:
                return Definite($"{expression} {Symbol(op)} {Parameter(literal.AsFloat)}");
            default:
                throw new QueryRejectedException($"cannot compare a {type} column with {literal}");
        }
    }

    // The store keeps times in whole milliseconds and the clause's instant has 100 ns ticks: compare the column (ms)
    // with the literal rounded the way that keeps each operator exact, so no index-defeating arithmetic on the column.
    private string TimeCompare(string expression, CompareOp op, DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        // Integer floor division (exact at any date, where a double loses ticks past about the year 2426).
        var floor = Math.DivRem(ticks, TimeSpan.TicksPerMillisecond, out var rest);
        if (rest < 0)
            floor--;
        var exact = floor * TimeSpan.TicksPerMillisecond == ticks;
        return op switch
        {
            CompareOp.Eq when !exact => "1 = 0",
            CompareOp.Eq => Definite($"{expression} = {Parameter(floor)}"),
            CompareOp.Gt => Definite($"{expression} > {Parameter(floor)}"),
            CompareOp.Ge => exact ? Definite($"{expression} >= {Parameter(floor)}") : Definite($"{expression} > {Parameter(floor)}"),
            CompareOp.Lt => exact ? Definite($"{expression} < {Parameter(floor)}") : Definite($"{expression} <= {Parameter(floor)}"),
            _ => Definite($"{expression} <= {Parameter(floor)}"),
        };
    }

    private string Like(string key, QueryColumn column, string pattern)
    {
        var expression = Expression(key);
        var parameter = Parameter(pattern);
        if (column.IsList)
        {
            var item = column.Type == QueryColumnType.IntList ? "CAST(e.value AS TEXT)" : "e.value";
            return $"EXISTS (SELECT 1 FROM {Items(expression)} WHERE {Matches(item, parameter)})";
        }

        var text = column.Type switch
        {
            QueryColumnType.String => expression,
            QueryColumnType.Bool => $"CASE WHEN {expression} <> 0 THEN 'true' ELSE 'false' END",
            QueryColumnType.Time => _dialect == SqlDialect.Postgres
                ? $"to_char(to_timestamp({expression} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                : $"strftime('%Y-%m-%dT%H:%M:%SZ', {expression} / 1000, 'unixepoch')",
            // SQLite's own text of a real (100.0) is not the clause language's (100); its like function formats numbers itself.
            QueryColumnType.Float when _dialect == SqlDialect.Sqlite => expression,
            _ => $"CAST({expression} AS TEXT)",
        };
        return Matches(text, parameter);
    }

    private string Matches(string text, string pattern) => _dialect == SqlDialect.Postgres
        ? Definite($"{text} ~* {pattern}")
        : Definite($"{Furrow.Storage.Sqlite.SqliteLike.FunctionName}({pattern}, {text}) <> 0");

    // A JSON array column as rows of one column `e.value`.
    private string Items(string expression) => _dialect == SqlDialect.Postgres
        ? $"jsonb_array_elements_text(CAST({expression} AS jsonb)) AS e(value)"
        : $"json_each({expression}) AS e";

    private string Item(QueryColumn column, QueryValue literal) =>
        _dialect != SqlDialect.Postgres || column.Type == QueryColumnType.StringList ? "e.value"
        : literal.Kind == QueryValueKind.Float ? "CAST(e.value AS DOUBLE PRECISION)"
        : "CAST(e.value AS BIGINT)";

    private string ArrayLength(string expression) => _dialect == SqlDialect.Postgres
        ? $"jsonb_array_length(CAST({expression} AS jsonb))"
        : $"json_array_length({expression})";
}

/// <summary>
/// Where each searchable column lives in the schema, per listing: the SQL expression for a row key (`owner`, or
/// `job.priority` on tasks) over fixed table aliases: `j` jobs, `t` tasks, `c` commands, `i` invocations.
/// </summary>
internal sealed class QueryColumns
{
    private static readonly Dictionary<string, string> Jobs = new(StringComparer.Ordinal)
    {
        ["jid"] = "j.jid", ["owner"] = "j.owner", ["spoolhost"] = "j.spoolhost", ["spoolfile"] = "j.spoolfile",
        ["spoolcwd"] = "j.spoolcwd", ["title"] = "j.title", ["tier"] = "j.tier", ["priority"] = "j.priority",
        ["projects"] = "j.projects", ["tags"] = "j.tags", ["service"] = "j.service", ["envkey"] = "j.envkey",
        ["minslots"] = "j.atleast", ["maxslots"] = "j.atmost", ["afterjids"] = "j.afterjids", ["spooltime"] = "j.spooltime",
        ["aftertime"] = "j.aftertime", ["starttime"] = "j.starttime", ["stoptime"] = "j.stoptime",
        ["deletetime"] = "CASE WHEN j.deleted <> 0 THEN j.deletetime END",
        ["numtasks"] = "j.numtasks", ["numblocked"] = "j.numblocked", ["numready"] = "j.numready", ["numactive"] = "j.numactive",
        ["numerror"] = "j.numerror", ["numdone"] = "j.numdone",
        ["maxtid"] = "(SELECT MAX(n.tid) FROM tasks n WHERE n.jid = j.jid)",
        ["maxcid"] = "(SELECT MAX(n.cid) FROM commands n WHERE n.jid = j.jid)",
        ["comment"] = "j.comment", ["maxactive"] = "j.maxactive", ["serialsubtasks"] = "j.rootserial", ["dirmap"] = "j.dirmap", ["lockedby"] = "j.lockedby", ["crews"] = "j.crews", ["editpolicy"] = "j.editpolicy", ["metadata"] = "j.metadata", ["paused"] = "j.paused",
        ["state"] = "CASE WHEN j.deleted <> 0 THEN 'deleted' WHEN j.paused <> 0 THEN 'paused' WHEN j.numerror > 0 THEN 'error' " +
            "WHEN j.numdone = j.numtasks THEN 'done' WHEN j.numactive > 0 THEN 'active' ELSE 'waiting' END",
    };

    private static readonly Dictionary<string, string> Tasks = new(StringComparer.Ordinal)
    {
        ["jid"] = "t.jid", ["tid"] = "t.tid", ["title"] = "t.title", ["id"] = "t.task_id", ["service"] = "t.service",
        ["serialsubtasks"] = "t.serialsubtasks", ["state"] = "t.state", ["statetime"] = "t.statetime",
        ["haslog"] = "CASE WHEN EXISTS (SELECT 1 FROM invocations n WHERE n.jid = t.jid AND n.tid = t.tid AND n.starttime IS NOT NULL) THEN 1 ELSE 0 END",
        ["progress"] = "CASE WHEN t.state = 'done' THEN 100 ELSE t.progress END", ["retrycount"] = "t.retrycount", ["owner"] = "j.owner",
        // Slots a task needs and takes are its commands' (each already falling back to the task's and job's -atleast/-atmost,
        // then to Tractor's defaults: 1 slot at least, and at most what it needs at least).
        ["minslots"] = "(SELECT MAX(COALESCE(m.atleast, 1)) FROM commands m WHERE m.jid = t.jid AND m.tid = t.tid)",
        ["maxslots"] = "(SELECT MAX(COALESCE(m.atmost, m.atleast, 1)) FROM commands m WHERE m.jid = t.jid AND m.tid = t.tid)",
        // Tractor's "time the task most recently became active": the dispatch of the first command of its newest run. A run
        // hands out commands in rising cid order, so a run begins at an invocation whose cid is not above the one before
        // it (or that has none before it). Not the task's first command: a run may skip it (a postscript task's error
        // run skips -when done), and currcid, the newest invocation, is always in the run this names; null before any.
        ["activetime"] = "(SELECT n.dispatchtime FROM invocations n WHERE n.jid = t.jid AND n.tid = t.tid AND NOT EXISTS (" +
            "SELECT 1 FROM invocations p WHERE p.jid = n.jid AND p.tid = n.tid AND p.cid < n.cid AND p.iid = " +
            "(SELECT MAX(q.iid) FROM invocations q WHERE q.jid = n.jid AND q.tid = n.tid AND q.iid < n.iid)) ORDER BY n.iid DESC LIMIT 1)",
        // The command the task dispatched last: the running one while it is active (a task runs its commands one at a time).
        ["currcid"] = "(SELECT n.cid FROM invocations n WHERE n.jid = t.jid AND n.tid = t.tid ORDER BY n.iid DESC LIMIT 1)",
        // Where the task runs, or last ran: the blade of its newest invocation (a done task keeps the one that finished it).
        ["blade"] = "(SELECT n.blade FROM invocations n WHERE n.jid = t.jid AND n.tid = t.tid ORDER BY n.iid DESC LIMIT 1)",
        ["metadata"] = "t.metadata", ["preview"] = "t.preview", ["chaser"] = "t.chaser",
    };

    // Lists made per row as JSON text, the form the stored list columns have: a task's commands (cids) and its parents
    // (ptids: the task it sits under, 0 for the job itself, first; then each task whose Instance names it, in tid order).
    private static readonly Dictionary<string, string> SqliteTasks = new(StringComparer.Ordinal)
    {
        ["cids"] = "(SELECT json_group_array(s.cid) FROM (SELECT m.cid FROM commands m WHERE m.jid = t.jid AND m.tid = t.tid ORDER BY m.cid) s)",
        ["ptids"] = "(SELECT json_group_array(s.p) FROM (SELECT 0 AS k, t.parent_tid AS p UNION ALL SELECT 1, n.tid FROM tasks n, json_each(n.instance_of) e " +
            "WHERE n.jid = t.jid AND n.instance_of <> '[]' AND e.value = t.tid ORDER BY 1, 2) s)",
    };

    private static readonly Dictionary<string, string> PostgresTasks = new(StringComparer.Ordinal)
    {
        ["cids"] = "('[' || COALESCE((SELECT string_agg(CAST(m.cid AS TEXT), ',' ORDER BY m.cid) FROM commands m WHERE m.jid = t.jid AND m.tid = t.tid), '') || ']')",
        ["ptids"] = "('[' || (SELECT string_agg(CAST(s.p AS TEXT), ',' ORDER BY s.k, s.p) FROM (SELECT 0 AS k, t.parent_tid AS p UNION ALL " +
            "SELECT 1, n.tid FROM tasks n CROSS JOIN jsonb_array_elements_text(CAST(n.instance_of AS jsonb)) AS e(value) " +
            "WHERE n.jid = t.jid AND n.instance_of <> '[]' AND CAST(e.value AS INTEGER) = t.tid) s) || ']')",
    };

    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        ["jid"] = "c.jid", ["tid"] = "c.tid", ["cid"] = "c.cid", ["argv"] = "c.argv",
        ["local"] = "CASE WHEN c.kind = 'local' THEN 1 ELSE 0 END", ["expand"] = "c.expand", ["runtype"] = "c.runtype",
        ["service"] = "c.service", ["tags"] = "c.tags", ["minslots"] = "COALESCE(c.atleast, 1)", ["maxslots"] = "COALESCE(c.atmost, c.atleast, 1)",
        ["envkey"] = "c.envkey", ["retryrcodes"] = "c.retryrc", ["state"] = "c.state", ["owner"] = "j.owner", ["kind"] = "c.kind",
        ["id"] = "c.cmd_id", ["refersto"] = "c.refersto", ["msg"] = "c.msg", ["metadata"] = "c.metadata",
    };

    private static readonly Dictionary<string, string> Invocations = new(StringComparer.Ordinal)
    {
        ["jid"] = "i.jid", ["tid"] = "i.tid", ["cid"] = "i.cid", ["iid"] = "i.iid", ["current"] = "i.current", ["blade"] = "i.blade",
        ["starttime"] = "i.starttime", ["stoptime"] = "i.stoptime", ["pid"] = "i.pid", ["rss"] = "i.rss", ["vsz"] = "i.vsz",
        // Tractor's cpu: the cores the command kept busy on average over its run.
        ["cpu"] = "CASE WHEN i.elapsedreal > 0 THEN (i.elapsedapp + i.elapsedsys) / i.elapsedreal END",
        ["elapsedapp"] = "i.elapsedapp", ["elapsedsys"] = "i.elapsedsys", ["elapsedreal"] = "i.elapsedreal", ["rcode"] = "i.rcode",
        ["state"] = "i.status", ["owner"] = "j.owner",
    };

    private static readonly QueryColumns JobColumns = new("job", ["j.jid"]);
    private static readonly QueryColumns TaskColumns = new("task", ["t.jid", "t.tid"]);
    private static readonly QueryColumns CommandColumns = new("command", ["c.jid", "c.cid"]);
    private static readonly QueryColumns InvocationColumns = new("invocation", ["i.iid"]);

    private readonly string _name;

    private QueryColumns(string name, string[] idOrder)
    {
        _name = name;
        IdOrder = idOrder;
    }

    /// <summary>The table's key columns, the last ORDER BY items of every listing.</summary>
    public IReadOnlyList<string> IdOrder { get; }

    public static QueryColumns For(QueryTable table) => table switch
    {
        QueryTable.Jobs => JobColumns,
        QueryTable.Tasks => TaskColumns,
        QueryTable.Commands => CommandColumns,
        QueryTable.Invocations => InvocationColumns,
        _ => throw new QueryRejectedException($"{table.ToString().ToLowerInvariant()} are not kept in the job database"),
    };

    /// <summary>
    /// The expression for a row key and the other table it needs joined (null for the listing's own, and for the job,
    /// which every listing joins). Refuses a column the store does not keep, naming it.
    /// </summary>
    public (string? Table, string Expression) Resolve(string key, SqlDialect dialect)
    {
        var dot = key.IndexOf('.');
        var (table, column) = dot < 0 ? (_name, key) : (key[..dot], key[(dot + 1)..]);
        var map = table switch
        {
            "job" => Jobs,
            "task" => Tasks,
            "command" => Commands,
            "invocation" => Invocations,
            _ => null,
        };
        var expression = "";
        var found = map is not null && (map.TryGetValue(column, out expression!)
            || (table == "task" && (dialect == SqlDialect.Postgres ? PostgresTasks : SqliteTasks).TryGetValue(column, out expression!)));
        if (!found)
            throw new QueryRejectedException($"not recorded by Furrow: {key}");
        if (table == _name || table == "job")
            return (null, expression);
        // Columns of a parent table: a command's task, an invocation's task and command.
        if ((_name, table) is ("command", "task") or ("invocation", "task") or ("invocation", "command"))
            return (table, expression);
        throw new QueryRejectedException($"a {_name} search cannot use {key}: it is not a column of the {_name}'s job, task or command");
    }
}

/// <summary>The JSON an `in` list's items are bound as on SQLite (source-generated: the store runs trimmed and compiled ahead of time).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double[]))]
internal sealed partial class QueryJson : System.Text.Json.Serialization.JsonSerializerContext;
