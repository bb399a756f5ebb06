using System.Globalization;
using System.Text;

namespace Furrow.Core.Output;

/// <summary>
/// Finds Tractor's exit-status directive in a command's output as it streams: a line <c>TR_EXIT_STATUS n</c> (or
/// Alfred's <c>ALF_EXIT_STATUS n</c>), n a decimal integer, with only white space before it. Lines end at <c>\n</c> or
/// <c>\r</c> (renderers rewrite one line with <c>\r</c>); a line may arrive split over any number of chunks. The status
/// a command prints is the one its blade reports, whatever the process exits with.
/// </summary>
public sealed class ExitStatusDirective
{
    // A line longer than this is not a directive; only its start is kept while it lasts.
    private const int MaxLine = 256;

    private static readonly string[] Keywords = ["TR_EXIT_STATUS", "ALF_EXIT_STATUS"];

    private readonly StringBuilder _line = new();
    private bool _overlong;

    /// <summary>The last status found so far, or null.</summary>
    public int? Status { get; private set; }

    /// <summary>Takes the next chunk of output; returns true when it completed a directive line (<see cref="Status"/> is then set).</summary>
    public bool Feed(ReadOnlySpan<char> chunk)
    {
        var found = false;
        foreach (var c in chunk)
        {
            if (c is '\n' or '\r')
            {
                if (!_overlong && Parse(_line.ToString()) is { } status)
                {
                    Status = status;
                    found = true;
                }
                _line.Clear();
                _overlong = false;
            }
            else if (_line.Length < MaxLine)
            {
                _line.Append(c);
            }
            else
            {
                _overlong = true;
            }
        }
        return found;
    }

    /// <summary>Ends the output: a directive on a last line without a line end counts too. Returns true if it was one.</summary>
    public bool Finish() => Feed("\n");

    /// <summary>The status a single line gives, or null when it is not a directive (e.g. <c>TR_EXIT_STATUS 3</c> gives 3).</summary>
    public static int? Parse(string line)
    {
        var text = line.AsSpan().Trim();
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
