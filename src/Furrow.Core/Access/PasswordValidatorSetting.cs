using System.Text;
using System.Text.Json;
using Furrow.Core.Config;

namespace Furrow.Core.Access;

/// <summary>
/// The site password validator a crews.config names: the program and arguments the engine runs (never through a shell)
/// and how long it may take before it is stopped.
/// </summary>
/// <param name="Argv">The program (as written, or resolved to a full path by the engine) and its arguments; at least one.</param>
/// <param name="Timeout">How long one check may run before the engine kills it and its children and refuses the login as unanswered.</param>
public sealed record PasswordValidatorCommand(IReadOnlyList<string> Argv, TimeSpan Timeout);

/// <summary>
/// Reads crews.config's `SitePasswordValidator` (Tractor's key) and Furrow's `SitePasswordValidatorTimeout` (seconds).
/// Pure: the engine resolves and checks the program on disk.
/// </summary>
/// <remarks>
/// As in Tractor, the value names a command, e.g. `"python3 ${TractorConfigDirectory}/trSiteLoginValidator.py"`, and
/// `${TractorConfigDirectory}` stands for the site config directory. Furrow's choices: no shell runs it, so the string
/// is split into words by the shell's quoting rules (whitespace separates; '…' is literal; "…" and a backslash
/// escape) and shell syntax that would need a shell (pipes, redirections, `;`, `&amp;`, globs, other `$` expansions)
/// is refused rather than passed on as text; a JSON array of strings is taken as the argument vector exactly (only
/// `${TractorConfigDirectory}` is replaced). Tractor's built-in `internal:PAM:…` validators are refused by name.
/// </remarks>
public static class PasswordValidatorSetting
{
    /// <summary>Tractor's crews.config key naming the validator command.</summary>
    public const string Key = "SitePasswordValidator";

    /// <summary>Furrow's crews.config key: seconds one check may run (see <see cref="DefaultTimeout"/>, <see cref="MaxTimeoutSeconds"/>).</summary>
    public const string TimeoutKey = "SitePasswordValidatorTimeout";

    /// <summary>The one variable the setting may use: the site config directory, as Tractor's TractorConfigDirectory.</summary>
    public const string ConfigDirectoryVariable = "${TractorConfigDirectory}";

    /// <summary>How long a check may run when crews.config does not say (10 s).</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest <see cref="TimeoutKey"/> accepted (300 s): a login waits that long at most.</summary>
    public const double MaxTimeoutSeconds = 300;

    /// <summary>
    /// The validator <paramref name="config"/> names, with `${TractorConfigDirectory}` replaced by
    /// <paramref name="configDirectory"/>; null command when it names none. Problem is null, or what is wrong, naming the key.
    /// </summary>
    public static (PasswordValidatorCommand? Command, string? Problem) Read(CrewsConfig config, string configDirectory)
    {
        if (config.SitePasswordValidator is not { } value || value.ValueKind == JsonValueKind.Null)
            return config.SitePasswordValidatorTimeout is null
                ? (null, null)
                : (null, $"{TimeoutKey} is set but {Key} is not: set both, or remove {TimeoutKey}");
        var timeout = DefaultTimeout;
        if (config.SitePasswordValidatorTimeout is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxTimeoutSeconds)
                return (null, $"{TimeoutKey} {seconds}: give the seconds a check may run, more than 0 and at most {MaxTimeoutSeconds}");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        List<string> argv;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.StartsWith("internal:", StringComparison.OrdinalIgnoreCase))
                    return (null, $"{Key} '{text}': Tractor's built-in validators (internal:PAM) are not part of Furrow; name a program " +
                        "that reads the user name and password from its standard input and exits 0 for a valid pair");
                if (Split(text, configDirectory, out var words) is { } splitProblem)
                    return (null, $"{Key} '{text}': {splitProblem}");
                argv = words;
                break;
            case JsonValueKind.Array:
                argv = [];
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                        return (null, $"{Key}: an array holds the program and its arguments as strings; {item.GetRawText()} is not one");
                    argv.Add(item.GetString()!.Replace(ConfigDirectoryVariable, configDirectory, StringComparison.Ordinal));
                }
                break;
            default:
                return (null, $"{Key}: give a command line (a string) or the program and its arguments (an array of strings), not {value.GetRawText()}");
        }
        if (argv.Count == 0 || argv[0].Length == 0)
            return (null, $"{Key}: names no program");
        if (argv.Any(a => a.Contains('\0', StringComparison.Ordinal)))
            return (null, $"{Key}: an argument holds a NUL character");
        return (new PasswordValidatorCommand(argv, timeout), null);
    }

    /// <summary>Null when the validator settings of <paramref name="config"/> can be acted on; else what is wrong, naming the key.</summary>
    public static string? Problem(CrewsConfig config) => Read(config, "/").Problem;

    // Shell-style words without a shell. Characters that would mean something to a shell are refused unquoted, so that
    // a command written for one does not silently run with its pipe or redirection passed as an argument.
    private static string? Split(string text, string configDirectory, out List<string> words)
    {
        words = [];
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            if (!inWord && c == '~')
                return "'~' is not expanded (no shell runs the command): write the directory out";
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                        return "a ' is not closed";
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    for (; ; i++)
                    {
                        if (i >= text.Length)
                            return "a \" is not closed";
                        if (text[i] == '"')
                            break;
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            word.Append(text[++i]);
                        }
                        else if (text[i] == '$')
                        {
                            if (Variable(text, i, configDirectory, word, ref i) is { } quotedProblem)
                                return quotedProblem;
                        }
                        else if (text[i] == '`')
                        {
                            return "'`' would need a shell, and the engine runs the command without one: put that in a script the setting names";
                        }
                        else
                        {
                            word.Append(text[i]);
                        }
                    }
                    break;
                case '\\':
                    if (i + 1 >= text.Length)
                        return "it ends with a lone backslash";
                    word.Append(text[++i]);
                    break;
                case '$':
                    if (Variable(text, i, configDirectory, word, ref i) is { } problem)
                        return problem;
                    break;
                case '|' or '&' or ';' or '<' or '>' or '(' or ')' or '`' or '*' or '?' or '[' or '#':
                    return $"'{c}' would need a shell, and the engine runs the command without one: put that in a script the setting names, or quote the character";
                default:
                    word.Append(c);
                    break;
            }
        }
        if (inWord)
            words.Add(word.ToString());
        return null;
    }

    // Appends the config directory for ${TractorConfigDirectory} at text[at] and moves past it; any other $ is refused.
    private static string? Variable(string text, int at, string configDirectory, StringBuilder word, ref int i)
    {
        if (string.CompareOrdinal(text, at, ConfigDirectoryVariable, 0, ConfigDirectoryVariable.Length) != 0)
            return $"'$' other than {ConfigDirectoryVariable} is not expanded (no shell runs the command): write the value out, or escape it as \\$";
        word.Append(configDirectory);
        i = at + ConfigDirectoryVariable.Length - 1;
        return null;
    }
}
