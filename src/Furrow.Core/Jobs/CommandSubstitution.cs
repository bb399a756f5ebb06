using System.Globalization;
using System.Text;
using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>
/// The percent codes of Tractor's command lines that the engine replaces in each word of a command when it hands the
/// command to a blade (Tractor's job-scripting docs, as listed in TRACTOR-PROTOCOL.md §6). Furrow does this subset:
/// <list type="bullet">
/// <item><c>%D(path)</c>: the path mapped by the job's <c>-dirmaps</c> for the blade's zone (<see cref="DirMapping"/>).</item>
/// <item><c>%h</c>: the host name of the blade that runs the command.</item>
/// <item><c>%n</c>: the number of slots the command holds on it (1 unless <c>-atleast</c>/<c>-atmost</c> say more).</item>
/// <item><c>%r</c>: the checkpoint-recovery flag RenderMan's <c>-recover %r</c> takes: <c>1</c> when the command runs
/// again after its previous run was cut off by its blade (stopped, restarted, silent, or the run was lost), so a
/// renderer that checkpoints resumes; <c>0</c> on its first run and after a retry (by an operator or <c>-retryrc</c>),
/// which starts over as Tractor's retry does.</item>
/// <item><c>%%</c>: a literal <c>%</c>.</item>
/// </list>
/// The other codes Tractor documents (<c>%H %j %t %c %R %q</c>, and <c>%ID(host)</c> / <c>%ID(-host)</c> naming another
/// command's <c>-id</c>) are refused at spool (<see cref="FindUnsupported"/>), never passed on unreplaced; a <c>%</c>
/// followed by anything else (<c>%04d</c>, <c>%s</c>, <c>%Y</c>) is not a Tractor code and reaches the program as written.
/// </summary>
public static class CommandSubstitution
{
    /// <summary>What the codes of one command's words become on the blade chosen for it.</summary>
    /// <param name="DirMaps">The job's <c>-dirmaps</c>.</param>
    /// <param name="Zone">The blade's dirmap zone (<see cref="DirMapping.ZoneOf"/>).</param>
    /// <param name="Host">The blade's host name, for <c>%h</c>.</param>
    /// <param name="Slots">The slots the command holds, for <c>%n</c>.</param>
    /// <param name="Resuming">True when the command runs again after its blade cut off its previous run, for <c>%r</c>.</param>
    public readonly record struct Values(IReadOnlyList<DirMap> DirMaps, string Zone, string Host, int Slots, bool Resuming);

    // Codes Tractor documents whose meaning Furrow does not reproduce: refused at spool rather than passed on.
    private const string RefusedLetters = "HjtcRq";

    /// <summary>True when the word may hold a code (it holds a <c>%</c>); words without one are used as they are.</summary>
    public static bool MayHaveCodes(string word) => word.Contains('%', StringComparison.Ordinal);

    /// <summary><paramref name="word"/> with each supported code replaced as the type's summary says.</summary>
    public static string Expand(string word, in Values values)
    {
        if (!MayHaveCodes(word))
            return word;
        var result = new StringBuilder(word.Length + 16);
        var i = 0;
        while (i < word.Length)
        {
            var c = word[i];
            if (c != '%' || i + 1 == word.Length)
            {
                result.Append(c);
                i++;
                continue;
            }
            switch (word[i + 1])
            {
                case '%':
                    result.Append('%');
                    i += 2;
                    break;
                case 'h':
                    result.Append(values.Host);
                    i += 2;
                    break;
                case 'n':
                    result.Append(values.Slots.ToString(CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                case 'r':
                    result.Append(values.Resuming ? '1' : '0');
                    i += 2;
                    break;
                case 'D' when i + 2 < word.Length && word[i + 2] == '(' && word.IndexOf(')', i + 3) is var close and > 0:
                    result.Append(DirMapping.Map(word[(i + 3)..close], values.DirMaps, values.Zone));
                    i = close + 1;
                    break;
                default:
                    result.Append('%');
                    i++;
                    break;
            }
        }
        return result.ToString();
    }

    /// <summary>
    /// The first code in <paramref name="word"/> that Furrow does not substitute but Tractor would (<c>%H</c>,
    /// <c>%j</c>, <c>%t</c>, <c>%c</c>, <c>%R</c>, <c>%q</c>, or <c>%ID(host)</c>/<c>%ID(-host)</c>), as written; null when
    /// there is none. <c>%%</c> hides what follows it, so <c>%%H</c> is a literal <c>%H</c>.
    /// </summary>
    public static string? FindUnsupported(string word)
    {
        if (!MayHaveCodes(word))
            return null;
        for (var i = 0; i + 1 < word.Length; i++)
        {
            if (word[i] != '%')
                continue;
            var next = word[i + 1];
            if (next == '%')
            {
                i++;
                continue;
            }
            if (HostReference(word, i) is { } reference)
                return reference;
            if (RefusedLetters.Contains(next, StringComparison.Ordinal))
                return "%" + next;
        }
        return null;
    }

    // %ID(host) or %ID(-host): an identifier (not D, which is the dirmap code) and then "(host)" or "(-host)".
    private static string? HostReference(string word, int percent)
    {
        var end = percent + 1;
        while (end < word.Length && (char.IsAsciiLetterOrDigit(word[end]) || word[end] is '_' or '.' or '-'))
            end++;
        if (end == percent + 1 || !char.IsAsciiLetter(word[percent + 1]) || word.AsSpan(percent + 1, end - percent - 1) is "D")
            return null;
        foreach (var tail in (ReadOnlySpan<string>)["(host)", "(-host)"])
            if (word.AsSpan(end).StartsWith(tail, StringComparison.Ordinal))
                return word[percent..(end + tail.Length)];
        return null;
    }
}
