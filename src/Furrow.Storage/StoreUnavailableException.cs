namespace Furrow.Storage;

/// <summary>The job database refused or failed a change; nothing of it was committed.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when retrying later may succeed (disk full, locked, connection lost).</summary>
    public bool IsTransient { get; init; } = true;
}
