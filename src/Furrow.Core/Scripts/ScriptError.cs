namespace Furrow.Core.Scripts;

/// <summary>Why a job script was refused, and where: 1-based line and column in the named file.</summary>
public sealed record ScriptError(string FileName, int Line, int Column, string Message)
{
    public override string ToString() => $"{FileName}:{Line}:{Column}: {Message}";
}
