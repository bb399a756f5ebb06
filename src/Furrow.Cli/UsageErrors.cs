using System.CommandLine;
using Furrow.Core.Query;

namespace Furrow.Cli;

/// <summary>
/// A command line the parser refused, said in one line that names the unknown word and the closest valid one
/// (`tq: unknown command 'chpr' (did you mean 'chpri'?)`), with exit code 2, instead of the parser's usage dump.
/// </summary>
internal static class UsageErrors
{
    public static int Report(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var name = Name(command);
        var token = parsed.UnmatchedTokens.FirstOrDefault();
        string message;
        if (token is not null)
        {
            var options = Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Append("--help");
            var commands = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
            var isOption = token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]);
            var suggestion = TractorQuery.Suggest(token, isOption ? options : commands.Concat(options));
            var kind = isOption ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
            message = $"unknown {kind} '{token}'" + (suggestion is null ? "" : $" (did you mean '{suggestion}'?)");
        }
        else
        {
            message = parsed.Errors[0].Message.TrimEnd('.');
        }
        Console.Error.WriteLine($"{name}: {message}; see {name} --help");
        return 2;
    }

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

    // The words after the program's name: the root (furrow's, or furrow-client's, also named furrow) is left out.
    private static string Name(Command command)
    {
        var names = new List<string>();
        for (var c = command; c.Parents.OfType<Command>().FirstOrDefault() is { } parent; c = parent)
            names.Insert(0, c.Name);
        return names.Count == 0 ? "furrow" : string.Join(' ', names);
    }
}
