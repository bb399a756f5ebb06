using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

// Every snippet in README.md and docs/*.md works when pasted. The convention the docs keep, which this class enforces:
//
// - Every code block is fenced, with an info string.
// - ```sh holds commands a reader pastes into a shell and runs. Each such block is run here, in its file's order, with
//   bash -e -o pipefail (the first failing command fails the block), and must exit 0 within 60 s. It runs on a real
//   farm (SnippetFarm: an engine, the blade render07, and the jobs the examples name, 1, 12 and 15 among them), from a
//   directory laid out as a checkout in which `bin/furrow up` made its site: bin/, examples/, furrow-site/. PATH finds
//   the Tractor-named shims in bin/, and TRACTOR_ENGINE the farm's engine.
// - ```text, ```json and the like hold file contents, output and illustrations: read, never run.
// - So that a block pastes, it names things concretely: the site is furrow-site (where `bin/furrow up` makes it), the
//   engine is found through --engine, else $TRACTOR_ENGINE, else localhost:5600; no SITE or <pid> placeholders.
// - A ```sh block that is run in another way, or not at all, has one HTML comment (not shown on a rendered page) on the
//   line just before its fence:
//     <!-- snippet: not run (REASON) -->
//         never run; this class lists it with its REASON, which must be given;
//     <!-- snippet: runs until stopped; ready when it prints "TEXT" -->
//         a server in the foreground (an engine or a blade): it must print TEXT, then exit 0 on SIGTERM;
//     <!-- snippet: with the engine stopped -->
//         run while the farm's engine is stopped, as the text around it says to.

/// <summary>Every ```sh block of README.md and docs/*.md, pasted into a shell, works (see the convention above).</summary>
public sealed class DocSnippetTests(DocSnippetRun run) : IClassFixture<DocSnippetRun>
{
    public static TheoryData<string> SnippetsToRun()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in MarkdownSnippets.CommandSnippets().Where(s => s.Run != SnippetRun.NotRun))
            data.Add(snippet.Name);
        return data;
    }

    public static TheoryData<string, string> SnippetsNotRun()
    {
        var data = new TheoryData<string, string>();
        foreach (var snippet in MarkdownSnippets.CommandSnippets().Where(s => s.Run == SnippetRun.NotRun))
            data.Add(snippet.Name, snippet.Reason ?? "");
        return data;
    }

    [Theory]
    [MemberData(nameof(SnippetsToRun))]
    public async Task ASnippet_PastedIntoAShell_Works(string snippet)
    {
        var outcome = await run.OutcomeAsync(snippet);

        Assert.True(outcome.Passed, outcome.Report);
    }

    [Theory]
    [MemberData(nameof(SnippetsNotRun))]
    public void ASnippetNotRun_SaysWhy(string snippet, string reason) =>
        Assert.False(string.IsNullOrWhiteSpace(reason), $"{snippet}: a ```sh block that is not run says why: <!-- snippet: not run (REASON) -->");

    [Fact]
    public void EveryCodeBlock_FollowsTheSnippetConvention()
    {
        var problems = MarkdownSnippets.DocumentFiles.SelectMany(f => MarkdownSnippets.Read(f).Problems).ToList();

        Assert.True(problems.Count == 0, "code blocks that break the snippet convention (top of DocSnippetTests.cs):\n" + string.Join('\n', problems));
        Assert.Contains(MarkdownSnippets.CommandSnippets(), s => s.File.StartsWith("docs/", StringComparison.Ordinal) && s.Run == SnippetRun.Paste);
    }
}
