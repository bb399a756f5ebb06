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
/// <item><c>%ID(host)</c>: the host name of the blade that ran the latest run of the command whose <c>-id</c> is
/// <c>ID</c> in the same job (Tractor: "like %h but using the hostnames from the command whose -id value is idref").
/// <see cref="JobCompiler"/> refuses at spool an ID no command declares, one declared twice, and one whose command is
/// not sure to have run before (<see cref="HostCodes"/>); the engine gives the hosts in <see cref="Values.Hosts"/>.</item>
/// <item><c>%ID(-host)</c>: like <c>%ID(host)</c>, as <c>-h</c> host pairs (as <c>%H</c> is to <c>%h</c>); a word that
/// is the code alone becomes two words.</item>
/// </list>
/// An ID starts with a letter, then letters, digits, <c>_</c>, <c>.</c> or <c>-</c>; it is read before the one-letter
/// codes, so <c>%h1(host)</c> names the command <c>h1</c>, and <c>%D(host)</c> stays the dirmap of the path
/// <c>host</c>. As in Tractor, a code replaces the same letters of a
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
    /// <param name="Hosts">
    /// For <c>%ID(host)</c>: the host name of the latest run of the job's command of each <c>-id</c> the command's codes
    /// name; null when it names none. A code whose ID is missing here is an error of the caller
    /// (<see cref="ArgumentException"/>), never passed on unreplaced.
    /// </param>
    public readonly record struct Values(IReadOnlyList<DirMap> DirMaps, string Zone, string Host, int Slots, bool Resuming,
        long Jid = 0, long Tid = 0, long Cid = 0, IReadOnlyDictionary<string, string>? Hosts = null);

    /// <summary>One <c>%ID(host)</c> or <c>%ID(-host)</c> code of a word.</summary>
    /// <param name="Id">The <c>-id</c> it names.</param>
    /// <param name="Pairs">True for <c>%ID(-host)</c>, which gives <c>-h host</c>.</param>
    /// <param name="Text">The code as written, such as <c>%srv1(-host)</c>.</param>
    public readonly record struct HostCode(string Id, bool Pairs, string Text);

    /// <summary>
    /// <paramref name="argv"/> with each word expanded (<see cref="Expand"/>), and a word that is <c>%H</c> or
    /// <c>%ID(-host)</c> alone made the two words <c>-h</c> and the host name, so the program receives them as two
    /// arguments, as netrender needs.
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
            else if (word.Length > 1 && word[0] == '%' && HostCodeAt(word, 0) is { Pairs: true } alone && alone.Text.Length == word.Length)
            {
                result.Add("-h");
                result.Add(HostOf(alone, values));
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
            if (HostCodeAt(word, i) is { } code)
            {
                result.Append(code.Pairs ? "-h " : "").Append(HostOf(code, values));
                i += code.Text.Length;
            }
            else if (Letter(word[i + 1], values) is { } replacement)
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

    private static string HostOf(HostCode code, in Values values) =>
        values.Hosts is { } hosts && hosts.TryGetValue(code.Id, out var host) ? host
            : throw new ArgumentException($"no host given for {code.Text}: the command of -id {code.Id} has no run known", nameof(values));

    /// <summary>
    /// The <c>%ID(host)</c> and <c>%ID(-host)</c> codes of <paramref name="word"/>, in order; none for a word without a
    /// <c>%</c>. <c>%%</c> hides what follows it, so <c>%%srv(host)</c> is the literal text <c>%srv(host)</c>.
    /// </summary>
    public static IEnumerable<HostCode> HostCodes(string word)
    {
        if (!MayHaveCodes(word))
            yield break;
        for (var i = 0; i + 1 < word.Length; i++)
        {
            if (word[i] != '%')
                continue;
            if (word[i + 1] == '%')
            {
                i++;
                continue;
            }
            if (HostCodeAt(word, i) is { } code)
            {
                yield return code;
                i += code.Text.Length - 1;
            }
        }
    }

    // %ID(host) or %ID(-host) at the % of word[percent]: an identifier (not D, the dirmap code), then "(host)" or "(-host)".
    private static HostCode? HostCodeAt(string word, int percent)
    {
        var end = percent + 1;
        while (end < word.Length && (char.IsAsciiLetterOrDigit(word[end]) || word[end] is '_' or '.' or '-'))
            end++;
        if (end == percent + 1 || !char.IsAsciiLetter(word[percent + 1]) || word.AsSpan(percent + 1, end - percent - 1) is "D")
            return null;
        foreach (var tail in (ReadOnlySpan<string>)["(host)", "(-host)"])
            if (word.AsSpan(end).StartsWith(tail, StringComparison.Ordinal))
                return new HostCode(word[(percent + 1)..end], tail == "(-host)", word[percent..(end + tail.Length)]);
        return null;
    }
}
