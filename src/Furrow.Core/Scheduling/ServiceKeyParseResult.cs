using System.Diagnostics.CodeAnalysis;

namespace Furrow.Core.Scheduling;

/// <summary>Why a service key expression was refused, and where.</summary>
/// <param name="Column">1-based character position of the offending token in the text given.</param>
/// <param name="Token">The offending token as written; empty at the end of the text.</param>
/// <param name="Problem">What was expected and what was found, e.g. <c>expected a service key or '(' after '&amp;&amp;', found end of text</c>.</param>
public sealed record ServiceKeyError(int Column, string Token, string Problem)
{
    /// <summary>The whole message, e.g. <c>column 9: expected a service key or '(' after '&amp;&amp;', found end of text</c>.</summary>
    public string Message => $"column {Column}: {Problem}";

    public override string ToString() => Message;
}

/// <summary>Outcome of <see cref="ServiceKey.Parse"/>: a service key expression or an error, never both.</summary>
public sealed class ServiceKeyParseResult
{
    private ServiceKeyParseResult(ServiceKey? key, ServiceKeyError? error)
    {
        Key = key;
        Error = error;
    }

    public ServiceKey? Key { get; }

    public ServiceKeyError? Error { get; }

    [MemberNotNullWhen(true, nameof(Key))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Key is not null;

    internal static ServiceKeyParseResult Succeeded(ServiceKey key) => new(key, null);

    internal static ServiceKeyParseResult Failed(ServiceKeyError error) => new(null, error);
}
