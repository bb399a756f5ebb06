using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/ctrl` (TRACTOR-PROTOCOL §4d): `status` (a ping, and how Tractor's clients check a saved tsid still
/// stands: it needs a login on an engine that needs them).
/// </summary>
internal static class TractorCtrl
{
    private static readonly string[] Queries = ["status"];

    /// <summary>Answers ctrl?q=....</summary>
    public static async Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (!Queries.Contains(call.Q))
            return call.UnknownQuery("ctrl", Queries);
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        return await StatusAsync(call).ConfigureAwait(false);
    }

    // The native status, under Tractor's rc/msg; qlen=1 and enumq=1 ask for the queue's size, which it always carries.
    private static async Task<TractorReply> StatusAsync(TractorCall call)
    {
        var native = await call.NativeAsync("EngineStatus", []).ConfigureAwait(false);
        return TractorCall.From(native, root => TractorReply.Ok("engine running", w =>
        {
            foreach (var property in root.EnumerateObject())
                property.WriteTo(w);
            w.WriteString("user", call.User);
        }));
    }
}
