using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Scripts;

/// <summary>The JSON job form: same job in and out, camelCase with a "kind" on each task, and positioned errors.</summary>
public sealed class JobJsonTests
{
    [Theory]
    [MemberData(nameof(CorpusFiles.WellFormedNames), MemberType = typeof(CorpusFiles))]
    public void Deserialize_SerializedCorpusJob_GivesTheSameJob(string name)
    {
        var json = JobJson.Serialize(ScriptAssert.Parses(CorpusFiles.Read(name), name));

        var result = JobJson.Deserialize(json, name + ".json");

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(json, JobJson.Serialize(result.Job));
    }

    [Fact]
    public void Serialize_UsesCamelCaseAndKindDiscriminators()
    {
        var job = ScriptAssert.Parses("Job -title {t} -subtasks {Task {a} -cmds {Cmd {x} -retryrc {1}}; Instance {a}}");

        var json = JobJson.Serialize(job);

        Assert.Contains("\"kind\": \"task\"", json);
        Assert.Contains("\"kind\": \"instance\"", json);
        Assert.Contains("\"kind\": \"local\"", json);
        Assert.Contains("\"retryRc\": [", json);
        Assert.Contains("\"serialSubtasks\": false", json);
        Assert.DoesNotContain("\"priority\"", json);
    }

    [Fact]
    public void Deserialize_ReadsHandWrittenJob_WithKindAfterOtherProperties()
    {
        const string json = """
            {
              // comments and trailing commas are allowed in hand-written files
              "title": "hand",
              "subtasks": [
                { "title": "a", "kind": "task", "commands": [ { "argv": ["echo", "hi"], "kind": "builtin" } ] },
                { "kind": "instance", "title": "a" },
              ],
            }
            """;

        var result = JobJson.Deserialize(json, "hand.json");

        Assert.True(result.Succeeded, result.Error?.ToString());
        var task = Assert.IsType<TaskSpec>(result.Job.Subtasks[0]);
        Assert.Equal(CommandKind.Builtin, task.Commands.Single().Kind);
        Assert.Equal("a", Assert.IsType<InstanceSpec>(result.Job.Subtasks[1]).Title);
    }

    [Fact]
    public void Deserialize_RefusesMalformedJson_WithLineAndColumn()
    {
        var error = JobJson.Deserialize("{\n  \"title\": \"a\",\n  \"tags\": [\"x\" \"y\"]\n}", "bad.json").Error;

        Assert.NotNull(error);
        Assert.Equal("bad.json", error.FileName);
        Assert.Equal(3, error.Line);
        Assert.Equal(16, error.Column);
        Assert.DoesNotContain("LineNumber", error.Message);
    }

    [Fact]
    public void Deserialize_RefusesUnknownProperty()
    {
        var error = JobJson.Deserialize("{\"title\": \"a\", \"priorty\": 5}", "typo.json").Error;

        Assert.NotNull(error);
        Assert.Contains("priorty", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Deserialize_RefusesTaskWithUnknownKind()
    {
        var error = JobJson.Deserialize("{\"subtasks\": [{\"kind\": \"iterate\", \"title\": \"a\"}]}", "kind.json").Error;

        Assert.NotNull(error);
        Assert.Contains("iterate", error.Message);
    }

    [Theory]
    [InlineData("null", "found null")]
    [InlineData("{\"title\": null}", "title")]
    [InlineData("{\"subtasks\": [null]}", "$.subtasks[0]")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"commands\": [{\"argv\": [null]}]}]}", "$.subtasks[0].commands[0].argv[0]")]
    [InlineData("{\"dirMaps\": [{\"from\": \"a\", \"to\": \"b\"}]}", "zone")]
    public void Deserialize_RefusesNullsAndMissingValues(string json, string mention)
    {
        var error = JobJson.Deserialize(json, "null.json").Error;

        Assert.NotNull(error);
        Assert.Contains(mention, error.Message);
    }

    [Fact]
    public void Deserialize_RefusesNestingDeeperThanLimits_WithErrorNotCrash()
    {
        var json = "{\"subtasks\": [" + string.Concat(Enumerable.Repeat("{\"kind\": \"task\", \"subtasks\": [", 10_000))
            + new string(']', 1) + string.Concat(Enumerable.Repeat("}]", 10_000)) + "}";

        var error = JobJson.Deserialize(json, "deep.json").Error;

        Assert.NotNull(error);
        Assert.Contains("depth", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
