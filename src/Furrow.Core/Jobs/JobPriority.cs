using System.Globalization;

namespace Furrow.Core.Jobs;

/// <summary>
/// The range a job's priority may take, wherever it is set: a script's <c>-priority</c>, tractor-spool's
/// <c>--priority</c>, <c>tq chpri</c>, <c>tq jattr -k priority</c> and the API. Tractor's priorities are floating-point
/// numbers, higher first, and sites use a few hundred or thousand steps; the bound keeps a typo such as 1e308 from
/// putting one job beyond anything a wrangler can place above it, and keeps every priority exact enough to order.
/// </summary>
public static class JobPriority
{
    /// <summary>The lowest priority a job may have.</summary>
    public const double Min = -1_000_000;

    /// <summary>The highest priority a job may have.</summary>
    public const double Max = 1_000_000;

    /// <summary>The range in words, as messages and help give it.</summary>
    public const string RangeText = "-1000000 to 1000000";

    /// <summary>Null when <paramref name="priority"/> is a number within the range; else why not, naming the range.</summary>
    public static string? Refusal(double priority) =>
        !double.IsFinite(priority) ? $"priority {priority.ToString("R", CultureInfo.InvariantCulture)} is not a finite number: expected a number from {RangeText}"
        : priority is < Min or > Max ? $"priority {priority.ToString("R", CultureInfo.InvariantCulture)} is out of range: expected a number from {RangeText}"
        : null;

    /// <summary>
    /// Parses a priority by the one rule for decimals (<see cref="Text.ValueText.IsDecimal"/>: <c>5</c>, <c>-2.5</c>; no
    /// white space, exponent or <c>+</c>); null and a reason naming the range when it is none.
    /// </summary>
    public static double? Parse(string text, out string? error)
    {
        if (!Text.ValueText.IsDecimal(text, out var priority))
        {
            error = $"priority '{text}' is not a number: expected a number from {RangeText} such as 100 or -2.5";
            return null;
        }
        error = Refusal(priority);
        return error is null ? priority : null;
    }
}
