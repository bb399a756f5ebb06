using System.CommandLine;
using System.CommandLine.Parsing;
using Furrow.Core.Query;

namespace Furrow.Cli;

/// <summary>
/// A command line the parser refused, said in one line that names the unknown word and the closest valid one
/// (`tq: unknown command 'chpr' (did you mean 'chpri'?)`), with exit code 2, instead of the parser's usage dump.
/// </summary>
internal static partial class UsageErrors
{
    public static int Report(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var name = Name(command);
        var options = OptionNames(command);
        // A mistyped option comes first, whatever else went wrong: in `tractor-spool --prority 5 job.alf` the parser takes
        // --prority for the file and 5 for a stray word, but the word to name is --prority.
        var token = StrayOption(parsed, options) ?? parsed.UnmatchedTokens.FirstOrDefault();
        string message;
        if (token is not null)
        {
            var commands = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
            var isOption = LooksLikeOption(token);
            message = isOption ? UnknownOption(command, token)
                : Unknown(command.Subcommands.Count > 0 ? "command" : "argument", token, commands.Concat(options));
        }
        else
        {
            message = Plain(parsed.Errors[0].Message.TrimEnd('.'), command, parsed);
        }
        Console.Error.WriteLine($"{name}: {message}; see {name} --help");
        return 2;
    }

    // The parser's wording names this code's types (System.Int32); said instead as what the word takes and which
    // argument is missing, by the same rule as JSON errors (JsonProblems.Words).
    private static string Plain(string message, Command command, ParseResult parsed)
    {
        if (CannotParse().Match(message) is { Success: true } bad)
            return $"{bad.Groups["name"].Value} takes {Furrow.Core.Text.JsonProblems.Words(bad.Groups["type"].Value)}, not '{bad.Groups["value"].Value}'";
        if (message.StartsWith("Required argument missing for command:", StringComparison.Ordinal))
        {
            // The first argument short of its words, not the first the command has (`tq log 2` lacks the tid, not the jid).
            var missing = command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > (parsed.GetResult(a)?.Tokens.Count ?? 0))
                ?? command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0);
            return missing is null ? $"{command.Name} needs an argument"
                : $"{command.Name} needs {missing.Description?.Replace("the ", "a ", StringComparison.Ordinal) ?? missing.Name}";
        }
        return message;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']+)'")]
    private static partial System.Text.RegularExpressions.Regex CannotParse();

    /// <summary>`-x` or `--word`, not `-` (standard input) and not a negative number (`-1d` is a time, `-5` a value).</summary>
    public static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]) && token[1] != '.';

    // The first word, in command-line order, that looks like an option but is none of the command's, whether the parser
    // left it unmatched or took it as an argument's value. Commands whose words are a search clause (tq's listings and
    // operations) are left out: there `title = -draft` is a value, and they check their own words.
    private static string? StrayOption(ParseResult parsed, List<string> options)
    {
        if (!parsed.CommandResult.Command.TreatUnmatchedTokensAsErrors)
            return null;
        var argumentValues = parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value);
        var candidates = argumentValues.Concat(parsed.UnmatchedTokens).Where(LooksLikeOption).ToHashSet();
        return parsed.Tokens.Select(t => t.Value).FirstOrDefault(t => candidates.Contains(t) && !options.Contains(t));
    }

    /// <summary>`unknown KIND 'TOKEN'`, with the closest of <paramref name="candidates"/> when one is close (did you mean).</summary>
    public static string Unknown(string kind, string token, IEnumerable<string> candidates) =>
        $"unknown {kind} '{token}'" + (TractorQuery.Suggest(token, candidates) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "");

    /// <summary>
    /// An option <paramref name="command"/> does not take: if a command above it takes it for itself alone (tq's
    /// --version, --login), says so (`--version goes with tq alone, not with tq jobs`) rather than suggesting the same
    /// word back; otherwise as <see cref="Unknown"/>, with the command's own options as candidates.
    /// </summary>
    public static string UnknownOption(Command command, string token)
    {
        var name = token.Split('=', 2)[0];
        foreach (var parent in command.Parents.OfType<Command>())
        {
            if (parent.Options.Any(o => !o.Recursive && (o.Name == name || o.Aliases.Contains(name))))
                return $"{name} goes with {Name(parent)} alone, not with {Name(command)}";
        }
        return Unknown("option", token, OptionNames(command));
    }

    /// <summary>Every name and alias of the options <paramref name="command"/> takes (its own and its parents' shared ones), and --help.</summary>
    public static List<string> OptionNames(Command command) => [.. Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Append("--help")];

    // The command's own options and those its parents share with it.
    private static IEnumerable<Option> Options(Command command)
    {
        foreach (var option in command.Options)
            yield return option;
        foreach (var parent in command.Parents.OfType<Command>())
        {
            foreach (var option in Options(parent).Where(o => o.Recursive))
                yield return option;
        }
    }

    /// <summary>
    /// The command line as the user typed it, up to the command: `furrow spool`, `furrow tq jobs`, or through the shims
    /// (<see cref="ShimName"/>) `tractor-spool`, `tq jobs`.
    /// </summary>
    public static string Name(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return string.Join(' ', names);
    }
}
