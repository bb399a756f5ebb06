namespace Furrow.Engine.Tractor;

/// <summary>`/Tractor/queue` (TRACTOR-PROTOCOL §4d): not served yet.</summary>
internal static class TractorQueue
{
    /// <summary>Answers queue?q=....</summary>
    public static Task<TractorReply> HandleAsync(TractorCall call) => Task.FromResult(call.UnknownQuery("queue", []));
}
