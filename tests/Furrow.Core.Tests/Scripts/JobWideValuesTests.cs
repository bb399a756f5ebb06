using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>The afterjids reader that the native spool, its override reader and tractor-spool -o share, and where a refusal of a value given beside the script points.</summary>
public sealed class JobWideValuesTests
{
    [Theory]
    [InlineData("12 13", new[] { 12, 13 })]
    [InlineData("12,13\t14", new[] { 12, 13, 14 })]
    [InlineData(" 7 , 8 ", new[] { 7, 8 })]
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
    [InlineData("1,,2", "it has two commas with nothing between them")]
    [InlineData("7 ,", "it ends with a comma")]
    [InlineData(",7", "it starts with a comma")]
    public void JobIds_AMissingItem_IsRefused(string given, string why)
    {
        Assert.Null(JobWideValues.JobIds(given, out var problem, "afterjid"));
        Assert.Equal($"afterjid '{given}': {why} (expected job ids, separated by spaces or commas)", problem);
    }

    [Theory]
    [InlineData("priority", "", "priority= is empty")]
    [InlineData("maxactive", "", "maxactive= is empty")]
    [InlineData("tier", "", "tier= is empty")]
    [InlineData("title", " ", "title= is blank")]
    [InlineData("paused", "", "paused= is empty")]
    [InlineData("priority", " 5", "priority ' 5': expected a number")]
    [InlineData("priority", "1e2", "priority '1e2': expected a number")]
    [InlineData("maxactive", " 3", "maxactive ' 3': expected a whole number from 0 up")]
    [InlineData("paused", "maybe", "paused 'maybe': expected one of 1, 0, true, false, yes, no, on or off")]
    [InlineData("afterjids", "1,", "afterjids '1,': it ends with a comma")]
    [InlineData("svckey", "", "svckey= is empty")]
    [InlineData("projects", "a,,b", "projects 'a,,b': it has two commas with nothing between them")]
    [InlineData("envkey", ",x", "envkey ',x': it starts with a comma")]
    public void Read_RefusesAnEmptyOrMalformedValue_NamingIt(string name, string value, string expected)
    {
        Assert.Null(JobWideValues.Read(key => key == name ? (name, value) : null, out var problem));
        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void Read_NamesTheParameterAsItCame_AndReadsEveryKind()
    {
        Assert.Null(JobWideValues.Read(key => key == "tier" ? ("jtier", "") : null, out var problem));
        Assert.StartsWith("jtier= is empty", problem);

        var given = new Dictionary<string, string>
        {
            ["title"] = "shot 10", ["priority"] = "-2.5", ["paused"] = "TRUE", ["maxactive"] = "0", ["afterjids"] = "3, 4",
            ["projects"] = "", ["tier"] = "batch",
        };
        var values = JobWideValues.Read(key => given.TryGetValue(key, out var v) ? (key, v) : null, out problem);

        Assert.Null(problem);
        Assert.NotNull(values);
        Assert.Equal(("shot 10", -2.5, true, 0, "batch"), (values.Title, values.Priority, values.Paused, values.MaxActive, values.Tier));
        Assert.Equal([3, 4], values.AfterJids!);
        Assert.Empty(values.Projects!);
        Assert.Null(JobWideValues.Read(_ => null, out problem));
        Assert.Null(problem);
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
