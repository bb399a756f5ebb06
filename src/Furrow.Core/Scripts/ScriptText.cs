using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace Furrow.Core.Scripts;

/// <summary>Turns the bytes of a job script into text (<see cref="Decode"/>), refusing oversized input and NUL bytes with their position.</summary>
public static class ScriptText
{
    /// <summary>
    /// The text of a job script's bytes, the one rule every way a script arrives uses (the engine's spool, Tractor's
    /// `/spool`, tractor-spool reading a file or standard input). A byte-order mark decides and is dropped (UTF-8,
    /// UTF-16 LE or BE); without one, valid UTF-8 is UTF-8, and anything else is Latin-1 (ISO-8859-1), byte for byte, as
    /// older pipelines wrote titles and paths and as Tractor's byte-oriented reader takes them. Never fails and never
    /// makes U+FFFD: every byte stands for a character.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
            return System.Text.Encoding.Unicode.GetString(WithoutByteLineEnd(bytes[2..]));
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return System.Text.Encoding.BigEndianUnicode.GetString(WithoutByteLineEnd(bytes[2..]));
        // Editors on Windows write a byte-order mark; it is not part of the script.
        var utf8 = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes[3..] : bytes;
        return Utf8.IsValid(utf8) ? System.Text.Encoding.UTF8.GetString(utf8) : System.Text.Encoding.Latin1.GetString(bytes);
    }

    // UTF-16 text without what Tractor's transport does to every body as bytes, whatever its encoding (TRACTOR-PROTOCOL
    // §1): it strips white space bytes from both ends, then appends CR LF. Read as UTF-16, the CR LF would be one character
    // (U+0A0D, U+0D0A) after the script's last word, and the strip can take one byte of a last white space character
    // (big-endian 00 0A loses its 0A), leaving an odd byte over: both go. A line end written whole in UTF-16 (0D 00 0A 00)
    // is text and stays.
    private static ReadOnlySpan<byte> WithoutByteLineEnd(ReadOnlySpan<byte> utf16)
    {
        if (utf16.EndsWith((ReadOnlySpan<byte>)[0x0D, 0x0A]))
            utf16 = utf16[..^2];
        return utf16.Length % 2 == 1 ? utf16[..^1] : utf16;
    }

    /// <summary>
    /// Bytes without a byte-order mark as text by <see cref="Decode"/>'s rule: valid UTF-8 as UTF-8, anything else as
    /// Latin-1, byte for byte (what Tractor's URLs' parameter values are read by).
    /// </summary>
    public static string Utf8OrLatin1(ReadOnlySpan<byte> bytes) =>
        Utf8.IsValid(bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : System.Text.Encoding.Latin1.GetString(bytes);

    /// <summary>A script's text from its bytes (<see cref="Decode"/>), or why not: too large, or a NUL, with its position.</summary>
    public static bool TryDecode(
        ReadOnlySpan<byte> utf8,
        string fileName,
        ScriptLimits limits,
        [NotNullWhen(true)] out string? text,
        [NotNullWhen(false)] out ScriptError? error)
    {
        text = null;
        if (utf8.Length > limits.MaxBytes)
        {
            error = new ScriptError(fileName, 1, 1, TooLargeMessage(utf8.Length, limits));
            return false;
        }

        text = Decode(utf8);
        error = CheckText(text, fileName, limits);
        if (error is not null)
        {
            text = null;
            return false;
        }

        return true;
    }

    /// <summary>The checks that apply to a script already in memory as text: size and NUL characters.</summary>
    public static ScriptError? CheckText(string text, string fileName, ScriptLimits limits)
    {
        // Every char is at least one UTF-8 byte, so the cheap length test settles huge input without a full count.
        if (text.Length > limits.MaxBytes)
        {
            return new ScriptError(fileName, 1, 1, TooLargeMessage(text.Length, limits));
        }

        var nul = text.IndexOf('\0');
        if (nul >= 0)
        {
            var (line, column) = TextPosition.Locate(text, nul);
            return new ScriptError(fileName, line, column, "NUL character (byte 0x00) in job script; job scripts are text and may not contain NUL");
        }

        if (text.Length * 3L > limits.MaxBytes)
        {
            long bytes = System.Text.Encoding.UTF8.GetByteCount(text);
            if (bytes > limits.MaxBytes)
            {
                return new ScriptError(fileName, 1, 1, TooLargeMessage(bytes, limits));
            }
        }

        return null;
    }

    private static string TooLargeMessage(long size, ScriptLimits limits) =>
        $"job script is too large: at least {size} bytes, and the limit is {limits.MaxBytes} bytes";
}
