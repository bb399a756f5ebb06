namespace Furrow.Core.Scheduling;

/// <summary>
/// How far a blade's clock is from the engine's, reckoned from its reports: each report says when the blade sent it
/// (its clock) and the engine notes when it arrived (its own). Their difference is the skew plus the report's time in
/// transit, which is never negative, so the smallest difference among the last <see cref="Window"/> reports is the
/// best estimate of the skew alone. Times the blade gives are put on the engine's clock by adding it, once it is at
/// least <see cref="CorrectionThresholdMs"/>: below that it cannot be told from the reports' time in transit, and a
/// blade kept in step by NTP would otherwise have its times moved by that transit.
/// </summary>
public sealed class ClockSkew
{
    /// <summary>The least skew (either way, ms) that is taken out of a blade's times.</summary>
    public const long CorrectionThresholdMs = 1_000;

    /// <summary>Reports the estimate looks back over; a blade clock stepped back (later) shows in full after this many.</summary>
    public const int Window = 16;

    private readonly long[] _samples = new long[Window];
    private int _count;
    private int _next;

    /// <summary>Engine clock minus blade clock in ms (positive: the blade is behind); null before any report said when it was sent.</summary>
    public long? Ms { get; private set; }

    /// <summary>Takes one report's times: when it arrived (engine clock, Unix ms) and when the blade says it sent it (blade clock, Unix ms).</summary>
    public void Add(long arrivedMs, long sentMs)
    {
        _samples[_next] = arrivedMs - sentMs;
        _next = (_next + 1) % Window;
        _count = Math.Min(_count + 1, Window);
        var min = long.MaxValue;
        for (var i = 0; i < _count; i++)
            min = Math.Min(min, _samples[i]);
        Ms = min;
    }

    /// <summary>
    /// A blade-clock time (Unix ms) on the engine's clock, kept within [<paramref name="notBefore"/>, <paramref name="notAfter"/>]
    /// (engine clock: what the engine knows cannot have been otherwise, such as a start before its dispatch).
    /// </summary>
    public long ToEngine(long bladeMs, long notBefore, long notAfter) =>
        Math.Clamp(bladeMs + (Ms is { } ms && Math.Abs(ms) >= CorrectionThresholdMs ? ms : 0), Math.Min(notBefore, notAfter), notAfter);
}
