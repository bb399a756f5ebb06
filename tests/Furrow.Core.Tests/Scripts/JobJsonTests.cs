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
    [InlineData("{\"title\": \"a\\u0000b\"}", "null.json:1:11: at $.title: a NUL character (\\u0000) in a value")]
    [InlineData("{\"title\": \"a\\ud800\"}", "null.json:1:11: at $.title: an escaped surrogate without its pair")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"commands\": [{\"argv\": [\"echo\", \"x\\u0000y\"]}]}]}", "at $.subtasks[0].commands[0].argv[1]: a NUL character")]
    public void Deserialize_RefusesANulCharacterWhereItIs(string json, string expected)
    {
        var error = JobJson.Deserialize(json, "null.json").Error;

        Assert.NotNull(error);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
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
        Assert.StartsWith("braces and brackets nested more than 520 deep (the JSON form's limit for ScriptMaxDepth 256", error.Message);
    }

    // As alfred answers a script nested past ScriptMaxDepth: in the writer's terms and at the place, not the reader's
    // own wording ("The maximum configured depth of 520 has been exceeded").
    [Theory]
    [InlineData(260, 256)]
    [InlineData(14, 10)]
    public void Deserialize_TasksNestedPastScriptMaxDepth_AreRefusedNamingTheLimitAndPlace(int depth, int limit)
    {
        const string level = "{\"kind\":\"task\",\"title\":\"t\",\"subtasks\":[";
        var json = "{\"title\":\"deep\",\"subtasks\":[" + string.Concat(Enumerable.Repeat(level, depth))
            + string.Concat(Enumerable.Repeat("]}", depth)) + "]}";
        var limits = new ScriptLimits { MaxDepth = limit };

        var error = JobJson.Deserialize(json, "deep.json", limits).Error;

        Assert.NotNull(error);
        Assert.Equal($"braces and brackets nested more than {limit * 2 + 8} deep (the JSON form's limit for ScriptMaxDepth {limit}: " +
            "two for each level of tasks, and 8 for the job and a command)", error.Message);
        Assert.Equal(1, error.Line);
        // At the object that went one level too deep: the job, its list, then two levels a task.
        var opened = 2 + ((limit * 2 + 8 - 2) / 2);
        Assert.Equal("{\"title\":\"deep\",\"subtasks\":[".Length + ((opened - 2) * level.Length) + 1, error.Column);
        var shallower = "{\"title\":\"deep\",\"subtasks\":[" + string.Concat(Enumerable.Repeat(level, depth - 1))
            + string.Concat(Enumerable.Repeat("]}", depth - 1)) + "]}";
        Assert.Null(JobJson.Deserialize(shallower, "deep.json", limits).Error);
    }

    [Theory]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"title\": \"a\",\n \"commands\": [{\"kind\": \"remote\", \"argv\": []}]}]}",
        2, 34, "a remote command", "$.subtasks[0].commands[0].argv")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"title\": \"a\", \"commands\": [{\"argv\": [\"ok\"]}],\n \"subtasks\": [{\"kind\": \"task\", \"title\": \"b\", \"cleanup\": [{\"kind\": \"local\"}]}]}]}",
        2, 58, "a local command", "$.subtasks[0].subtasks[0].cleanup[0]")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"title\": \"a\", \"commands\": [{\"argv\": [\"ok\"]}]}], \"postscript\": [{\"argv\": []}]}",
        1, 96, "a remote command", "$.postscript[0].argv")]
    public void Deserialize_CommandWithEmptyCommandLine_IsRefusedAtItsPlace(string json, int line, int column, string what, string path)
    {
        var error = JobJson.Deserialize(json, "empty.json").Error;

        Assert.NotNull(error);
        Assert.Equal($"{what} has an empty command line: \"argv\" takes the program and its arguments, such as [\"prman\", \"frame.rib\"] (at {path})",
            error.Message);
        Assert.Equal((line, column), (error.Line, error.Column));
    }
}
