namespace Furrow.Engine.Tractor;

/// <summary>`/Tractor/db` (TRACTOR-PROTOCOL §4a): not served yet.</summary>
internal static class TractorDb
{
    /// <summary>Answers db?q=....</summary>
    public static Task<TractorReply> HandleAsync(TractorCall call) => Task.FromResult(call.UnknownQuery("db", []));
}
