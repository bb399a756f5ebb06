using System.Text;

namespace Furrow.Client;

/// <summary>
/// Replaces a small file in one rename, so a reader sees the old text or the new, never half of either. The new text goes
/// to `PATH.new`, created with its final mode, so a token, key or password hash is never readable by others, not even
/// for a moment. Used for login tokens, users.config, blade keys, TLS files and db.config.
/// </summary>
public static class AtomicFile
{
    /// <summary>0600: readable and writable by the file's owner only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0644: writable by the file's owner, readable by everyone (site files that hold no secret, such as db.config).</summary>
    public const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> through `PATH.new` created with
    /// <paramref name="mode"/> (ignored on Windows); <paramref name="sync"/> flushes it to disk before the rename.
    /// </summary>
    /// <exception cref="IOException">The file could not be written or renamed.</exception>
    public static void Write(string path, string text, UnixFileMode mode = OwnerOnly, bool sync = false)
    {
        var temporary = path + ".new";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            if (sync)
                stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
