using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>The afterjids reader that the native spool, its override reader and tractor-spool -o share, and where a refusal of a value given beside the script points.</summary>
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

    [Theory]
    [InlineData("tier")]
    [InlineData("maxactive")]
    [InlineData("afterjids")]
    public void Refusal_OfAValueGivenBesideTheScript_NamesTheFileAndNoLineOfIt(string option)
    {
        var parsed = AlfredParser.Parse("Job -title {j} -tier rush -maxactive 2 -afterjids {3} -subtasks { Task {t} -cmds { RemoteCmd {true} } }", "shot.alf");
        var spec = parsed.Job!;
        Assert.Equal("shot.alf:1:16: no", spec.Refusal(spec, "tier", "no"));

        new JobWideValues(Tier: "batch", MaxActive: 4, AfterJids: [5]).ApplyTo(spec);

        Assert.Equal("shot.alf: no (given to the spool, not in the script)", spec.Refusal(spec, option, "no"));
        // What the spooler did not give keeps its place in the script.
        Assert.StartsWith("shot.alf:1:", spec.Refusal(spec, "title", "no"), StringComparison.Ordinal);
    }
}
