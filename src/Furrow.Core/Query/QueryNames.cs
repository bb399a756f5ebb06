using System.Diagnostics.CodeAnalysis;

namespace Furrow.Core.Query;

/// <summary>Resolves attribute names, including `table.column` dot notation, and suggests fixes for typos.</summary>
internal static class QueryNames
{
    /// <summary>
    /// Resolves <paramref name="name"/> for a search of <paramref name="schema"/>. The row key is the canonical
    /// column name, or `table.column` (singular, lower case) for another table's column such as `job.owner` on tasks.
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
        if (dot <= 0 || !QuerySchema.TryGet(name[..dot], out var other) || !other.TryResolve(name[(dot + 1)..], out column))
            return false;
        key = other == schema ? column.Name : $"{other.Name}.{column.Name}";
        return true;
    }

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
