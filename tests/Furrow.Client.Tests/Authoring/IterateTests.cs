using Furrow.Client.Authoring;
using Furrow.Core.Scripts;

namespace Furrow.Client.Tests.Authoring;

/// <summary>Which values an <see cref="Iterate"/> makes subtasks for, and where they go in the job.</summary>
public sealed class IterateTests
{
    private static long[] Values(Iterate iterate) => [.. iterate.Expanded.Cast<JobTask>().Select(t => long.Parse(t.Title, System.Globalization.CultureInfo.InvariantCulture))];

    private static Iterate Numbers(long from, long to, long by) => new(from, to, by, v => new JobTask(v.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(1, 5, 1, new long[] { 1, 2, 3, 4, 5 })]
    [InlineData(1, 10, 4, new long[] { 1, 5, 9 })]
    [InlineData(10, 1, -3, new long[] { 10, 7, 4, 1 })]
    [InlineData(3, 3, 1, new long[] { 3 })]
    [InlineData(5, 1, 1, new long[0])]
    [InlineData(1, 5, -1, new long[0])]
    public void Expanded_CountsFromFromToToByBy_BothEndsIncluded(long from, long to, long by, long[] expected)
    {
        Assert.Equal(expected, Values(Numbers(from, to, by)));
    }

    [Fact]
    public void Expanded_AtTheEndsOfLong_DoesNotOverflow()
    {
        Assert.Equal([long.MaxValue - 1, long.MaxValue], Values(Numbers(long.MaxValue - 1, long.MaxValue, 1)));
        Assert.Equal([long.MinValue + 1, long.MinValue], Values(Numbers(long.MinValue + 1, long.MinValue, -1)));
    }

    [Fact]
    public void New_StepOfZero_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbers(1, 5, 0));
    }

    [Fact]
    public void New_MoreValuesThanAJobMayHaveTasks_ThrowsBeforeCallingTheTemplate()
    {
        var calls = 0;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Iterate(0, long.MaxValue, v => { calls++; return new JobTask("t"); }));

        Assert.Equal(0, calls);
        Assert.Contains("at most", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_TemplateReturningNull_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new Iterate(1, 2, v => null!));
    }

    [Fact]
    public void ToJobSpec_IteratedTasks_TakeTheIteratesPlaceAmongItsSiblings()
    {
        var job = new Job("j")
        {
            Subtasks = { new JobTask("before"), Numbers(1, 2, 1), new JobTask("after") },
        };

        Assert.Equal(["before", "1", "2", "after"], job.ToJobSpec().Subtasks.Select(t => t.Title));
    }

    [Fact]
    public void ToAlfred_NestedIterates_AreWrittenAsTheirTasks()
    {
        var job = new Job("j")
        {
            Subtasks = { new Iterate(1, 2, shot => new JobTask($"shot {shot}") { Subtasks = { new Iterate(1, 2, f => new JobTask($"shot {shot} frame {f}")) } }) },
        };

        var read = AlfredParser.Parse(job.ToAlfred(), "j.alf").GetJobOrThrow();

        Assert.Equal(["shot 1 frame 1", "shot 1 frame 2"], ((TaskSpec)read.Subtasks[0]).Subtasks.Select(t => t.Title));
        Assert.Equal(2, read.Subtasks.Count);
    }
}
