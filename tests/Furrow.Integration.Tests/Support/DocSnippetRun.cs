namespace Furrow.Integration.Tests.Support;

/// <summary>
/// Runs every ```sh block of README.md and docs/*.md once, for DocSnippetTests: file by file, each file on a farm of its
/// own, and within a file in the order a reader meets them (a block may rely on what an earlier block of its file did).
/// The run starts when the first outcome is asked for, so a test of the class that needs none does not wait for it.
/// </summary>
public sealed class DocSnippetRun
{
    private readonly Lazy<Task<IReadOnlyDictionary<string, SnippetOutcome>>> _outcomes = new(RunAllAsync);

    public async Task<SnippetOutcome> OutcomeAsync(string snippetName)
    {
        var outcomes = await _outcomes.Value;
        return outcomes.TryGetValue(snippetName, out var outcome)
            ? outcome
            : new SnippetOutcome(false, $"{snippetName}: no ```sh block starts there that the run knows of");
    }

    private static async Task<IReadOnlyDictionary<string, SnippetOutcome>> RunAllAsync()
    {
        var outcomes = new Dictionary<string, SnippetOutcome>();
        foreach (var file in MarkdownSnippets.DocumentFiles)
        {
            var toRun = MarkdownSnippets.Read(file).Snippets.Where(s => s.IsCommand && s.Run != SnippetRun.NotRun).ToList();
            if (toRun.Count == 0)
                continue;
            await using var farm = await SnippetFarm.StartAsync();
            foreach (var snippet in toRun)
                outcomes[snippet.Name] = await farm.RunAsync(snippet);
        }
        return outcomes;
    }
}
