namespace Furrow.Client;

/// <summary>The engine answered with an error; <see cref="Exception.Message"/> is its `msg`.</summary>
public sealed class EngineException(int statusCode, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    /// <summary>The HTTP status of the engine's answer (Tractor's <c>rc</c>), e.g. 400 for a refused script, 404 for no such job.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>
    /// How long the engine asked the caller to wait before trying again (its Retry-After header), or null when it named no
    /// time. Set with 429 (the caller's requests a second are over the engine's limit, or too many logins) and some 503s.
    /// </summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
