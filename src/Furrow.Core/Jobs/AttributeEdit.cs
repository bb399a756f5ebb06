using System.Globalization;
using Furrow.Core.Query;
using Furrow.Core.Scheduling;
using Furrow.Core.Text;

namespace Furrow.Core.Jobs;

/// <summary>
/// One attribute change asked for by `tq jattr`, `tq tattr`, `tq cattr` or `tq chkeys` (Tractor's `set_KEY=VALUE` on
/// jattr and cattr), checked and parsed: <see cref="Key"/> is the canonical column name and exactly one of the value
/// fields carries the new value. Made only by <see cref="Parse"/>.
/// </summary>
/// <param name="Key">The column's canonical name, e.g. `priority` for `pri`.</param>
/// <param name="Text">A text value (title, comment, tier, service key); for a service key, as written.</param>
/// <param name="Number">A number (priority; maxactive, minslots, maxslots as whole numbers; aftertime in Unix ms).</param>
/// <param name="Words">A list of names (projects, tags, envkey, crews).</param>
/// <param name="Ids">A list of whole numbers (afterjids, retryrcodes).</param>
/// <param name="Flag">A switch (paused).</param>
public sealed record AttributeEdit(string Key, string? Text = null, double? Number = null, IReadOnlyList<string>? Words = null,
    IReadOnlyList<long>? Ids = null, bool? Flag = null)
{
    /// <summary>Longest title a job or task may be given (characters).</summary>
    public const int MaxTitleLength = 4096;

    /// <summary>Longest comment a job may be given (characters): listings carry it, so it stays small.</summary>
    public const int MaxCommentLength = 65536;

    private static readonly string[] JobKeys = ["title", "comment", "priority", "paused", "aftertime", "maxactive", "afterjids", "projects", "tier", "crews"];
    private static readonly string[] TaskKeys = ["title", "service"];
    private static readonly string[] CommandKeys = ["service", "tags", "envkey", "retryrcodes", "minslots", "maxslots"];

    /// <summary>The keys <see cref="Parse"/> accepts for a table (jobs, tasks or commands).</summary>
    public static IReadOnlyList<string> KeysOf(QueryTable table) => table switch
    {
        QueryTable.Jobs => JobKeys,
        QueryTable.Tasks => TaskKeys,
        QueryTable.Commands => CommandKeys,
        _ => [],
    };

    /// <summary>
    /// Checks and parses <paramref name="value"/> for the attribute <paramref name="key"/> (a column name or one of
    /// Tractor's aliases, any case) of a job, task or command. Lists are comma- or space-separated; `aftertime` is Unix
    /// seconds as Tractor's `set_afterTime` sends it (0 clears it); `maxactive` 0 means no cap; `paused` is 1/0,
    /// true/false, yes/no or on/off (<see cref="ValueText"/>, which reads every number here: no white space around one); a service key must parse.
    /// </summary>
    /// <returns>The edit, or null and <paramref name="error"/> saying what is wrong: a column Furrow does not record,
    /// one fixed at spool or kept by the engine, an unknown key (with the closest one), or a value of the wrong shape.</returns>
    public static AttributeEdit? Parse(QueryTable table, string key, string value, out string? error)
    {
        error = null;
        var schema = QuerySchema.For(table);
        var keys = KeysOf(table);
        if (keys.Count == 0)
        {
            error = $"{schema.PluralName} have no attributes that can be set this way; jobs, tasks and commands do";
            return null;
        }
        var name = key.Trim().ToLowerInvariant();
        name = name switch
        {
            "atleast" => "minslots",
            "atmost" => "maxslots",
            _ => schema.Aliases.TryGetValue(name, out var canonical) ? canonical : name,
        };
        if (!keys.Contains(name))
        {
            error = Refusal(schema, name, key, keys);
            return null;
        }
        // A job script cannot hold NUL (the parser refuses it), and neither may a value set afterwards: searches, logs and
        // PostgreSQL's text all end a string there.
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            error = $"{name}: a value may not contain a NUL character";
            return null;
        }
        var text = value.Trim();
        switch (name)
        {
            case "title":
                if (text.Length == 0)
                    error = value.Length == 0 ? "title: the title is empty" : "title: the title is blank (white space only)";
                else if (value.Length > MaxTitleLength)
                    error = $"title: expected 1 to {MaxTitleLength} characters, got {value.Length}";
                return error is null ? new AttributeEdit(name, Text: value) : null;
            case "comment":
                if (value.Length > MaxCommentLength)
                    error = $"comment: at most {MaxCommentLength} characters, got {value.Length}";
                return error is null ? new AttributeEdit(name, Text: value) : null;
            case "tier":
                if (text.Length == 0)
                    error = "tier: expected a tier name";
                return error is null ? new AttributeEdit(name, Text: text) : null;
            case "service":
                var parsed = ServiceKey.Parse(text);
                if (text.Length == 0 || parsed.Key is null)
                    error = $"service: expected a service key expression such as 'linux,prman', got '{value}'{(parsed.Error is { } why ? $": {why}" : "")}";
                return error is null ? new AttributeEdit(name, Text: text) : null;
            case "priority":
                return JobPriority.Parse(value, out error) is { } priority ? new AttributeEdit(name, Number: priority) : null;
            case "maxactive":
                return WholeNumber(name, value, 0, out var max, out error) ? new AttributeEdit(name, Number: max) : null;
            case "minslots" or "maxslots":
                return WholeNumber(name, value, 1, out var slots, out error) ? new AttributeEdit(name, Number: slots) : null;
            case "aftertime":
                // Tractor's tq sends a fraction of a second; kept to the millisecond.
                if (!ValueText.IsDecimal(value, out var seconds) || seconds is < 0 or > 253402300799)
                    error = $"aftertime: expected a time in Unix seconds (0 for none), got '{value}'";
                return error is null ? new AttributeEdit(name, Number: Math.Round(seconds * 1000.0)) : null;
            case "paused":
                var flag = ValueText.Switch(value);
                if (flag is null)
                    error = $"paused: expected one of {ValueText.SwitchWords}, got '{value}'";
                return flag is null ? null : new AttributeEdit(name, Flag: flag);
            case "afterjids" or "retryrcodes":
                var what = name == "afterjids" ? "job ids" : "exit codes";
                if (ValueText.Items(value, out var badList) is not { } words)
                {
                    error = $"{name}: expected {what} separated by commas or spaces, got '{value}': {badList}";
                    return null;
                }
                var ids = new List<long>();
                foreach (var word in words)
                {
                    if (!(name == "afterjids" ? ValueText.IsId(word, out var id) : ExitCode(word, out id)))
                    {
                        error = $"{name}: expected {what} separated by commas or spaces, got '{word}'";
                        return null;
                    }
                    ids.Add(id);
                }
                return new AttributeEdit(name, Ids: ids.Distinct().ToList());
            default: // projects, tags, envkey, crews
                if (ValueText.Items(value, out var missingWord) is not { } listed)
                {
                    error = $"{name}: expected names separated by commas or spaces, got '{value}': {missingWord}";
                    return null;
                }
                return new AttributeEdit(name, Words: listed.Distinct(StringComparer.Ordinal).ToList());
        }
    }

    private static bool WholeNumber(string name, string text, int least, out double number, out string? error)
    {
        number = 0;
        error = null;
        if (ValueText.IsWhole(text, out var n) && n >= least)
        {
            number = n;
            return true;
        }
        error = $"{name}: expected a whole number of at least {least}, got '{text}'";
        return false;
    }

    // An exit code: a whole number, negative for a signal's.
    private static bool ExitCode(string word, out long code)
    {
        var negative = word.StartsWith('-');
        var ok = ValueText.IsWhole(negative ? word[1..] : word, out var magnitude);
        code = negative ? -magnitude : magnitude;
        return ok;
    }

    // Why a key cannot be set: not kept at all, fixed at spool, kept by the engine, or not a column (with the closest).
    private static string Refusal(QuerySchema schema, string name, string asked, IReadOnlyList<string> keys)
    {
        var what = schema.Name;
        if (schema.Table == QueryTable.Jobs && name is "service" or "envkey" or "tags" or "minslots" or "maxslots")
            return $"a job's {name} is copied into each of its commands at spool; change it on the commands with tq cattr -k {name}";
        if (schema.TryResolve(name, out var column))
        {
            if (!column.Recorded)
                return $"not recorded by Furrow: {column.Name}";
            return $"a {what}'s {column.Name} cannot be changed; these can: {string.Join(", ", keys)}";
        }
        var suggestion = TractorQuery.Suggest(asked, keys);
        return $"unknown {what} attribute '{asked}'{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}; these can be changed: {string.Join(", ", keys)}";
    }
}
