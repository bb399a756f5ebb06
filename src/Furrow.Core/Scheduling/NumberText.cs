using System.Globalization;

namespace Furrow.Core.Scheduling;

/// <summary>Numbers in scheduling messages and normalised expressions: invariant culture, at most two decimals in prose.</summary>
internal static class NumberText
{
    /// <summary>For prose: <c>2.1</c>, <c>4</c>, <c>0.33</c>.</summary>
    public static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>For normalised expression text: exact, so the text parses back to the same value.</summary>
    public static string Exact(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
