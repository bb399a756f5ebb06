using System.Text;

namespace Furrow.Core.Output;

/// <summary>
/// Finds Tractor's output directives in one output stream of a command as its bytes arrive: the exit status
/// (<see cref="ExitStatusDirective"/>, the last one wins) and progress (<see cref="ProgressDirective"/>, the latest wins).
/// A directive is a line of its own; lines end at <c>\n</c> or <c>\r</c> (renderers rewrite one line with <c>\r</c>),
/// and a line may arrive split over any number of chunks. Bytes, not text: the directives are ASCII, so a command's
/// other output may be in any encoding (or none) without hiding them. One instance per stream, fed by one thread.
/// </summary>
public sealed class OutputDirectives
{
    // A line longer than this is not a directive; only its start is kept while it lasts.
    private const int MaxLine = 256;

    private readonly byte[] _line = new byte[MaxLine];
    private int _length;
    private bool _overlong;

    /// <summary>The last exit status found so far, or null.</summary>
    public int? ExitStatus { get; private set; }

    /// <summary>The latest progress found so far (0 to 100), or null.</summary>
    public int? Progress { get; private set; }

    /// <summary>Takes the next chunk of output; says which directives it completed (their values are then set).</summary>
    public DirectivesFound Feed(ReadOnlySpan<byte> chunk)
    {
        var found = DirectivesFound.None;
        foreach (var b in chunk)
        {
            if (b is (byte)'\n' or (byte)'\r')
            {
                if (!_overlong)
                    found |= EndLine();
                _length = 0;
                _overlong = false;
            }
            else if (_length < MaxLine)
            {
                _line[_length++] = b;
            }
            else
            {
                _overlong = true;
            }
        }
        return found;
    }

    /// <summary>Ends the output: a directive on a last line without a line end counts too.</summary>
    public DirectivesFound Finish() => Feed("\n"u8);

    /// <summary>
    /// The text with every directive line blanked (each of its characters a space), as Tractor's blade removes them from
    /// an <c>-expand</c> command's output before it is read as a script; positions in the text stay where they were.
    /// </summary>
    public static string WithoutDirectiveLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? blanked = null;
        var start = 0;
        while (start < text.Length)
        {
            var end = text.AsSpan(start).IndexOfAny('\n', '\r');
            end = end < 0 ? text.Length : start + end;
            var line = text.AsSpan(start, end - start);
            if (ExitStatusDirective.Parse(line) is not null || ProgressDirective.Parse(line) is not null)
            {
                blanked ??= new StringBuilder(text);
                for (var i = start; i < end; i++)
                    blanked[i] = ' ';
            }
            start = end + 1;
        }
        return blanked?.ToString() ?? text;
    }

    private DirectivesFound EndLine()
    {
        var bytes = _line.AsSpan(0, _length).TrimStart(" \t\f\v"u8);
        // Most lines are not directives: only one that starts like one (T, A, R or prman's [) is looked at as text.
        if (bytes.IsEmpty || bytes[0] is not ((byte)'T' or (byte)'A' or (byte)'R' or (byte)'['))
            return DirectivesFound.None;
        // Latin-1 maps each byte to one character, so a byte that is not ASCII never matches a keyword or a digit.
        var text = Encoding.Latin1.GetString(bytes);
        if (ExitStatusDirective.Parse(text) is { } status)
        {
            ExitStatus = status;
            return DirectivesFound.ExitStatus;
        }
        if (ProgressDirective.Parse(text) is { } progress)
        {
            Progress = progress;
            return DirectivesFound.Progress;
        }
        return DirectivesFound.None;
    }
}

/// <summary>Which directives a chunk of output completed.</summary>
[Flags]
public enum DirectivesFound
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>An exit status (<see cref="OutputDirectives.ExitStatus"/>).</summary>
    ExitStatus = 1,

    /// <summary>A progress value (<see cref="OutputDirectives.Progress"/>).</summary>
    Progress = 2,
}
