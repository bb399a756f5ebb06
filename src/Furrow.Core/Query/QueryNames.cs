using System.Diagnostics.CodeAnalysis;

namespace Furrow.Core.Query;

/// <summary>Resolves attribute names, including `table.column` dot notation, and suggests fixes for typos.</summary>
internal static class QueryNames
{
    /// <summary>
    /// Resolves <paramref name="name"/> for a search of <paramref name="schema"/>. The row key is the canonical
    /// column name, or `table.column` (singular, lower case) for another table's column: by dot notation (`job.owner`
    /// on tasks), or, on tasks, commands and invocations, a job column named alone (`priority`), as Tractor allows.
    /// </summary>
    public static bool TryResolve(QuerySchema schema, string name, [NotNullWhen(true)] out string? key, [NotNullWhen(true)] out QueryColumn? column)
    {
        key = null;
        if (schema.TryResolve(name, out column))
        {
            key = column.Name;
            return true;
        }

        var dot = name.IndexOf('.');
        if (dot > 0)
        {
            if (!QuerySchema.TryGet(name[..dot], out var other) || !Reaches(schema, other) || !other.TryResolve(name[(dot + 1)..], out column))
                return false;
            key = Key(schema, other, column);
            return true;
        }

        if (schema.Table is QueryTable.Tasks or QueryTable.Commands or QueryTable.Invocations && QuerySchema.Jobs.TryResolve(name, out column))
        {
            key = Key(schema, QuerySchema.Jobs, column);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Whether a search of <paramref name="schema"/> can read <paramref name="other"/>'s columns: its own, and those of
    /// the rows it belongs to (a task's job; a command's job and task; an invocation's job, task and command).
    /// </summary>
    public static bool Reaches(QuerySchema schema, QuerySchema other) => other == schema || (schema.Table, other.Table) is
        (QueryTable.Tasks, QueryTable.Jobs) or (QueryTable.Commands, QueryTable.Jobs) or (QueryTable.Commands, QueryTable.Tasks)
        or (QueryTable.Invocations, QueryTable.Jobs) or (QueryTable.Invocations, QueryTable.Tasks) or (QueryTable.Invocations, QueryTable.Commands);

    // The job's owner is a column of the task, command and invocation rows themselves.
    private static string Key(QuerySchema schema, QuerySchema other, QueryColumn column) =>
        other == schema ? column.Name
        : other == QuerySchema.Jobs && column.Name == "owner" && schema.TryResolve("owner", out _) ? "owner"
        : $"{other.Name}.{column.Name}";

    /// <summary>
    /// As <see cref="TryResolve"/>, with the error to report: an unknown name (with the closest one), or a column of
    /// Tractor's schema that Furrow does not record, which is refused rather than matched against an empty value.
    /// </summary>
    public static QueryError? Resolve(QuerySchema schema, string name, int position, IEnumerable<string>? extraWords, out string key, out QueryColumn column)
    {
        if (!TryResolve(schema, name, out var k, out var c))
        {
            key = "";
            column = null!;
            var dot = name.IndexOf('.');
            if (dot > 0 && QuerySchema.TryGet(name[..dot], out var other) && !Reaches(schema, other))
                return new QueryError(position, name, $"a {schema.PluralName} search cannot use {other.Name} columns", Parents(schema));
            return UnknownAttribute(schema, name, position, extraWords);
        }

        key = k;
        column = c;
        return c.Recorded ? null : new QueryError(position, name, $"not recorded by Furrow: {name}");
    }

    private static string Parents(QuerySchema schema) => schema.Table switch
    {
        QueryTable.Tasks => "it can use its own columns and its job's",
        QueryTable.Commands => "it can use its own columns and its job's and task's",
        QueryTable.Invocations => "it can use its own columns and its job's, task's and command's",
        _ => "it can use only its own columns",
    };

    public static QueryError UnknownAttribute(QuerySchema schema, string name, int column, IEnumerable<string>? extraWords = null)
    {
        var candidates = schema.AllNames.Concat(extraWords ?? []);
        var suggestion = Suggest(name, candidates);
        return new QueryError(column, name, $"unknown attribute '{name}' for {schema.PluralName}",
            suggestion is null ? null : $"did you mean '{suggestion}'?");
    }

    /// <summary>The closest candidate within a small edit distance, or null.</summary>
    public static string? Suggest(string name, IEnumerable<string> candidates)
    {
        var lowered = name.ToLowerInvariant();
        var limit = lowered.Length <= 4 ? 1 : 2;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(lowered, candidate.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    // Optimal string alignment distance, so a swapped pair of letters ("prioirty") counts as one edit.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}
