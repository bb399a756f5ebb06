namespace Furrow.Core.Scripts;

/// <summary>Bounds on what a job script may ask of the parser, so hostile or broken input fails fast instead of exhausting the engine.</summary>
public sealed record ScriptLimits
{
    public static ScriptLimits Default { get; } = new();

    /// <summary>Largest script accepted, in UTF-8 bytes.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Deepest nesting of braces, brackets, parentheses and tasks.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>Most task nodes (including Iterate expansions) one script may produce.</summary>
    public int MaxTasks { get; init; } = 1_000_000;
}
