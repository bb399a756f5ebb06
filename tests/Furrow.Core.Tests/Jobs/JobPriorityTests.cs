using Furrow.Core.Jobs;

namespace Furrow.Core.Tests.Jobs;

public sealed class JobPriorityTests
{
    [Theory]
    [InlineData(-1_000_000)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(450.5)]
    [InlineData(1_000_000)]
    public void Refusal_IsNull_ForAPriorityInTheRange(double priority) => Assert.Null(JobPriority.Refusal(priority));

    [Theory]
    [InlineData(1e308, "out of range")]
    [InlineData(-1e308, "out of range")]
    [InlineData(1_000_000.001, "out of range")]
    [InlineData(double.NaN, "not a finite number")]
    [InlineData(double.NegativeInfinity, "not a finite number")]
    public void Refusal_NamesTheRange_ForAPriorityOutsideIt(double priority, string kind)
    {
        var refusal = JobPriority.Refusal(priority);

        Assert.NotNull(refusal);
        Assert.Contains(kind, refusal);
        Assert.EndsWith("expected a number from -1000000 to 1000000", refusal);
    }

    [Theory]
    [InlineData("250", 250.0)]
    [InlineData("-3.5", -3.5)]
    [InlineData("1000000", 1e6)]
    public void Parse_ReadsANumberInTheRange(string text, double expected)
    {
        Assert.Equal(expected, JobPriority.Parse(text, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("high", "priority 'high' is not a number")]
    [InlineData("2000000", "out of range")]
    [InlineData("1e6", "is not a number")]
    [InlineData(" -3.5 ", "is not a number")]
    [InlineData("+5", "is not a number")]
    [InlineData("", "is not a number")]
    public void Parse_RefusesTextThatIsNoPriorityInTheRange(string text, string expected)
    {
        Assert.Null(JobPriority.Parse(text, out var error));
        Assert.Contains(expected, error);
    }
}
