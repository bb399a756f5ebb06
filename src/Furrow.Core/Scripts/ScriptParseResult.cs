using System.Diagnostics.CodeAnalysis;

namespace Furrow.Core.Scripts;

/// <summary>The outcome of reading a job script: either the job or the first error found in it.</summary>
public sealed class ScriptParseResult
{
    private ScriptParseResult(JobSpec? job, ScriptError? error)
    {
        Job = job;
        Error = error;
    }

    public JobSpec? Job { get; }

    public ScriptError? Error { get; }

    [MemberNotNullWhen(true, nameof(Job))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Job is not null;

    public static ScriptParseResult Success(JobSpec job) => new(job ?? throw new ArgumentNullException(nameof(job)), null);

    public static ScriptParseResult Failure(ScriptError error) => new(null, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>The job, or a <see cref="ScriptSyntaxException"/> for callers that treat a bad script as fatal.</summary>
    public JobSpec GetJobOrThrow() => Succeeded ? Job : throw new ScriptSyntaxException(Error);
}
