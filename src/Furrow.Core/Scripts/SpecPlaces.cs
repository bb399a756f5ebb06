using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>
/// Where the parts of a parsed job were written, so a refusal made after parsing (the spool checks, the compiler)
/// names file, line and column as a parse error does (<see cref="ScriptError"/>). Filled by the alfred readers, or worked
/// out from the JSON text for the JSON form; a job built in code has none (<see cref="JobSpec.Places"/> is null).
/// </summary>
public abstract class SpecPlaces
{
    /// <summary>
    /// The error at <paramref name="option"/> of <paramref name="owner"/> (a <see cref="JobSpec"/>, <see cref="TaskNode"/>
    /// or <see cref="CommandSpec"/> of this job): the option's name as the script wrote it, without its dash
    /// (<c>samehost</c>, <c>whendone</c>; <c>argv</c> for a command's command line), or "" for the element itself (its
    /// keyword, or its JSON object). An option not written (a default) is reported at its element.
    /// </summary>
    public abstract ScriptError ErrorAt(object owner, string option, string message);
}

/// <summary>
/// Option places recorded by the alfred readers as they read each word; lines and columns are worked out only for an
/// error, by a search from the last place back. A script of 100,000 tasks records 500,000 places, so they are kept in
/// 24-byte entries in chunks that are never copied: 6 % more allocation for the parse of such a script, where a table
/// per element cost 38 % and one growing list 16 %.
/// </summary>
internal sealed class AlfredPlaces : SpecPlaces
{
    private const int MaxChunk = 2048; // 48 KB: below the large object heap

    private readonly List<Place[]> _chunks = [];
    private readonly List<TclSource> _sources = [];
    private int _used;
    private int _count;

    private readonly record struct Place(object Owner, string Option, int Offset, int Source);

    public void Add(object owner, string option, TclWord word)
    {
        // Words come from the file's own text but for scripts given as quoted words; a source is listed once per run.
        if (_sources.Count == 0 || !ReferenceEquals(_sources[^1], word.Source))
            _sources.Add(word.Source);
        if (_chunks.Count == 0 || _used == _chunks[^1].Length)
        {
            _chunks.Add(new Place[Math.Clamp(_count, 16, MaxChunk)]);
            _used = 0;
        }
        _chunks[^1][_used++] = new Place(owner, option, word.Start, _sources.Count - 1);
        _count++;
    }

    public override ScriptError ErrorAt(object owner, string option, string message)
    {
        // The last time an option is given is the one that counts, as the readers keep the last value.
        foreach (var wanted in (ReadOnlySpan<string>)[option, ""])
        {
            for (var c = _chunks.Count - 1; c >= 0; c--)
            {
                var chunk = _chunks[c];
                for (var i = (c == _chunks.Count - 1 ? _used : chunk.Length) - 1; i >= 0; i--)
                    if (ReferenceEquals(chunk[i].Owner, owner) && chunk[i].Option == wanted)
                        return _sources[chunk[i].Source].ErrorAt(chunk[i].Offset, message);
            }
        }
        return _count > 0 ? _sources[_chunks[0][0].Source].ErrorAt(_chunks[0][0].Offset, message) : new ScriptError("<script>", 1, 1, message);
    }
}

/// <summary>
/// Places in the JSON form, found when an error is reported: the element's JSON path, then that path's line and column
/// in the text (columns count characters, <see cref="Text.TextColumn"/>, as <see cref="JobJson"/>'s syntax errors do).
/// The message names the path.
/// </summary>
internal sealed class JsonPlaces(string json, string fileName, JobSpec job, int maxDepth) : SpecPlaces
{
    public override ScriptError ErrorAt(object owner, string option, string message)
    {
        var at = PathOf(owner) ?? "$";
        var path = at;
        if (option.Length > 0)
        {
            var kept = KeptOf(owner)?.FindLastIndex(k => k.Name == option) ?? -1;
            path = kept >= 0 ? $"{at}.kept[{kept}]" : $"{at}.{JsonName(option)}";
        }
        var place = Text.JsonPlaces.Find(json, KeysOf(path), atKey: true, message, maxDepth);
        if (place is null)
        {
            path = at;
            place = Text.JsonPlaces.Find(json, KeysOf(at), atKey: true, message, maxDepth);
        }
        var (line, column) = place is { } p ? (p.Line, p.Column) : (1, 1);
        return new ScriptError(fileName, line, column, $"{message} (at {path})");
    }

    // "$.subtasks[2].commands[0].kept[1]" as the keys JsonPlaces walks: subtasks, 2, commands, 0, kept, 1. The paths
    // are built here from fixed property names, so a dot or bracket only ever separates.
    private static string[] KeysOf(string path) =>
        path.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();

    private static List<KeptOption>? KeptOf(object owner) => owner switch
    {
        JobSpec j => j.Kept,
        TaskSpec t => t.Kept,
        CommandSpec c => c.Kept,
        _ => null,
    };

    // The camelCase property of an alfred option where the two differ.
    private static string JsonName(string option) => option switch
    {
        "afterjids" => "afterJids",
        "samehost" => "sameHost",
        "resumeblock" => "resumeBlock",
        "envkey" => "envKey",
        "retryrc" => "retryRc",
        "atleast" => "atLeast",
        "atmost" => "atMost",
        "maxactive" => "maxActive",
        "serialsubtasks" => "serialSubtasks",
        "refersto" => "refersTo",
        "spoolcwd" => "spoolCwd",
        "cmds" => "commands",
        _ => option,
    };

    private string? PathOf(object owner)
    {
        if (ReferenceEquals(owner, job))
            return "$";
        var pending = new Stack<(string Path, List<TaskNode> Nodes, List<CommandSpec>? A, string? AName, List<CommandSpec>? B, string? BName)>();
        pending.Push(("$", job.Subtasks, job.Cleanup, "cleanup", job.Postscript, "postscript"));
        while (pending.TryPop(out var level))
        {
            if ((InCommands(level.Path, level.A, level.AName, owner) ?? InCommands(level.Path, level.B, level.BName, owner)) is { } found)
                return found;
            for (var i = 0; i < level.Nodes.Count; i++)
            {
                var path = $"{level.Path}.subtasks[{i}]";
                if (ReferenceEquals(level.Nodes[i], owner))
                    return path;
                if (level.Nodes[i] is TaskSpec task)
                    pending.Push((path, task.Subtasks, task.Commands, "commands", task.Cleanup, "cleanup"));
            }
        }
        return null;
    }

    private static string? InCommands(string path, List<CommandSpec>? commands, string? name, object owner)
    {
        var i = commands?.FindIndex(c => ReferenceEquals(c, owner)) ?? -1;
        return i >= 0 ? $"{path}.{name}[{i}]" : null;
    }
}
