namespace Furrow.Client;

/// <summary>The engine answered with an error; <see cref="Exception.Message"/> is its `msg`.</summary>
public sealed class EngineException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
