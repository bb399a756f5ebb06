namespace Furrow.Blade.Tests;

public sealed class BladeJournalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "furrow-journal-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Output_IsKeptInOrder_UntilItsInvocationIsForgotten()
    {
        var journal = new BladeJournal(_directory);
        Append(journal, 7, [0xC0, 0xFF, (byte)'\n']);
        Append(journal, 7, "more"u8);
        Append(journal, 8, "other"u8);

        Assert.Equal([0xC0, 0xFF, (byte)'\n', (byte)'m', (byte)'o', (byte)'r', (byte)'e'], journal.ReadOutput(7));

        journal.Forget([7]);
        Assert.Empty(journal.ReadOutput(7));
        Assert.Equal("other"u8.ToArray(), journal.ReadOutput(8));
    }

    [Fact]
    public void DeleteOutputExcept_LeavesOnlyTheNamedInvocations()
    {
        var journal = new BladeJournal(_directory);
        Append(journal, 1, "a"u8);
        Append(journal, 2, "b"u8);
        File.WriteAllText(Path.Combine(_directory, "output", "stray"), "not an invocation");

        journal.DeleteOutputExcept(new HashSet<long> { 2 });

        Assert.Empty(journal.ReadOutput(1));
        Assert.Equal("b"u8.ToArray(), journal.ReadOutput(2));
        Assert.Equal(["2"], Directory.GetFiles(Path.Combine(_directory, "output")).Select(Path.GetFileName));
    }

    private static void Append(BladeJournal journal, long iid, ReadOnlySpan<byte> data)
    {
        using var file = journal.OpenOutput(iid);
        file.Write(data);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
