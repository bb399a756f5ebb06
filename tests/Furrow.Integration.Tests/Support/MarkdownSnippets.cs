using System.Text.RegularExpressions;

namespace Furrow.Integration.Tests.Support;

/// <summary>How the snippet test treats a ```sh block, from the marker comment on the line before its fence.</summary>
public enum SnippetRun
{
    /// <summary>No marker: run as pasted; it must exit 0.</summary>
    Paste,

    /// <summary><c>&lt;!-- snippet: not run (REASON) --&gt;</c>: not run, and the reason is listed.</summary>
    NotRun,

    /// <summary><c>&lt;!-- snippet: runs until stopped; ready when it prints "TEXT" --&gt;</c>: a server in the
    /// foreground; it must print TEXT, then exit 0 on SIGTERM.</summary>
    UntilStopped,

    /// <summary><c>&lt;!-- snippet: with the engine stopped --&gt;</c>: run as pasted while the site's engine is stopped,
    /// as the text around it says to.</summary>
    EngineStopped,
}

/// <summary>A fenced block of a markdown file: where it starts, its info string, its text without the fence's
/// indentation, and, for a ```sh block, how the snippet test runs it.</summary>
public sealed record DocSnippet(string File, int Line, string Info, string Text, SnippetRun Run, string? Reason = null, string? ReadyText = null)
{
    /// <summary>file:line of the opening fence, as a failure names it.</summary>
    public string Name => $"{File}:{Line}";

    /// <summary>Whether a reader pastes it into a shell (```sh) rather than reads it (```text, ```json, ...).</summary>
    public bool IsCommand => Info == ShellInfo;

    public const string ShellInfo = "sh";
}

/// <summary>The fenced blocks of README.md and docs/*.md, and every way a file breaks the snippet convention.</summary>
public sealed record MarkdownScan(IReadOnlyList<DocSnippet> Snippets, IReadOnlyList<string> Problems);

/// <summary>
/// Reads the code blocks of the repository's markdown. The convention (DocSnippetTests says why): every code block is
/// fenced with an info string; ```sh holds commands a reader pastes and runs, anything else (```text, ```json) is
/// read, not run; a ```sh block that the test cannot run, or runs in a special way, has a marker comment on the line
/// just before its fence.
/// </summary>
public static partial class MarkdownSnippets
{
    /// <summary>The checkout: the directory above the tests that holds Furrow.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>README.md, then docs/*.md in name order, as paths relative to the checkout with '/' separators.</summary>
    public static IReadOnlyList<string> DocumentFiles { get; } =
        ["README.md", .. Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    /// <summary>Info strings that say "shell" in other words: the convention has one, sh, so that nothing meant to run is missed.</summary>
    private static readonly HashSet<string> OtherShellInfos = ["bash", "shell", "console", "zsh", "shell-session", "sh-session"];

    public static IReadOnlyList<DocSnippet> CommandSnippets() =>
        DocumentFiles.SelectMany(f => Read(f).Snippets).Where(s => s.IsCommand).ToList();

    public static MarkdownScan Read(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, file));
        var snippets = new List<DocSnippet>();
        var problems = new List<string>();
        var markerLines = new HashSet<int>();
        var fencedLines = new HashSet<int>();
        for (var i = 0; i < lines.Length; i++)
        {
            var open = FenceOpen().Match(lines[i]);
            if (!open.Success)
            {
                if (IsIndentedCodeLine(lines, i))
                    problems.Add($"{file}:{i + 1}: an indented code block; fence it with ```sh (commands to run) or ```text");
                continue;
            }
            var indent = open.Groups["indent"].Value.Length;
            var fence = open.Groups["fence"].Value;
            var info = open.Groups["info"].Value;
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && !IsFenceClose(lines[i], fence); i++)
            {
                body.Add(Unindent(lines[i], indent));
                fencedLines.Add(i);
            }
            if (i == lines.Length)
                problems.Add($"{file}:{start + 1}: the fence opened here is never closed");
            if (info.Length == 0)
                problems.Add($"{file}:{start + 1}: a fence without an info string; write ```sh (commands to run) or ```text");
            else if (OtherShellInfos.Contains(info))
                problems.Add($"{file}:{start + 1}: ```{info}: commands to run are ```sh, anything else ```text");

            var snippet = new DocSnippet(file, start + 1, info, string.Join('\n', body) + "\n", SnippetRun.Paste);
            if (start > 0 && Marker().Match(lines[start - 1].Trim()) is { Success: true } marker)
            {
                markerLines.Add(start - 1);
                if (!snippet.IsCommand)
                    problems.Add($"{file}:{start}: a snippet marker before a ```{info} block, which is never run");
                else if (ParseMarker(marker.Groups["body"].Value, snippet) is { } marked)
                {
                    snippet = marked;
                    if (snippet is { Run: SnippetRun.NotRun, Reason.Length: 0 })
                        problems.Add($"{file}:{start}: a snippet not run must say why: <!-- snippet: not run (REASON) -->");
                }
                else
                    problems.Add($"{file}:{start}: a snippet marker the test does not know: {lines[start - 1].Trim()}");
            }
            snippets.Add(snippet);
        }
        for (var i = 0; i < lines.Length; i++)
        {
            if (!markerLines.Contains(i) && !fencedLines.Contains(i) && lines[i].Contains("<!-- snippet:", StringComparison.Ordinal))
                problems.Add($"{file}:{i + 1}: a snippet marker belongs on the line just before a ```sh fence");
        }
        return new MarkdownScan(snippets, problems);
    }

    private static DocSnippet? ParseMarker(string body, DocSnippet snippet)
    {
        if (NotRunMarker().Match(body) is { Success: true } notRun)
            return snippet with { Run = SnippetRun.NotRun, Reason = notRun.Groups["reason"].Value.Trim() };
        if (UntilStoppedMarker().Match(body) is { Success: true } server)
            return snippet with { Run = SnippetRun.UntilStopped, ReadyText = server.Groups["ready"].Value };
        if (body == "with the engine stopped")
            return snippet with { Run = SnippetRun.EngineStopped };
        return null;
    }

    /// <summary>
    /// A line of an indented (unfenced) code block, as far as these files go: four spaces in, after a blank line that
    /// follows an unindented paragraph that is not a list item (indented lines after a list item continue the item).
    /// </summary>
    private static bool IsIndentedCodeLine(string[] lines, int i)
    {
        if (!lines[i].StartsWith("    ", StringComparison.Ordinal) || lines[i].Trim().Length == 0 || i == 0 || lines[i - 1].Trim().Length != 0)
            return false;
        for (var j = i - 2; j >= 0; j--)
        {
            if (lines[j].Trim().Length == 0)
                continue;
            return !char.IsWhiteSpace(lines[j][0]) && !ListItem().IsMatch(lines[j]);
        }
        return true;
    }

    private static bool IsFenceClose(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0]);
    }

    private static string Unindent(string line, int indent)
    {
        var spaces = 0;
        while (spaces < indent && spaces < line.Length && line[spaces] == ' ')
            spaces++;
        return line[spaces..];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Furrow.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find Furrow.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^(?<indent> *)(?<fence>```+|~~~+)\s*(?<info>[^\s`]*)")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^<!--\s*snippet:\s*(?<body>.*?)\s*-->$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^not run \((?<reason>.*)\)$")]
    private static partial Regex NotRunMarker();

    [GeneratedRegex("^runs until stopped; ready when it prints \"(?<ready>[^\"]+)\"$")]
    private static partial Regex UntilStoppedMarker();

    [GeneratedRegex(@"^\s*(?:[-*+]|\d+\.)\s")]
    private static partial Regex ListItem();
}
