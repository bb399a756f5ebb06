namespace Furrow.Blade;

/// <summary>
/// Finds the program a command's first word names, as execvp(3) and a shell do: a word with a slash is a path (relative
/// to the directory commands run in), any other is looked up in each directory of PATH in turn (an empty entry is the
/// current directory), the first executable regular file winning. The PATH is the command's own when its environment
/// sets one, else the blade's.
/// </summary>
internal static class ProgramPath
{
    /// <returns>An absolute path; one found but not executable is returned too, so starting it says why (126).</returns>
    /// <exception cref="CommandNotStartedException">No such program in PATH (127).</exception>
    public static string Resolve(string word, string? path, string? workingDirectory)
    {
        if (word.Length == 0)
            throw new CommandNotStartedException(127, "the command's program name is empty");
        var here = Path.GetFullPath(workingDirectory ?? Environment.CurrentDirectory);
        if (word.Contains('/', StringComparison.Ordinal))
            return Path.GetFullPath(word, here);
        string? notExecutable = null;
        foreach (var directory in (path ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.GetFullPath(Path.Combine(directory.Length == 0 ? here : directory, word), here);
            if (!File.Exists(candidate))
                continue;
            if (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
            notExecutable ??= candidate;
        }
        return notExecutable ?? throw new CommandNotStartedException(127, $"not found in PATH ({path})");
    }
}
