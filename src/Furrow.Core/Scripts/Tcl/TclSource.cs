namespace Furrow.Core.Scripts.Tcl;

/// <summary>Script text being read, with the file name and position mapping used to report errors in the operator's terms.</summary>
internal sealed class TclSource
{
    private readonly TclSource? _origin;
    private readonly int _originOffset;

    public TclSource(string text, string fileName)
    {
        Text = text;
        FileName = fileName;
    }

    // Text made by substitution (a script given as a "quoted" word) has no place in the file of its own,
    // so every error in it is reported at the word it came from.
    private TclSource(string text, TclSource origin, int originOffset)
    {
        Text = text;
        FileName = origin.FileName;
        _origin = origin;
        _originOffset = originOffset;
    }

    public string Text { get; }

    public string FileName { get; }

    public TclSource Derive(string text, int originOffset) => new(text, this, originOffset);

    public ScriptError ErrorAt(int offset, string message)
    {
        if (_origin is not null)
        {
            return _origin.ErrorAt(_originOffset, message);
        }

        var (line, column) = TextPosition.Locate(Text, offset);
        return new ScriptError(FileName, line, column, message);
    }

    public ScriptSyntaxException Fail(int offset, string message) => new(ErrorAt(offset, message));

    public string Where(int offset)
    {
        var error = ErrorAt(offset, "");
        return $"line {error.Line} column {error.Column}";
    }
}
