using Furrow.Core.Scripts;

namespace Furrow.Client.Authoring;

/// <summary>Builds a <see cref="Job"/> into Furrow's job model and alfred text, checked on the way.</summary>
internal static class JobBuild
{
    /// <exception cref="InvalidJobException">The job breaks a rule; see <see cref="Job.Validate"/>.</exception>
    public static JobSpec Build(Job job)
    {
        var builder = new JobSpecBuilder();
        var spec = builder.Build(job);
        JobChecks.Check(spec, builder);
        return spec;
    }

    /// <exception cref="InvalidJobException">The job breaks a rule, or its text exceeds what Furrow's parser takes.</exception>
    public static string ToAlfred(Job job)
    {
        var text = AlfredWriter.Write(Build(job));

        // Size and nesting are bounded by the parser's ScriptLimits on the text itself, so the parser is the one judge.
        var read = AlfredParser.Parse(text, job.Title + ".alf");
        return read.Succeeded
            ? text
            : throw new InvalidJobException($"job \"{job.Title}\": Furrow's parser refuses the job's alfred text: {read.Error.Message}");
    }
}
