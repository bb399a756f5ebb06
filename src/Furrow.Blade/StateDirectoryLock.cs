namespace Furrow.Blade;

/// <summary>
/// Holds a blade's state directory for one blade process: a second blade given the same directory would take the
/// first one's running commands for ones left behind and end them. The lock is an exclusive lock on a file in the
/// directory, which the OS drops when the holder dies, so a killed blade never leaves it held.
/// </summary>
internal sealed class StateDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private StateDirectoryLock(FileStream file)
    {
        _file = file;
    }

    /// <exception cref="IOException">Another process holds the directory.</exception>
    public static StateDirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "blade.lock");
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix.
            return new StateDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException error)
        {
            throw new IOException($"another blade process uses the state directory {directory} (give this one its own with --state-dir)", error);
        }
    }

    public void Dispose() => _file.Dispose();
}
