using System.Collections.Concurrent;

namespace Furrow.Engine.Blades;

/// <summary>
/// When each blade process last said it was alive, kept apart from the farm so that noting a heartbeat never waits for
/// the farm's lock or a commit. Written by the heartbeat endpoint (any request thread), read by the silence sweep.
/// </summary>
internal sealed class BladeHeartbeats(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (string BootId, long TimeMs)> _last = new();

    public void Note(string bladeName, string bootId) => _last[bladeName] = (bootId, clock.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>The last heartbeat from this blade process (matched by boot id), or null.</summary>
    public long? LastFrom(string bladeName, string bootId) =>
        _last.TryGetValue(bladeName, out var last) && last.BootId == bootId ? last.TimeMs : null;
}
