using System.CommandLine;
using System.CommandLine.Parsing;
using Furrow.Core.Text;

namespace Furrow.Cli.Commands;

/// <summary>
/// Number options and arguments read by the engine's own rule (<see cref="ValueText"/>), not .NET's: the parser's
/// default takes <c>' 7'</c>, <c>+1</c> and (for a decimal) <c>1e2</c>, which the engine refuses when the same value
/// arrives as a parameter. A word that is none is a usage error naming the option and what it takes.
/// </summary>
internal static class NumberOptions
{
    /// <summary>Reads <paramref name="option"/>'s word as a whole number from 0 (<see cref="ValueText.IsWhole"/>).</summary>
    public static Option<int> Whole(Option<int> option)
    {
        option.CustomParser = r => Read<int>(r, option.Name, "a whole number from 0 up", ValueText.IsWhole);
        return option;
    }

    /// <summary>As <see cref="Whole(Option{int})"/> for an option that may be left out.</summary>
    public static Option<int?> Whole(Option<int?> option)
    {
        option.CustomParser = r => ReadOptional<int>(r, option.Name, "a whole number from 0 up", ValueText.IsWhole);
        return option;
    }

    /// <summary>Reads <paramref name="option"/>'s word as a decimal number (<see cref="ValueText.IsDecimal"/>: 5, -2.5).</summary>
    public static Option<double?> Decimal(Option<double?> option)
    {
        option.CustomParser = r => ReadOptional<double>(r, option.Name, "a number such as 100 or -2.5", ValueText.IsDecimal);
        return option;
    }

    /// <summary>Reads <paramref name="argument"/>'s word as a job id (<see cref="ValueText.IsId"/>).</summary>
    public static Argument<long> Id(Argument<long> argument)
    {
        argument.CustomParser = r => Read<long>(r, argument.Name, "an id (a whole number from 1 up)", ValueText.IsId);
        return argument;
    }

    /// <summary>As <see cref="Id(Argument{long})"/> for an argument that may be left out.</summary>
    public static Argument<long?> Id(Argument<long?> argument)
    {
        argument.CustomParser = r => ReadOptional<long>(r, argument.Name, "an id (a whole number from 1 up)", ValueText.IsId);
        return argument;
    }

    /// <summary>Reads <paramref name="argument"/>'s word as a task id: an id (<see cref="ValueText.IsId"/>) no larger than an int.</summary>
    public static Argument<int> TaskId(Argument<int> argument)
    {
        argument.CustomParser = r => Read<int>(r, argument.Name, "a task id (a whole number from 1 up)", IsTaskId);
        return argument;
    }

    /// <summary>As <see cref="TaskId(Argument{int})"/> for an argument that may be left out.</summary>
    public static Argument<int?> TaskId(Argument<int?> argument)
    {
        argument.CustomParser = r => ReadOptional<int>(r, argument.Name, "a task id (a whole number from 1 up)", IsTaskId);
        return argument;
    }

    /// <summary>A task id: <see cref="ValueText.IsId"/> within an int.</summary>
    public static bool IsTaskId(string? text, out int tid)
    {
        tid = ValueText.IsId(text, out var id) && id <= int.MaxValue ? (int)id : 0;
        return tid > 0;
    }

    private delegate bool Reader<T>(string? text, out T value);

    private static T Read<T>(ArgumentResult result, string name, string kind, Reader<T> read) where T : struct =>
        ReadOptional(result, name, kind, read) ?? default;

    private static T? ReadOptional<T>(ArgumentResult result, string name, string kind, Reader<T> read) where T : struct
    {
        if (result.Tokens.Count == 0)
            return null;
        var word = result.Tokens[^1].Value;
        if (read(word, out var value))
            return value;
        result.AddError($"{name} takes {kind}, not '{TerminalText.Escape(word)}'");
        return null;
    }
}
