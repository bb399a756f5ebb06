using System.Text.Json;
using System.Text.Json.Serialization;
using Furrow.Core.Scripts;
using Furrow.Core.Text;

namespace Furrow.Core.Tests.Text;

public sealed class JsonProblemsTests
{
    [Theory]
    // A site config value of the wrong kind: the line and the column where the value starts, and the value.
    [InlineData("{\n  \"Name\": \"a\", \"MaxSlots\": \"two\"\n}", 2, 28, "at $.MaxSlots: expected a whole number, not \"two\"")]
    [InlineData("{\"MaxSlots\": 99999999999}", 1, 14, "at $.MaxSlots: expected a whole number, not 99999999999")]
    [InlineData("{\"MaxSlots\": [1, 2]}", 1, 14, "at $.MaxSlots: expected a whole number, not a list")]
    [InlineData("{\"Retries\": 5}", 1, 13, "at $.Retries: expected a list, not 5")]
    [InlineData("{\"Weight\": {\"x\": 1}}", 1, 12, "at $.Weight: expected a number, not an object")]
    [InlineData("{\"Strict\": \"yes\"}", 1, 12, "at $.Strict: expected true or false, not \"yes\"")]
    [InlineData("{\"Name\": 5}", 1, 10, "at $.Name: expected text, not 5")]
    [InlineData("[]", 1, 1, "at $: expected an object, not a list")]
    public void Config_WrongKindOfValue_IsSaidInPlainWords(string json, int line, int column, string message)
    {
        var problem = Problem(json);

        Assert.Equal(new JsonProblem(line, column, message), problem);
        AssertNoInternals(problem.Message);
    }

    [Theory]
    [InlineData("{\"Name\": \"a\"")]
    [InlineData("{\"Name\": \"a\", \"Retries\": [1, 2]\n")]
    public void Truncated_SaysWhatIsStillOpen(string json)
    {
        var problem = Problem(json);

        Assert.Equal("the JSON ends with an object or a list still open (a } or ] is missing)", problem.Message);
        AssertNoInternals(problem.Message);
    }

    [Fact]
    public void Config_UnknownKeyWhereRefused_NamesKeyAndKnownKeys()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"Name\": \"a\",\n \"Slotz\": 2}", StrictContext.Default.Sample));

        var problem = JsonProblems.Describe(error, "{\"Name\": \"a\",\n \"Slotz\": 2}", StrictContext.Default.Sample);

        Assert.Equal(2, problem.Line);
        Assert.Equal(2, problem.Column);
        Assert.Equal("unknown key \"Slotz\" (known keys: MaxSlots, Name, Retries, Strict, Weight)", problem.Message);
    }

    [Theory]
    [InlineData("{\"priority\": \"abc\"}", 1, 14, "at $.priority: expected a number, not \"abc\"")]
    [InlineData("{\"afterJids\": [1, \"x\"]}", 1, 19, "at $.afterJids[1]: expected a whole number, not \"x\"")]
    [InlineData("{\"title\": \"a\",\n  \"priorty\": 5}", 2, 3, "unknown key \"priorty\"")]
    [InlineData("{\"title\": \"a\", \"places\": {\"x\": 1}}", 1, 16, "unknown key \"places\"")]
    [InlineData("{\"subtasks\": [{\"title\": \"a\"}]}", 1, 0, "at $.subtasks[0]: a task needs \"kind\" (one of: task, instance)")]
    [InlineData("{\"subtasks\": [{\"kind\": \"iterate\"}]}", 1, 0, "at $.subtasks[0]: \"kind\" must be one of: task, instance, not \"iterate\"")]
    [InlineData("{\"title\": null}", 1, 11, "at $.title: \"title\" may not be null")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"commands\": [{\"kind\": \"farm\", \"argv\": [\"x\"]}]}]}", 1, 54,
        "at $.subtasks[0].commands[0].kind: expected one of: remote, local, builtin, not \"farm\"")]
    [InlineData("[]", 1, 1, "at $: expected an object, not a list")]
    // A column counts characters, not the reader's UTF-8 bytes: "é" is one, an emoji is one.
    [InlineData("{\"title\": \"Szène\", \"priority\": \"abc\"}", 1, 32, "at $.priority: expected a number, not \"abc\"")]
    [InlineData("{\"title\": \"\U0001F3AC\", \"priority\": \"abc\"}", 1, 28, "at $.priority: expected a number, not \"abc\"")]
    // A key given twice is refused at the second, rather than the last one winning; a task's "kind" too.
    [InlineData("{\"title\": \"x\", \"title\": \"y\"}", 1, 16, "duplicate key \"title\": a key may be given once")]
    [InlineData("{\n  \"title\": \"x\",\n  \"priority\": 1,\n  \"priority\": 2\n}", 4, 3, "duplicate key \"priority\": a key may be given once")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"title\": \"a\", \"title\": \"b\"}]}", 1, 46, "at $.subtasks[0]: duplicate key \"title\"")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"title\": \"a\", \"commands\": [{\"argv\": [\"a\"], \"argv\": [\"b\"]}]}]}", 1, 75,
        "at $.subtasks[0].commands[0]: duplicate key \"argv\"")]
    [InlineData("{\"subtasks\": [{\"kind\": \"task\", \"kind\": \"task\", \"title\": \"a\"}]}", 1, 32, "at $.subtasks[0]: duplicate key \"kind\": a key may be given once")]
    public void JobForm_ProblemsAreSaidInPlainWords(string json, int line, int column, string message)
    {
        var error = JobJson.Deserialize(json, "j.json").Error;

        Assert.NotNull(error);
        Assert.Equal(line, error.Line);
        if (column > 0)
            Assert.Equal(column, error.Column);
        else
            Assert.True(error.Column > 1, $"the reader's column, not 1: {error.Column}");
        Assert.StartsWith(message, error.Message);
        AssertNoInternals(error.Message);
    }

    [Fact]
    public void JobForm_UnknownKey_NamesTheKnownKeys()
    {
        var error = JobJson.Deserialize("{\"priorty\": 5}", "j.json").Error;

        Assert.NotNull(error);
        Assert.Contains("known keys: ", error.Message);
        Assert.Contains("priority", error.Message);
    }

    [Theory]
    [InlineData("{\"title\": \"a\", \"priority\": \"abc\"}", true)]
    [InlineData("{\"title\": \"a\", \"priority\": }", true)]
    [InlineData("{}", true)]
    [InlineData("{\"Job\": {\"title\": \"a\"}}", false)]
    [InlineData("{\"title\": \"a\", \"serialsubtasks\": 1}", false)]
    [InlineData("[]", false)]
    [InlineData("Job -title {a}", false)]
    public void IsJobForm_TellsFurrowsFormByItsTopLevelKeys(string json, bool expected) =>
        Assert.Equal(expected, JobJson.IsJobForm(json));

    [Theory]
    [InlineData("System.Int32", "a whole number")]
    [InlineData("System.Nullable`1[System.Double]", "a number")]
    [InlineData("System.Nullable`1[System.Boolean]", "true or false")]
    [InlineData("System.String", "text")]
    [InlineData("System.Collections.Generic.List`1[System.String]", "a list")]
    [InlineData("Furrow.Core.Scripts.JobSpec", "an object")]
    public void Words_NameTheKindOfValue(string type, string words) => Assert.Equal(words, JsonProblems.Words(type));

    private static JsonProblem Problem(string json)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, LenientContext.Default.Sample));
        return JsonProblems.Describe(error, json, LenientContext.Default.Sample);
    }

    private static void AssertNoInternals(string message)
    {
        foreach (var internals in new[] { "System.", "Furrow.", ".NET", "LineNumber", "BytePositionInLine", "nullability" })
            Assert.DoesNotContain(internals, message);
    }
}

public sealed class Sample
{
    public string Name { get; set; } = "";
    public int? MaxSlots { get; set; }
    public List<int> Retries { get; set; } = [];
    public double Weight { get; set; }
    public bool Strict { get; set; }
}

[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(Sample))]
internal sealed partial class LenientContext : JsonSerializerContext;

[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(Sample))]
internal sealed partial class StrictContext : JsonSerializerContext;
