namespace Furrow.Core.Query;

/// <summary>Why a clause or sort list was rejected, and where.</summary>
/// <param name="Column">1-based character offset of the offending token in the text given.</param>
/// <param name="Token">Text of the offending token; empty at the end of the input.</param>
/// <param name="Problem">What went wrong, without the position, e.g. <c>expected a value after '='</c>.</param>
/// <param name="Hint">A suggestion such as <c>did you mean 'priority'?</c>, or null.</param>
public sealed record QueryError(int Column, string Token, string Problem, string? Hint = null)
{
    /// <summary>The whole message as tq prints it.</summary>
    public string Message => Hint is null
        ? $"{Problem} at column {Column}"
        : $"{Problem} at column {Column} ({Hint})";

    public override string ToString() => Message;
}
