using System.Globalization;

namespace Furrow.Core.Scripts;

/// <summary>
/// Where a job was spooled from, as a spool gives it beside the script (tractor-spool's <c>--hname</c> and
/// <c>--jobcwd</c>, the native spool's <c>host=</c> and <c>cwd=</c>, Tractor's <c>hnm=</c> and <c>jobcwd=</c>): one
/// rule for the command line and the engine, so a host or directory one refuses the other does not store.
/// </summary>
public static class SpoolPlace
{
    /// <summary>
    /// What is wrong with a spool host's name, or null: a DNS name or an address as Tractor lists it (ASCII letters,
    /// digits, <c>.</c>, <c>-</c>, <c>_</c>, and <c>:</c> for IPv6), 1 to 253 characters.
    /// </summary>
    public static string? HostProblem(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Length == 0)
            return "it is empty";
        if (host.Length > 253)
            return "it is longer than 253 characters";
        var bad = host.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':'));
        return bad == default ? null
            : $"it holds {(bad is > ' ' and <= '~' ? $"'{bad}'" : string.Create(CultureInfo.InvariantCulture, $"U+{(int)bad:X4}"))}; a host name is ASCII letters, digits, '.', '-', '_' (':' in an IPv6 address)";
    }

    /// <summary>
    /// True when <paramref name="directory"/> is whole, as a blade needs it to start the job's commands there:
    /// <c>/show/shot</c> for Unix blades, <c>C:/show</c>, <c>C:\show</c> or <c>\\server\show</c> for Windows ones.
    /// </summary>
    public static bool IsWholeDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return directory.StartsWith('/') || directory.StartsWith(@"\\", StringComparison.Ordinal)
            || (directory.Length >= 3 && char.IsAsciiLetter(directory[0]) && directory[1] == ':' && directory[2] is '/' or '\\');
    }
}
