using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Reads command lists (<c>-cmds</c>, <c>-cleanup</c>, <c>-postscript</c>): RemoteCmd, Cmd, Command and the bare File built-in.</summary>
internal sealed class AlfredCommandReader
{
    private static readonly string[] Keywords = ["RemoteCmd", "Cmd", "Command", "File"];

    private static readonly string[] Options =
    [
        "-msg", "-tags", "-service", "-metrics", "-id", "-refersto", "-expand", "-atleast", "-atmost", "-minrunsecs",
        "-maxrunsecs", "-samehost", "-envkey", "-retryrc", "-when", "-resumewhile", "-resumepin", "-metadata",
    ];

    private static readonly string[] WhenValues = ["done", "error", "always"];

    private readonly AlfredValues _values;

    public AlfredCommandReader(AlfredValues values)
    {
        _values = values;
    }

    /// <param name="script">The word holding the commands.</param>
    /// <param name="depth">Brace depth of that word.</param>
    /// <param name="list">The option being read, for messages (`-cmds`).</param>
    public List<CommandSpec> ReadList(TclWord script, int depth, string list)
    {
        var lexer = _values.Script(script, depth);
        var words = new List<TclWord>();
        var commands = new List<CommandSpec>();
        while (lexer.NextCommand(words))
        {
            if (words.Count > 0)
            {
                commands.Add(Read(words, depth + 1, list));
            }
        }

        return commands;
    }

    private CommandSpec Read(List<TclWord> words, int depth, string list)
    {
        var keyword = _values.Text(words[0], depth);

        // `Command` is what Tractor 2's newer author API writes for Command(local=True); older scripts write `Cmd`.
        var command = keyword switch
        {
            "RemoteCmd" => new CommandSpec { Kind = CommandKind.Remote, Keyword = keyword },
            "Cmd" or "Command" => new CommandSpec { Kind = CommandKind.Local, Keyword = keyword },
            "File" => new CommandSpec { Kind = CommandKind.Builtin, Keyword = keyword },
            _ => throw words[0].Source.Fail(
                words[0].Start, $"unknown command `{keyword}` in {list}; expected one of: {string.Join(", ", Keywords)}"),
        };

        _values.Places.Add(command, "", words[0]);
        if (command.Kind == CommandKind.Builtin)
        {
            // `File delete "path"` is a Tcl command line of its own, so every word is an argument.
            command.Argv = words.Select(w => _values.Text(w, depth)).ToList();
            return command;
        }

        var argvWords = 0;
        TclWord? msgWord = null;
        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.IsOptionName)
            {
                // Two commands written on one line read as one command line with the second's keyword in it (Tcl ends a
                // command at a newline or `;`), and the second would silently never run.
                if (argvWords > 0 && word.Kind == TclWordKind.Bare && Keywords.Contains(word.RawText))
                {
                    throw word.Source.Fail(word.Start,
                        $"expected an option of {keyword}, found {word.Describe()}: each command in {list} goes on its own line or after a `;`");
                }

                // Several value words are pieces of one command line: RemoteCmd {exe} {"-f"} {file}.
                if (argvWords == 0)
                    _values.Places.Add(command, "argv", word);
                command.Argv.AddRange(_values.Argv(word, depth));
                argvWords++;
                continue;
            }

            var value = AlfredValues.TakeOptionValue(words, ref i, keyword);
            if (word.RawText == "-msg")
                msgWord = value;
            ReadOption(command, word, value, depth);
        }

        if (argvWords == 0)
        {
            throw words[0].Source.Fail(words[0].Start, $"{keyword} needs a command line to run, such as {keyword} {{{{prman}} {{frame.rib}}}}");
        }

        if (command.Argv.Count == 0)
        {
            throw words[0].Source.Fail(words[0].Start, $"{keyword} has an empty command line");
        }

        if (command.Argv is ["Alfred"] && command.Msg is { } message && msgWord is { } at)
            MessageToAlfred(command, message, at);
        return command;
    }

    // `RemoteCmd {Alfred} -msg {TCL}` has Tractor run the Tcl in -msg itself. Scripts use it to delete files
    // (`-msg {File delete "path"}`), which is the bare `File delete` builtin: that is what it becomes. Any other Tcl there
    // is refused, rather than spooled as a command that does nothing and reports success.
    private static void MessageToAlfred(CommandSpec command, string message, TclWord at)
    {
        if (TclList.TrySplit(message, TclBackslash.Mode.Tcl, out var words, out _) && words.Count >= 3
            && words[0] == "File" && words[1].Equals("delete", StringComparison.OrdinalIgnoreCase))
        {
            // The keyword stays the script's (RemoteCmd, Cmd), which is how the writer tells this form from a bare File line.
            command.Kind = CommandKind.Builtin;
            command.Argv = words;
            command.Msg = null;
            return;
        }
        var shown = message.Length <= 80 ? message : message[..80] + "...";
        throw at.Source.Fail(at.Start,
            $"{command.Keyword} {{Alfred}} -msg {{...}} has Tractor's engine run the Tcl in -msg; Furrow runs only `File delete PATH...` there, not {{{shown}}}");
    }

    private void ReadOption(CommandSpec command, TclWord name, TclWord value, int depth)
    {
        switch (name.RawText)
        {
            case "-msg":
                command.Msg = _values.OptionalText(value, depth);
                break;
            case "-tags":
                command.Tags = _values.List(value, depth);
                break;
            case "-service":
                // Only what a compile-stage check can refuse is placed: a script may have a million commands.
                _values.Places.Add(command, "service", name);
                command.Service = _values.Key(value, depth);
                break;
            case "-id":
                command.Id = _values.Key(value, depth);
                break;
            case "-refersto":
                command.RefersTo = _values.Key(value, depth);
                _values.Places.Add(command, "refersto", name);
                break;
            case "-expand":
                command.Expand = _values.Bool(value, depth);
                break;
            case "-atleast":
                _values.Places.Add(command, "atleast", name);
                command.AtLeast = _values.Int(value, depth);
                break;
            case "-atmost":
                _values.Places.Add(command, "atmost", name);
                command.AtMost = _values.Int(value, depth);
                break;
            case "-samehost":
                _values.Places.Add(command, "samehost", name);
                command.SameHost = _values.Bool(value, depth);
                break;
            case "-envkey":
                command.EnvKey = _values.List(value, depth);
                break;
            case "-retryrc":
                command.RetryRc = _values.IntList(value, depth);
                break;
            case "-when":
                _values.Places.Add(command, "when", name);
                var when = _values.Text(value, depth).Trim();
                command.When = WhenValues.Contains(when)
                    ? when
                    : throw value.Source.Fail(value.Start, $"expected -when done, error or always, found \"{when}\"");
                break;
            case "-metadata":
                command.Metadata = _values.OptionalText(value, depth);
                break;
            case "-metrics" or "-minrunsecs" or "-maxrunsecs" or "-resumewhile" or "-resumepin":
                var kept = new KeptOption(name.RawText[1..], _values.Text(value, depth));
                _values.Places.Add(command, kept.Name, name);
                command.Kept.Add(kept);
                break;
            default:
                throw AlfredValues.UnknownOption(name, command.Keyword, Options);
        }
    }
}
