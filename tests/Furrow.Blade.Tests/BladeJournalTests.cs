using System.Text.Json;
using Furrow.Client.Protocol;

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

    private static InvocationEvent Exit(long iid, int code) => new(iid * 10, iid, InvocationEventTypes.Exited, 1000 + iid, ExitCode: code);

    // "running 3 4; results 1=0": what is live, in a form that compares by value.
    private static string Live(JournalContents contents) =>
        $"running {string.Join(' ', contents.Running.Select(p => p.Iid).Order())}; " +
        $"results {string.Join(' ', contents.Results.OrderBy(r => r.Iid).Select(r => $"{r.Iid}={r.ExitCode}"))}";

    [Fact]
    public void Load_GivesWhatAnEarlierBladeProcessLeft_StartsRunsAndResultsLessWhatWasForgotten()
    {
        var journal = new BladeJournal(_directory);
        journal.AddRunning(1, 101, 5001);
        journal.AddRunning(2, 102, 5002);
        journal.AddRunning(3, 103, 5003);
        journal.AddResult(Exit(1, 0));
        journal.AddResult(Exit(2, 3));
        journal.Forget([2]);

        var left = new BladeJournal(_directory).Load();

        Assert.Equal("running 3; results 1=0", Live(left));
        Assert.Equal(new JournalProcess(3, 103, 5003), Assert.Single(left.Running));
    }

    [Fact]
    public void ALastLineTornByACrash_IsSkipped_AndTheRestIsKept()
    {
        var journal = new BladeJournal(_directory);
        journal.AddRunning(1, 101, 5001);
        journal.AddResult(Exit(1, 7));
        File.AppendAllText(journal.FilePath, "{\"started\":{\"iid\":9,\"pi");

        var left = new BladeJournal(_directory).Load();

        Assert.Equal("running ; results 1=7", Live(left));
        Assert.DoesNotContain("\"iid\":9", File.ReadAllText(journal.FilePath)); // the snapshot after loading drops it
    }

    [Fact]
    public void ADamagedLine_BeforeTheLast_MakesTheJournalUnreadable_AndItStartsAgainEmpty()
    {
        var journal = new BladeJournal(_directory);
        journal.AddRunning(1, 101, 5001);
        journal.AddRunning(2, 102, 5002);
        var lines = File.ReadAllLines(journal.FilePath);
        File.WriteAllLines(journal.FilePath, [lines[0], "not json at all", lines[1]]);

        Assert.ThrowsAny<JsonException>(() => new BladeJournal(_directory).Load());
        Assert.Equal("running ; results ", Live(new BladeJournal(_directory).Load()));
    }

    [Fact]
    public void ManyCommands_KeepTheFileSmall_ByWritingWhatIsLiveAnew_AndLoadStillGivesIt()
    {
        var journal = new BladeJournal(_directory);
        for (long iid = 1; iid <= 5000; iid++)
        {
            journal.AddRunning(iid, (int)iid, (ulong)iid);
            if (iid > 3)
            {
                journal.AddResult(Exit(iid - 3, 0));
                if (iid % 2 == 0 && iid < 5000)
                    journal.Forget([iid - 4, iid - 3]);
            }
        }

        Assert.True(File.ReadAllLines(journal.FilePath).Length <= 1024, "the journal is compacted as it goes");
        var left = new BladeJournal(_directory).Load();
        Assert.Equal("running 4998 4999 5000; results 4996=0 4997=0", Live(left));
    }

    [Fact]
    public void AJournalOfAnEarlierVersion_OneJsonDocument_IsReadOnce_AndReplaced()
    {
        Directory.CreateDirectory(_directory);
        var old = Path.Combine(_directory, "journal.json");
        File.WriteAllText(old, """{"running":[{"iid":4,"pid":104,"startTicks":5004}],"results":[{"seq":1,"iid":5,"type":"exited","timeMs":7,"exitCode":2}]}""");

        var left = new BladeJournal(_directory).Load();

        Assert.Equal("running 4; results 5=2", Live(left));
        Assert.False(File.Exists(old));
        Assert.Equal("running 4; results 5=2", Live(new BladeJournal(_directory).Load()));
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
