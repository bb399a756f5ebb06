using System.CommandLine;

namespace Furrow.Cli;

/// <summary>
/// The command line's words as the parser should read them, with the rules it does not keep by itself, for every
/// command: `--opt=` is `--opt` with an empty value (the parser would take the next word as the value); a flag's
/// attached value (`--paused=1`) is a switch (1, 0, true, false, yes, no, on, off, any case), else a usage error naming the flag and the words it takes
/// (the parser would take `--paused=yes`'s `yes` for a file); and an option that takes at most one value, flags
/// included, is given once, else a usage error naming it (the parser kept the last, or called it too many arguments, or
/// took the repeated value for a file); and a value is not empty or blank (`--configdir=`, `--engine ""`), else a usage
/// error naming the option as typed: an empty path, host or name is never taken for the default or crashes later, except
/// where <see cref="MayBeEmpty"/> says emptiness is a value. Words after `--`, and after an option registered by
/// <see cref="EndsOptions"/> (tractor-spool's -c: the rest is the command's), are left as they are; but one of the
/// command's own options after such an option, unless `--` follows it, is a usage error naming it, and so is a mistyped
/// option before it.
/// </summary>
internal static class OptionWords
{
    private static readonly HashSet<Option> Enders = [];
    private static readonly HashSet<Option> EmptyTakers = [];

    /// <summary>Marks <paramref name="option"/> as the last of its command's: every word after it is an argument.</summary>
    public static void EndsOptions(Option option)
    {
        Enders.Add(option);
    }

    /// <summary>
    /// Marks <paramref name="option"/> as one whose empty value means something (tq jattr's `--value ""` clears an
    /// attribute) or that says why it is refused in its own words (--user).
    /// </summary>
    public static void MayBeEmpty(Option option)
    {
        EmptyTakers.Add(option);
    }

    /// <summary>
    /// <paramref name="args"/> with each `--opt=VALUE` of a known option split into `--opt` and VALUE (VALUE may be
    /// empty, a flag's 1 or 0 read as true or false), or the usage error as `command: message`.
    /// </summary>
    public static (string[] Args, string? Error) Prepare(Command root, string[] args)
    {
        var command = root;
        var words = new List<string>(args.Length);
        var seen = new Dictionary<Option, string>();
        var takesValue = false;
        Option? valueOf = null;
        var strays = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (takesValue && string.IsNullOrWhiteSpace(arg) && valueOf is not null && !EmptyTakers.Contains(valueOf))
                return (args, Said(command, EmptyValue(words[^1])));
            if (arg == "--")
            {
                words.AddRange(args[i..]);
                break;
            }
            // A subcommand's name, unless it is the value of the option before it (`--engine jobs`).
            if (!takesValue && command.Subcommands.FirstOrDefault(c => c.Name == arg || c.Aliases.Contains(arg)) is { } sub)
            {
                command = sub;
                words.Add(arg);
                continue;
            }
            var equals = arg.StartsWith('-') ? arg.IndexOf('=', StringComparison.Ordinal) : -1;
            var name = equals > 0 ? arg[..equals] : arg;
            if (!arg.StartsWith('-') || Find(command, name) is not { } option)
            {
                // Not a value of the option before it: a mistyped option, which the parser would name, unless an option
                // that ends the options follows and takes it for one of the command's words (`--bogus -c echo`).
                if (!takesValue && UsageErrors.LooksLikeOption(arg))
                    strays.Add(arg);
                words.Add(arg);
                takesValue = false;
                continue;
            }
            // The parser would take the option as the value (`--range -c echo`): the value is missing.
            if (takesValue)
                return (args, Said(command, $"{words[^1]} is given no value: {arg} after it is an option (a value starting with '-' is written {words[^1]}=VALUE)"));
            if (option.Arity.MaximumNumberOfValues <= 1)
            {
                if (seen.TryGetValue(option, out var first))
                    return (args, Said(command, $"{name} is given twice{(first == name ? "" : $" (as {first} and {name})")}: give it once"));
                seen[option] = name;
            }
            if (equals < 0)
            {
                words.Add(arg);
                takesValue = option.Arity.MinimumNumberOfValues > 0;
                valueOf = option;
            }
            else if (option.ValueType == typeof(bool))
            {
                var value = arg[(equals + 1)..];
                // A switch by the engine's one rule (paused=YES is taken there), so --paused=yes is too.
                if (Furrow.Core.Text.ValueText.Switch(value) is not { } on)
                    return (args, Said(command, $"{name} takes no value, or one of {Furrow.Core.Text.ValueText.SwitchWords}; not '{value}'"));
                words.AddRange(name, on ? "true" : "false");
            }
            else
            {
                if (string.IsNullOrWhiteSpace(arg[(equals + 1)..]) && !EmptyTakers.Contains(option))
                    return (args, Said(command, EmptyValue(name)));
                words.AddRange(name, arg[(equals + 1)..]);
            }
            if (Enders.Contains(option))
            {
                if (strays.Count > 0)
                    return (args, Said(command, UsageErrors.UnknownOption(command, strays[0])));
                // The rest is the command's, but a word there that is one of ours (`-c echo --title=`) was most likely
                // meant as ours: refused by name here, before the parser reads it as an option missing its value.
                var rest = args[(i + 1)..];
                if (rest.FirstOrDefault() != "--"
                    && rest.FirstOrDefault(w => w.StartsWith('-') && Find(command, w.Split('=', 2)[0]) is not null) is { } misplaced)
                {
                    var mine = misplaced.Split('=', 2)[0];
                    return (args, Said(command, $"{mine} after {name}: {name} ends the options, so {UsageErrors.Name(command)}'s go before it; " +
                        $"to pass {mine} to the command, put -- after {name}"));
                }
                words.AddRange(rest);
                break;
            }
        }
        return ([.. words], null);
    }

    private static string EmptyValue(string typed) => $"{typed} is given an empty value: give one, or leave the option out";

    private static Option? Find(Command command, string name)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            if (c.Options.FirstOrDefault(o => (c == command || o.Recursive) && (o.Name == name || o.Aliases.Contains(name))) is { } option)
                return option;
        }
        return null;
    }

    private static string Said(Command command, string message)
    {
        var name = UsageErrors.Name(command);
        return $"{name}: {message}; see {name} --help";
    }
}
