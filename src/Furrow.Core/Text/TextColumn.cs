namespace Furrow.Core.Text;

/// <summary>
/// The 1-based column of a place in a line, as an error message gives it: it counts characters as a reader sees them
/// (Unicode code points), so an accented letter or an emoji before the place counts once, whether the text was held as
/// UTF-16 (two units for an emoji) or read as UTF-8 bytes (two to four for anything past ASCII). A tab counts once.
/// </summary>
public static class TextColumn
{
    /// <summary>The column just after <paramref name="lineBefore"/>, the text from the line's start to the place.</summary>
    public static int Of(ReadOnlySpan<char> lineBefore)
    {
        var column = 1;
        foreach (var c in lineBefore)
            if (!char.IsLowSurrogate(c))
                column++;
        return column;
    }

    /// <summary>
    /// The column of UTF-16 index <paramref name="index"/> in one-line <paramref name="text"/> (clamped to it): what a
    /// lexer that counts UTF-16 units reports as <c>index + 1</c>, in characters.
    /// </summary>
    public static int At(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Of(text.AsSpan(0, Math.Clamp(index, 0, text.Length)));
    }

    /// <summary>The column just after <paramref name="lineBefore"/>, UTF-8 bytes from the line's start to the place.</summary>
    public static int OfUtf8(ReadOnlySpan<byte> lineBefore)
    {
        var column = 1;
        foreach (var b in lineBefore)
            if ((b & 0xC0) != 0x80)
                column++;
        return column;
    }
}
