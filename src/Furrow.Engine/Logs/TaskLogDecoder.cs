using System.Text;

namespace Furrow.Engine.Logs;

/// <summary>
/// A task log decoded for display. The log holds the bytes its commands printed, in whatever encoding they used; to
/// show it as text an encoding has to be assumed, UTF-8 unless the caller names another (any name .NET knows,
/// including Windows code pages such as <c>windows-1251</c>). Bytes that are not valid in it become U+FFFD.
/// </summary>
internal static class TaskLogDecoder
{
    /// <summary>The encoding a name stands for, or null when there is none by that name.</summary>
    public static Encoding? EncodingNamed(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        try
        {
            // Code pages come from their provider directly, not by registering it: no process-wide state changes.
            return CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The text, and whether it is lossless: true when it encodes back to exactly <paramref name="bytes"/>, so no byte
    /// was replaced.
    /// </summary>
    public static (string Text, bool Lossless) Decode(byte[] bytes, Encoding encoding)
    {
        var text = encoding.GetString(bytes);
        return (text, encoding.GetBytes(text).AsSpan().SequenceEqual(bytes));
    }
}
