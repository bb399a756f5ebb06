namespace Furrow.Blade.Tests;

public sealed class ProcessTreeTests
{
    private static ProcStat Stat(int pid, int parent, int group) => new(pid, 'S', parent, group, 0, 0, (ulong)pid, 0, 0);

    [Fact]
    public void Members_AreTheCommandItsDescendants_AndItsGroupWithTheirs_NotItsParentOrOthers()
    {
        Dictionary<int, ProcStat> processes = new[]
        {
            Stat(1, 0, 1),
            Stat(100, 1, 100),   // the blade
            Stat(200, 100, 100), // the command
            Stat(201, 200, 100), // its child
            Stat(202, 201, 100), // a grandchild
            Stat(300, 1, 200),   // in the command's group, its parent gone (adopted by init)
            Stat(301, 300, 200), // that one's child
            Stat(400, 100, 100), // another command of the same blade
            Stat(401, 400, 100),
        }.ToDictionary(p => p.Pid);

        var members = ProcessTree.Members(200, processes, ProcessTree.ChildrenOf(processes.Values));

        Assert.Equal([200, 201, 202, 300, 301], members.Order());
    }

    [Fact]
    public void Members_OfACommandThatHasEnded_AreWhatItLeftInItsGroup()
    {
        Dictionary<int, ProcStat> processes = new[] { Stat(1, 0, 1), Stat(300, 1, 200), Stat(500, 1, 500) }.ToDictionary(p => p.Pid);

        Assert.Equal([300], ProcessTree.Members(200, processes, ProcessTree.ChildrenOf(processes.Values)));
    }
}
