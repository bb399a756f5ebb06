using System.Globalization;

namespace Furrow.Core.Output;

/// <summary>
/// Tractor's exit-status directive: a line <c>TR_EXIT_STATUS n</c> (or Alfred's <c>ALF_EXIT_STATUS n</c>), n a decimal
/// integer, with only white space before it; <see cref="OutputDirectives"/> finds such lines in streamed output. The
/// status a command prints is the one its blade reports, whatever the process exits with.
/// </summary>
public static class ExitStatusDirective
{
    private static readonly string[] Keywords = ["TR_EXIT_STATUS", "ALF_EXIT_STATUS"];

    /// <summary>The status a single line gives, or null when it is not a directive (e.g. <c>TR_EXIT_STATUS 3</c> gives 3).</summary>
    public static int? Parse(ReadOnlySpan<char> line)
    {
        var text = line.Trim();
        foreach (var keyword in Keywords)
        {
            if (!text.StartsWith(keyword, StringComparison.Ordinal))
                continue;
            var rest = text[keyword.Length..];
            if (rest.Length == 0 || !char.IsWhiteSpace(rest[0]))
                return null;
            return int.TryParse(rest.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var status) ? status : null;
        }
        return null;
    }
}
