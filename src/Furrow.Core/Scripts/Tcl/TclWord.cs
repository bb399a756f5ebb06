namespace Furrow.Core.Scripts.Tcl;

/// <summary>How a Tcl word was written, which decides what substitution it gets.</summary>
internal enum TclWordKind
{
    Bare,
    Braced,
    Quoted,
}

/// <summary>One word of a Tcl command as it appears in the source: its kind and its extent, braces or quotes included.</summary>
internal readonly record struct TclWord(TclSource Source, TclWordKind Kind, int Start, int End)
{
    public string RawText => Source.Text[Start..End];

    /// <summary>Options are bare words starting with '-'; a braced or quoted word is always a value, so `{-r}` can be an argv word.</summary>
    public bool IsOptionName => Kind == TclWordKind.Bare && End - Start > 1 && Source.Text[Start] == '-';

    public string Describe()
    {
        var raw = Source.Text.AsSpan(Start, Math.Min(End - Start, 40));
        var newline = raw.IndexOf('\n');
        var shown = newline >= 0 ? raw[..newline].ToString() + "…" : raw.Length < End - Start ? raw.ToString() + "…" : raw.ToString();
        return Kind switch
        {
            TclWordKind.Braced => $"braced word `{shown}`",
            TclWordKind.Quoted => $"quoted word `{shown}`",
            _ => $"word `{shown}`",
        };
    }
}
