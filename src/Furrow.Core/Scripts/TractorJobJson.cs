using System.Globalization;
using System.Text.Json;

namespace Furrow.Core.Scripts;

/// <summary>
/// Tractor's own JSON job form, the one Tractor 2.x's tractor-spool sends to `jspool` (TRACTOR-PROTOCOL §3b) and
/// `tractor-spool --in-json` reads from a file: <c>{"TractorJob": "2.0", "data": {job attributes, "commands": [...]},
/// "children": [{"data": {task attributes, "commands": [...], "ants": [...]}, "children": [...]}]}</c>, read into the
/// same <see cref="JobSpec"/> as an alfred script, by the keys Tractor's engine reads when it stages such a job: job
/// <c>title priority paused crews maxactive tags service envkey serialsubtasks projects tier minslots maxslots metadata
/// comment afterjids aftertime spoolcwd dirmaps editpolicy etalevel</c>; task <c>title id service metadata minslots
/// maxslots serialsubtasks resumeblock preview chaser ants</c>; command <c>type argv msg service tags id refersto
/// minslots maxslots envkey retryrc metadata</c>, where <c>type</c> is Tractor's code (R or L, then C, D for a cleanup,
/// P, PD or PE for a postscript of `-when always`, done or error, and X for an expand command). A negative priority is
/// Tractor 1.x's paused job (priority -(p+1)). Keys Tractor's engine does not read (owner, spoolhost, spoolfile: the
/// spool's request gives those) are not read either; a value of the wrong type is an error naming its key, line and
/// column, as are resumewhile/resumepin/minrunsecs/maxrunsecs other than their defaults (Furrow does not apply them).
/// </summary>
public static class TractorJobJson
{
    /// <summary>
    /// Whether <paramref name="json"/> is meant as Tractor's JSON job form: after an optional `#!` checkpoint header, an
    /// object with a <c>TractorJob</c> key (whatever else it has: <see cref="Read"/> passes over keys Tractor's engine does
    /// not read, as that engine does), or
    /// with a <c>data</c> key and no key other than it and <c>children</c>.
    /// </summary>
    public static bool IsTractorForm(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(WithoutHeader(json)), new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 256,
        });
        var (tractorKey, dataKey, otherKey) = (false, false, false);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString();
                tractorKey |= key == "TractorJob";
                dataKey |= key == "data";
                otherKey |= key is not ("TractorJob" or "data" or "children");
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return tractorKey || (dataKey && !otherKey);
    }

    /// <summary>
    /// The job in <paramref name="json"/> (Tractor's form, see the type's summary), or the first error with file, line and
    /// column: a JSON syntax error, a format newer than 2.0 in <c>TractorJob</c>, a value of the wrong type, an empty
    /// command line, or a job-level command that is neither a cleanup nor a postscript.
    /// </summary>
    /// <param name="zone">The zone the engine reads start times in: <c>aftertime</c> (Unix seconds) becomes that zone's clock
    /// time, as the alfred reader's -after is read.</param>
    public static ScriptParseResult Read(string json, string fileName, ScriptLimits limits, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);
        if (ScriptText.CheckText(json, fileName, limits) is { } textError)
            return ScriptParseResult.Failure(textError);
        // The checkpoint header is blanked, not cut, so lines and columns stay those of the file.
        var text = WithoutHeader(json);
        var maxDepth = (limits.MaxDepth * 2) + 8;
        JsonDocument document;
        try
        {
            if (JsonScriptScan.FirstProblem(text, fileName, maxDepth, duplicates: true) is { } scanned)
                return ScriptParseResult.Failure(scanned);
            document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = maxDepth,
                // JsonScriptScan has refused a key given twice; this is its backstop.
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException e)
        {
            var problem = Text.JsonProblems.Describe(e, text, null);
            return ScriptParseResult.Failure(new ScriptError(fileName, problem.Line, problem.Column, problem.Message));
        }
        using (document)
        {
            var reader = new Reader(text, fileName, maxDepth, zone);
            try
            {
                var job = reader.Job(document.RootElement);
                job.Places = reader.Places;
                return ScriptParseResult.Success(job);
            }
            catch (TractorFormException e)
            {
                return ScriptParseResult.Failure(reader.ErrorAt(e.Path, e.Message));
            }
        }
    }

    // A `#!...` first line (Tractor's checkpoint header) up to the line where the object starts, as spaces.
    private static string WithoutHeader(string json)
    {
        var start = json.StartsWith("#!", StringComparison.Ordinal) ? json.IndexOf("\n{", StringComparison.Ordinal) : -1;
        if (start < 0)
            return json;
        var chars = json.ToCharArray();
        for (var i = 0; i < start; i++)
        {
            if (chars[i] is not ('\n' or '\r'))
                chars[i] = ' ';
        }
        return new string(chars);
    }

    private sealed class TractorFormException(IReadOnlyList<string> path, string message) : Exception(message)
    {
        public IReadOnlyList<string> Path { get; } = path;
    }

    private sealed class Reader(string text, string fileName, int maxDepth, TimeZoneInfo zone)
    {
        public TractorPlaces Places { get; } = new(text, fileName, maxDepth);

        public ScriptError ErrorAt(IReadOnlyList<string> path, string message) => Places.ErrorAtPath(path, message);

        public JobSpec Job(JsonElement root)
        {
            List<string> at = [];
            if (root.ValueKind != JsonValueKind.Object)
                throw new TractorFormException(at, $"expected Tractor's JSON job form, an object with \"data\" and \"children\", found {Kind(root)}");
            if (root.TryGetProperty("TractorJob", out var format))
            {
                // tractor-spool writes "2.0": a version is that string, MAJOR.MINOR; a number (2) or a padded string
                // (" 2.0") is no form Tractor writes.
                if (format.ValueKind != JsonValueKind.String
                    || !System.Text.RegularExpressions.Regex.IsMatch(format.GetString()!, @"^[0-9]{1,3}(\.[0-9]{1,3}){0,2}\z"))
                    throw new TractorFormException(["TractorJob"], $"expected the form's version as a string such as \"2.0\", found {(format.ValueKind == JsonValueKind.String ? $"\"{format.GetString()}\"" : format.GetRawText())}");
                var version = format.GetString()!;
                var parts = version.Split('.');
                var (major, minor) = (int.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0);
                if (major > 2 || (major == 2 && (minor > 0 || parts.Length > 2 && int.Parse(parts[2], CultureInfo.InvariantCulture) > 0)))
                    throw new TractorFormException(["TractorJob"], $"Tractor's JSON job form {version} is not one Furrow reads: it reads 2.0 and earlier");
            }
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                throw new TractorFormException(at, "expected \"data\", the job's attributes, as an object");
            Misplaced(root, at, JobKeys, "job's");
            List<string> dataAt = ["data"];
            var job = new JobSpec
            {
                Title = String(data, dataAt, "title") ?? "",
                Service = String(data, dataAt, "service"),
                EnvKey = Strings(data, dataAt, "envkey"),
                Tags = Words(data, dataAt, "tags"),
                Projects = Strings(data, dataAt, "projects"),
                Crews = Strings(data, dataAt, "crews"),
                Tier = String(data, dataAt, "tier") is { Length: > 0 } tier ? tier : null,
                MaxActive = Int(data, dataAt, "maxactive") is { } max and not 0 ? max : null,
                AtLeast = Int(data, dataAt, "minslots"),
                AtMost = Int(data, dataAt, "maxslots"),
                SerialSubtasks = Switch(data, dataAt, "serialsubtasks"),
                AfterJids = Ints(data, dataAt, "afterjids"),
                Comment = String(data, dataAt, "comment"),
                Metadata = String(data, dataAt, "metadata"),
                SpoolCwd = String(data, dataAt, "spoolcwd") is { Length: > 0 } cwd ? cwd : null,
            };
            Places.Add(job, dataAt);
            if (Number(data, dataAt, "priority") is { } priority)
            {
                // Tractor 1.x wrote a paused job's priority as -(p+1), and Tractor's engine still reads it so.
                if (priority < 0)
                {
                    job.Priority = Math.Abs(priority + 1);
                    job.Paused = true;
                }
                else
                    job.Priority = priority;
            }
            if (Switch(data, dataAt, "paused"))
                job.Paused = true;
            if (Number(data, dataAt, "aftertime") is { } after)
            {
                if (after < 0 || after > 253402300799)
                    throw new TractorFormException([.. dataAt, "aftertime"], $"expected a time in Unix seconds, found {after}");
                // The -after form with a year (AfterTime), as the engine's zone's clock shows the instant.
                var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds((long)after), zone);
                job.After = local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            }
            foreach (var kept in (ReadOnlySpan<string>)["editpolicy", "etalevel"])
            {
                if (data.TryGetProperty(kept, out var value) && value.ValueKind is not JsonValueKind.Null)
                    job.Kept.Add(new KeptOption(kept, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
            }
            if (data.TryGetProperty("dirmaps", out var dirmaps) && dirmaps.ValueKind != JsonValueKind.Null
                && !(dirmaps.ValueKind == JsonValueKind.Array && dirmaps.GetArrayLength() == 0))
                throw new TractorFormException([.. dataAt, "dirmaps"],
                    "a job's dirmaps in Tractor's JSON job form are not read by Furrow: give them as -dirmaps in an alfred script, or in Furrow's JSON job form");
            if (data.TryGetProperty("commands", out var commands))
            {
                foreach (var (command, i) in Commands(commands, [.. dataAt, "commands"]))
                {
                    List<string> commandAt = [.. dataAt, "commands", i.ToString(CultureInfo.InvariantCulture)];
                    if (command.When is null && command.Keyword != "cleanup")
                        throw new TractorFormException([.. commandAt, "type"],
                            "a job-level command is a cleanup (type RD) or a postscript (RP, RPD, RPE): a command to run goes in a task");
                    (command.When is null ? job.Cleanup : job.Postscript).Add(command);
                    Restore(command);
                }
            }
            if (root.TryGetProperty("children", out var children))
                job.Subtasks = Tasks(children, ["children"], 1);
            return job;
        }

        private List<TaskNode> Tasks(JsonElement list, List<string> at, int depth)
        {
            if (list.ValueKind == JsonValueKind.Null)
                return [];
            if (list.ValueKind != JsonValueKind.Array)
                throw new TractorFormException(at, $"expected a list of tasks, found {Kind(list)}");
            var tasks = new List<TaskNode>();
            var i = 0;
            foreach (var element in list.EnumerateArray())
            {
                List<string> taskAt = [.. at, (i++).ToString(CultureInfo.InvariantCulture)];
                if (element.ValueKind != JsonValueKind.Object)
                    throw new TractorFormException(taskAt, $"expected a task, an object with \"data\" and \"children\", found {Kind(element)}");
                var data = element.TryGetProperty("data", out var d) ? d : default;
                if (data.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
                    throw new TractorFormException([.. taskAt, "data"], $"expected the task's attributes as an object, found {Kind(data)}");
                List<string> dataAt = [.. taskAt, "data"];
                Misplaced(element, taskAt, TaskKeys, "task's");
                var has = data.ValueKind == JsonValueKind.Object;
                var task = new TaskSpec
                {
                    Title = (has ? String(data, dataAt, "title") : null) ?? "",
                    Id = has ? String(data, dataAt, "id") : null,
                    Service = has ? String(data, dataAt, "service") : null,
                    Metadata = has ? String(data, dataAt, "metadata") : null,
                    AtLeast = has ? Int(data, dataAt, "minslots") : null,
                    AtMost = has ? Int(data, dataAt, "maxslots") : null,
                    SerialSubtasks = has && Switch(data, dataAt, "serialsubtasks"),
                    ResumeBlock = has && Switch(data, dataAt, "resumeblock"),
                    Chaser = has ? CommandLine(data, dataAt, "chaser") : [],
                    Preview = has ? CommandLine(data, dataAt, "preview") : [],
                };
                Places.Add(task, dataAt);
                if (has && data.TryGetProperty("commands", out var commands))
                {
                    foreach (var (command, c) in Commands(commands, [.. dataAt, "commands"]))
                    {
                        if (command.When is not null)
                            throw new TractorFormException([.. dataAt, "commands", c.ToString(CultureInfo.InvariantCulture), "type"],
                                "a postscript command (type RP, RPD, RPE) belongs to the job's own commands, not a task's");
                        (command.Keyword == "cleanup" ? task.Cleanup : task.Commands).Add(command);
                        Restore(command);
                    }
                }
                if (element.TryGetProperty("children", out var children))
                    task.Subtasks = Tasks(children, [.. taskAt, "children"], depth + 1);
                // Instances (ants): the task waits for each named task, as alfred's Instance under it.
                if (has)
                {
                    foreach (var reference in Strings(data, dataAt, "ants"))
                        task.Subtasks.Add(new InstanceSpec { Title = reference });
                }
                tasks.Add(task);
            }
            return tasks;
        }

        // The commands of a "commands" list, each with its position; a command's kind of run is parked in Keyword
        // ("cleanup") and When until the caller files it, then Restore sets the keyword the alfred reader would.
        private IEnumerable<(CommandSpec Command, int Index)> Commands(JsonElement list, List<string> at)
        {
            if (list.ValueKind == JsonValueKind.Null)
                yield break;
            if (list.ValueKind != JsonValueKind.Array)
                throw new TractorFormException(at, $"expected a list of commands, found {Kind(list)}");
            var i = 0;
            foreach (var element in list.EnumerateArray())
            {
                List<string> commandAt = [.. at, i.ToString(CultureInfo.InvariantCulture)];
                if (element.ValueKind != JsonValueKind.Object)
                    throw new TractorFormException(commandAt, $"expected a command, an object with \"argv\", found {Kind(element)}");
                var type = String(element, commandAt, "type") ?? "RC";
                if (!System.Text.RegularExpressions.Regex.IsMatch(type, "^[RL](C|D|P|PD|PE)?X?$"))
                    throw new TractorFormException([.. commandAt, "type"],
                        $"unknown command type '{type}': expected R (remote) or L (local), then C, D (cleanup), P, PD or PE (postscript: always, done, error), then X for an expand command");
                var command = new CommandSpec
                {
                    Kind = type[0] == 'L' ? CommandKind.Local : CommandKind.Remote,
                    Argv = Strings(element, commandAt, "argv"),
                    Msg = String(element, commandAt, "msg"),
                    Service = String(element, commandAt, "service"),
                    Metadata = String(element, commandAt, "metadata"),
                    Tags = Words(element, commandAt, "tags"),
                    Id = String(element, commandAt, "id"),
                    RefersTo = String(element, commandAt, "refersto"),
                    AtLeast = Int(element, commandAt, "minslots"),
                    AtMost = Int(element, commandAt, "maxslots"),
                    EnvKey = Strings(element, commandAt, "envkey"),
                    RetryRc = Ints(element, commandAt, "retryrc"),
                    Expand = type.EndsWith('X'),
                    Keyword = type.Length > 1 && type[1] == 'D' ? "cleanup" : "",
                    When = type.Length > 1 && type[1] == 'P' ? (type.Length > 2 && type[2] == 'D' ? "done" : type.Length > 2 && type[2] == 'E' ? "error" : "always") : null,
                };
                foreach (var (key, none) in new (string, double)[] { ("minrunsecs", 0), ("maxrunsecs", 0), ("resumepin", 0) })
                {
                    if (Number(element, commandAt, key) is { } value && value != none)
                        throw new TractorFormException([.. commandAt, key], $"{key} is not applied by Furrow: leave it out (or {none.ToString(CultureInfo.InvariantCulture)})");
                }
                if (element.TryGetProperty("resumewhile", out var resume) && !(resume.ValueKind == JsonValueKind.Null
                    || (resume.ValueKind == JsonValueKind.Array && resume.GetArrayLength() == 0)))
                    throw new TractorFormException([.. commandAt, "resumewhile"], "resumewhile is not applied by Furrow: leave it out");
                if (command.Argv.Count == 0)
                    throw new TractorFormException([.. commandAt, "argv"], "a command has an empty command line: \"argv\" takes the program and its arguments, such as [\"prman\", \"frame.rib\"]");
                Places.Add(command, commandAt);
                yield return (command, i++);
            }
        }

        // The keyword the alfred reader gives a command of this kind.
        private static void Restore(CommandSpec command) =>
            command.Keyword = command.Kind == CommandKind.Local ? "Cmd" : "RemoteCmd";

        private static string Kind(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            JsonValueKind.String => $"the string \"{element.GetString()}\"",
            JsonValueKind.Number => $"the number {element.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            JsonValueKind.Undefined => "nothing",
            _ => "null",
        };

        // The keys a job's and a task's "data" hold, as this reader reads them.
        private static readonly string[] JobKeys =
        [
            "title", "service", "envkey", "tags", "projects", "crews", "tier", "maxactive", "priority", "paused", "afterjids",
            "aftertime", "comment", "metadata", "minslots", "maxslots", "serialsubtasks", "spoolcwd", "commands", "dirmaps",
        ];

        private static readonly string[] TaskKeys =
            ["title", "id", "service", "metadata", "minslots", "maxslots", "serialsubtasks", "resumeblock", "chaser", "preview", "commands", "ants"];

        // A key of "data" written beside it (a task's "commands" next to its "data") would be passed over, and the job would
        // spool without it (a task that runs nothing): refused where it is.
        private static void Misplaced(JsonElement owner, List<string> at, string[] dataKeys, string whose)
        {
            foreach (var property in owner.EnumerateObject())
            {
                if (Array.IndexOf(dataKeys, property.Name) >= 0)
                    throw new TractorFormException([.. at, property.Name],
                        $"\"{property.Name}\" is one of the {whose} attributes: it belongs inside its \"data\" object, not beside it");
            }
        }

        private static JsonElement? Value(JsonElement owner, string key) =>
            owner.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private static string? String(JsonElement owner, List<string> at, string key) => Value(owner, key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => value.GetString(),
            { } value => throw new TractorFormException([.. at, key], $"expected a string for \"{key}\", found {Kind(value)}"),
        };

        private static double? Number(JsonElement owner, List<string> at, string key) => Value(owner, key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
            { } value => throw new TractorFormException([.. at, key], $"expected a number for \"{key}\", found {Kind(value)}"),
        };

        private static int? Int(JsonElement owner, List<string> at, string key) => Value(owner, key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } value when value.TryGetInt32(out var number) => number,
            { } value => throw new TractorFormException([.. at, key], $"expected a whole number for \"{key}\", found {Kind(value)}"),
        };

        // Tractor writes its switches as 0 and 1; true and false are read too.
        private static bool Switch(JsonElement owner, List<string> at, string key) => Value(owner, key) switch
        {
            null => false,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.Number } value when value.TryGetInt32(out var number) && number is 0 or 1 => number == 1,
            { } value => throw new TractorFormException([.. at, key], $"expected 0 or 1 for \"{key}\", found {Kind(value)}"),
        };

        private static List<string> Strings(JsonElement owner, List<string> at, string key) =>
            Items(owner, at, key, "strings", "a string", item => (item.ValueKind == JsonValueKind.String, item.ValueKind == JsonValueKind.String ? item.GetString()! : ""));

        private static List<int> Ints(JsonElement owner, List<string> at, string key) =>
            Items(owner, at, key, "whole numbers", "a whole number",
                item => (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var number), item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var value) ? value : 0));

        // A list under key, each item read by read (not Ok: not the kind the list holds).
        private static List<T> Items<T>(JsonElement owner, List<string> at, string key, string kinds, string kind, Func<JsonElement, (bool Ok, T Value)> read)
        {
            if (Value(owner, key) is not { } value)
                return [];
            if (value.ValueKind != JsonValueKind.Array)
                throw new TractorFormException([.. at, key], $"expected a list of {kinds} for \"{key}\", found {Kind(value)}");
            var list = new List<T>();
            foreach (var item in value.EnumerateArray())
            {
                var (ok, read1) = read(item);
                if (!ok)
                    throw new TractorFormException([.. at, key, list.Count.ToString(CultureInfo.InvariantCulture)], $"expected {kind} in \"{key}\", found {Kind(item)}");
                list.Add(read1);
            }
            return list;
        }

        // Tractor writes tags as one string of words; a list of words is read too.
        private static List<string> Words(JsonElement owner, List<string> at, string key) => Value(owner, key) switch
        {
            null => [],
            { ValueKind: JsonValueKind.String } value => [.. value.GetString()!.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)],
            { ValueKind: JsonValueKind.Array } => Strings(owner, at, key),
            { } value => throw new TractorFormException([.. at, key], $"expected words for \"{key}\" (a string), found {Kind(value)}"),
        };

        // A chaser or preview: a command line as one string (split as words) or a list.
        private static List<string> CommandLine(JsonElement owner, List<string> at, string key) => Words(owner, at, key);
    }

    /// <summary>Places in Tractor's JSON form: each element's key path, recorded as it is read; found in the text for an error.</summary>
    private sealed class TractorPlaces(string text, string fileName, int maxDepth) : SpecPlaces
    {
        private readonly Dictionary<object, List<string>> _paths = new(ReferenceEqualityComparer.Instance);

        public void Add(object owner, List<string> path) => _paths[owner] = path;

        public override ScriptError ErrorAt(object owner, string option, string message)
        {
            var at = _paths.TryGetValue(owner, out var path) ? path : [];
            if (option.Length > 0 && Text.JsonPlaces.Find(text, [.. at, Key(option)], atKey: true, message, maxDepth) is not null)
                return ErrorAtPath([.. at, Key(option)], message);
            return ErrorAtPath(at, message);
        }

        public ScriptError ErrorAtPath(IReadOnlyList<string> path, string message)
        {
            var place = Text.JsonPlaces.Find(text, path, atKey: true, message, maxDepth)
                ?? (path.Count > 0 ? Text.JsonPlaces.Find(text, path.Take(path.Count - 1).ToList(), atKey: true, message, maxDepth) : null);
            var (line, column) = place is { } p ? (p.Line, p.Column) : (1, 1);
            return new ScriptError(fileName, line, column, $"{message} (at $" + string.Concat(path.Select(k => k.All(char.IsAsciiDigit) ? $"[{k}]" : $".{k}")) + ")");
        }

        // Tractor's key for an option where the two differ.
        private static string Key(string option) => option switch
        {
            "atleast" => "minslots",
            "atmost" => "maxslots",
            "after" => "aftertime",
            "cmds" => "commands",
            _ => option,
        };
    }
}
