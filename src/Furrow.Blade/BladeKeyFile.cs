namespace Furrow.Blade;

/// <summary>
/// The key the engine issued this blade at its enrolment, kept in the blade's state directory (mode 0600): with it a
/// restarted blade registers again under its name and keeps its running commands. Without it the name can only be used
/// again once an operator releases it.
/// </summary>
internal sealed class BladeKeyFile(string stateDirectory)
{
    public const string FileName = "blade.key";

    public string FilePath { get; } = Path.Combine(stateDirectory, FileName);

    /// <summary>The key, or null when the blade has none yet.</summary>
    public string? Read() => File.Exists(FilePath) && File.ReadAllText(FilePath).Trim() is { Length: > 0 } key ? key : null;

    /// <summary>Keeps <paramref name="key"/>: written to a new file made owner-only from the start, synced, then renamed over the old one.</summary>
    public void Write(string key)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        Furrow.Client.AtomicFile.Write(FilePath, key + "\n", sync: true);
    }

    /// <summary>Forgets the key (the engine no longer knows it: an operator released the name).</summary>
    public void Delete() => File.Delete(FilePath);
}
