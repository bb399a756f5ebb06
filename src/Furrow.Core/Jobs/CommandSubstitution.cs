using System.Globalization;
using System.Text;
using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>
/// The percent codes of Tractor's command lines that the engine replaces in each word of a command when it hands the
/// command to a blade. The meanings are Tractor's job-scripting docs' (their "Substitutions" table, as quoted in public
/// pipeline code that TRACTOR-PROTOCOL.md §6 names):
/// <list type="bullet">
/// <item><c>%D(path)</c>: the path mapped by the job's <c>-dirmaps</c> for the blade's zone (<see cref="DirMapping"/>).</item>
/// <item><c>%h</c>: the host name of the blade that runs the command (Tractor: the blank-separated host names bound to
/// the command; a Furrow command is bound to one blade).</item>
/// <item><c>%H</c>: like <c>%h</c>, as <c>-h</c> host pairs, as netrender takes them. A word that is <c>%H</c> alone
/// becomes the two words <c>-h</c> and the host name (<see cref="ExpandArgv"/>); inside a longer word it is the text
/// <c>-h host</c>.</item>
/// <item><c>%n</c>: the number of slots the command holds on it (1 unless <c>-atleast</c>/<c>-atmost</c> say more).</item>
/// <item><c>%j</c>, <c>%t</c>, <c>%c</c>: the job's jid, the task's tid and the command's cid, as <c>tq</c> shows them
/// and as <c>TR_ENV_JID</c>/<c>TR_ENV_TID</c>/<c>TR_ENV_CID</c> give them.</item>
/// <item><c>%r</c>: the checkpoint-recovery flag RenderMan's <c>-recover %r</c> takes: <c>1</c> when the command runs
/// again after its previous run was cut off by its blade (stopped, restarted, silent, or the run was lost), so a
/// renderer that checkpoints resumes; <c>0</c> on its first run and after a retry (by an operator or <c>-retryrc</c>),
/// which starts over as Tractor's retry does.</item>
/// <item><c>%R</c>: the <c>-resumewhile</c> loop count. Furrow refuses <c>-resumewhile</c>, so every command runs in
/// loop <c>0</c>.</item>
/// <item><c>%q</c>: the quality hint, <c>1.0</c> when the subtasks a task waited for all ran to their end; Tractor gives
/// less only when one stopped at a checkpoint of a <c>-resumewhile</c> loop, which Furrow refuses, so it is always
/// <c>1.0</c>.</item>
/// <item><c>%%</c>: a literal <c>%</c>.</item>
/// </list>
/// <c>%ID(host)</c> / <c>%ID(-host)</c>, naming another command's <c>-id</c>, is refused at spool
/// (<see cref="FindUnsupported"/>), never passed on unreplaced. As in Tractor, a code replaces the same letters of a
/// program's own format (<c>date +%H</c>, <c>%j</c>); write <c>%%</c> to pass them on. A <c>%</c> followed by anything
/// else (<c>%04d</c>, <c>%s</c>, <c>%Y</c>) is not a Tractor code and reaches the program as written.
/// </summary>
public static class CommandSubstitution
{
    /// <summary>What the codes of one command's words become on the blade chosen for it.</summary>
    /// <param name="DirMaps">The job's <c>-dirmaps</c>.</param>
    /// <param name="Zone">The blade's dirmap zone (<see cref="DirMapping.ZoneOf"/>).</param>
    /// <param name="Host">The blade's host name, for <c>%h</c>.</param>
    /// <param name="Slots">The slots the command holds, for <c>%n</c>.</param>
    /// <param name="Resuming">True when the command runs again after its blade cut off its previous run, for <c>%r</c>.</param>
    /// <param name="Jid">The job's id, for <c>%j</c>.</param>
    /// <param name="Tid">The task's id within its job, for <c>%t</c>.</param>
    /// <param name="Cid">The command's id within its job, for <c>%c</c>.</param>
    public readonly record struct Values(IReadOnlyList<DirMap> DirMaps, string Zone, string Host, int Slots, bool Resuming,
        long Jid = 0, long Tid = 0, long Cid = 0);

    /// <summary>
    /// <paramref name="argv"/> with each word expanded (<see cref="Expand"/>), and a word that is <c>%H</c> alone made the
    /// two words <c>-h</c> and the host name, so the program receives them as two arguments, as netrender needs.
    /// </summary>
    public static IReadOnlyList<string> ExpandArgv(IReadOnlyList<string> argv, in Values values)
    {
        var result = new List<string>(argv.Count + 1);
        foreach (var word in argv)
        {
            if (word == "%H")
            {
                result.Add("-h");
                result.Add(values.Host);
            }
            else
            {
                result.Add(Expand(word, values));
            }
        }
        return result;
    }

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
            if (Letter(word[i + 1], values) is { } replacement)
            {
                result.Append(replacement);
                i += 2;
            }
            else if (word[i + 1] == 'D' && i + 2 < word.Length && word[i + 2] == '(' && word.IndexOf(')', i + 3) is var close and > 0)
            {
                result.Append(DirMapping.Map(word[(i + 3)..close], values.DirMaps, values.Zone));
                i = close + 1;
            }
            else
            {
                result.Append('%');
                i++;
            }
        }
        return result.ToString();
    }

    // What a one-letter code stands for, or null when the letter is no such code.
    private static string? Letter(char letter, in Values values) => letter switch
    {
        '%' => "%",
        'h' => values.Host,
        'H' => "-h " + values.Host,
        'n' => values.Slots.ToString(CultureInfo.InvariantCulture),
        'j' => values.Jid.ToString(CultureInfo.InvariantCulture),
        't' => values.Tid.ToString(CultureInfo.InvariantCulture),
        'c' => values.Cid.ToString(CultureInfo.InvariantCulture),
        'r' => values.Resuming ? "1" : "0",
        'R' => "0",
        'q' => "1.0",
        _ => null,
    };

    /// <summary>
    /// The first code in <paramref name="word"/> that Furrow does not substitute but Tractor would
    /// (<c>%ID(host)</c>/<c>%ID(-host)</c>), as written; null when there is none. <c>%%</c> hides what follows it, so
    /// <c>%%srv(host)</c> is a literal <c>%srv(host)</c>.
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
