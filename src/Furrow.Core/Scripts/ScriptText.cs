using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace Furrow.Core.Scripts;

/// <summary>Turns the bytes of a job script into text, refusing oversized input, invalid UTF-8 and NUL bytes with their position.</summary>
public static class ScriptText
{
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

        // Editors on Windows write a byte-order mark; it is not part of the script.
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
        }

        var chars = new char[utf8.Length];
        var status = Utf8.ToUtf16(utf8, chars, out var bytesRead, out var charsWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            var (line, column) = Locate(utf8, bytesRead);
            error = new ScriptError(
                fileName, line, column, $"invalid UTF-8: byte 0x{utf8[bytesRead]:X2} at byte offset {bytesRead} does not start a valid UTF-8 sequence; job scripts must be UTF-8 text");
            return false;
        }

        text = new string(chars, 0, charsWritten);
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

    private static (int Line, int Column) Locate(ReadOnlySpan<byte> utf8, int offset)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset; i++)
        {
            var b = utf8[i];
            if (b == (byte)'\n')
            {
                line++;
                column = 1;
            }
            else if ((b & 0xC0) != 0x80)
            {
                // Columns count characters, so continuation bytes add nothing.
                column++;
            }
        }

        return (line, column);
    }
}
