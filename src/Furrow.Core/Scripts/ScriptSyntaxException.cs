namespace Furrow.Core.Scripts;

/// <summary>A job script error raised as an exception, for callers that prefer throwing to checking a result.</summary>
public sealed class ScriptSyntaxException : Exception
{
    public ScriptSyntaxException(ScriptError error)
        : base(error?.ToString())
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    public ScriptError Error { get; }
}
