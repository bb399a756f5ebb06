using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>The afterjids reader that the native spool, its override reader and tractor-spool -o share.</summary>
public sealed class JobWideValuesTests
{
    [Theory]
    [InlineData("12 13", new[] { 12, 13 })]
    [InlineData("12,13\t14", new[] { 12, 13, 14 })]
    [InlineData(" 7 , ", new[] { 7 })]
    [InlineData("", new int[0])]
    public void JobIds_WordsOfWholeNumbers_AreTheIds(string given, int[] expected)
    {
        var ids = JobWideValues.JobIds(given, out var problem);
        Assert.Null(problem);
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void JobIds_NotGiven_IsNullWithoutProblem()
    {
        Assert.Null(JobWideValues.JobIds(null, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("12 abc", "abc")]
    [InlineData("0", "0")]
    [InlineData("-3", "-3")]
    [InlineData("+4", "+4")]
    [InlineData("1.5", "1.5")]
    [InlineData("99999999999", "99999999999")]
    public void JobIds_AWordThatIsNoJobId_IsNamed(string given, string bad)
    {
        Assert.Null(JobWideValues.JobIds(given, out var problem));
        Assert.Equal($"afterjids: '{bad}' is no job id (expected job ids, separated by spaces or commas)", problem);
    }
}
