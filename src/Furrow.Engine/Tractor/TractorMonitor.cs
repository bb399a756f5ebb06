namespace Furrow.Engine.Tractor;

/// <summary>`/Tractor/monitor` (TRACTOR-PROTOCOL §2, §5): the login queries (<see cref="TractorLogin"/>).</summary>
internal static class TractorMonitor
{
    /// <summary>Answers monitor?q=....</summary>
    public static Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (TractorLogin.Queries.Contains(call.Q))
            return TractorLogin.HandleAsync(call);
        return Task.FromResult(call.UnknownQuery("monitor", TractorLogin.Queries));
    }
}
