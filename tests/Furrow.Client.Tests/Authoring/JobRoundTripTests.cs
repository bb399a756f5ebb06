using CsCheck;
using Furrow.Client.Authoring;
using Furrow.Client.Tests.Support;
using Furrow.Core.Scripts;

namespace Furrow.Client.Tests.Authoring;

/// <summary>
/// The round-trip guarantee, over generated jobs full of Tcl's special characters and non-ASCII text: the alfred text
/// <see cref="Job.ToAlfred"/> writes reads back through Furrow's parser to the job <see cref="Job.ToJobSpec"/> gives.
/// </summary>
public sealed class JobRoundTripTests
{
    // Jobs are up to ~80 tasks each; this many keeps the test to a few seconds on a small machine.
    private const int Iterations = 400;

    [Fact]
    public void ToAlfred_AnyJob_ParsesBackToTheSameJobSpec()
    {
        JobShapes.Job.Sample(shape =>
        {
            var job = JobShapes.Build(shape);
            var spec = job.ToJobSpec();
            var text = job.ToAlfred();

            var read = AlfredParser.Parse(text, "authored.alf");

            Assert.True(read.Succeeded, $"{read.Error}\n--- written script ---\n{text}");
            Assert.Equal(JobJson.Serialize(spec), JobJson.Serialize(read.Job));
        }, iter: Iterations);
    }

    [Fact]
    public void ToAlfred_AnyJob_IsWhatTheWriterWritesForTheJobReadBack()
    {
        JobShapes.Job.Sample(shape =>
        {
            var text = JobShapes.Build(shape).ToAlfred();

            var again = AlfredWriter.Write(AlfredParser.Parse(text, "authored.alf").GetJobOrThrow());

            Assert.Equal(text, again);
        }, iter: Iterations);
    }

    [Fact]
    public void ToJobSpec_AnyJob_IsANewObjectEachCall()
    {
        JobShapes.Job.Sample(shape =>
        {
            var job = JobShapes.Build(shape);
            var first = job.ToJobSpec();
            first.Subtasks.Clear();
            first.Title = "changed";

            Assert.NotEqual(JobJson.Serialize(first), JobJson.Serialize(job.ToJobSpec()));
        }, iter: 50);
    }

    [Fact]
    public void Validate_TextWithANulCharacter_IsRefusedWhereverItIs()
    {
        Gen.Select(JobShapes.Job, Gen.Int[0, 3]).Sample((shape, where) =>
        {
            var job = JobShapes.Build(shape);
            switch (where)
            {
                case 0:
                    job.Title += "\0";
                    break;
                case 1:
                    job.Tags.Add("a\0b");
                    break;
                case 2:
                    job.Cleanup.Add(new Command("rm", "\0"));
                    break;
                default:
                    job.Subtasks.Add(new JobTask("x") { Commands = { new Command("echo") { EnvKey = { "\0" } } } });
                    break;
            }

            var refused = Assert.Throws<InvalidJobException>(job.Validate);
            Assert.Contains("NUL", refused.Message, StringComparison.Ordinal);
        }, iter: 100);
    }
}
