namespace Furrow.Client;

/// <summary>The engine answered with an error; <see cref="Exception.Message"/> is its `msg`.</summary>
public sealed class EngineException(int statusCode, string message) : Exception(message)
{
    /// <summary>The HTTP status of the engine's answer (Tractor's <c>rc</c>), e.g. 400 for a refused script, 404 for no such job.</summary>
    public int StatusCode { get; } = statusCode;
}
