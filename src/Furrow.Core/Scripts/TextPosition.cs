namespace Furrow.Core.Scripts;

/// <summary>Maps a character offset in script text to a 1-based line and column (<see cref="Text.TextColumn"/>).</summary>
internal static class TextPosition
{
    // Computed only when an error is reported, so parsing never pays for a line table.
    public static (int Line, int Column) Locate(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        var span = text.AsSpan(0, offset);
        int next;
        while ((next = span[lineStart..].IndexOf('\n')) >= 0)
        {
            lineStart += next + 1;
            line++;
        }

        return (line, Text.TextColumn.Of(text.AsSpan(lineStart, offset - lineStart)));
    }
}
