using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/config?file=NAME` (TRACTOR-PROTOCOL §2 step 1, §5e): Tractor's engine serves site files to its clients.
/// Furrow serves none: a client asking for trSiteFunctions.py gets 404, which Tractor's clients take as "no site
/// password hash" and go on to monitor?q=loginscheme.
/// </summary>
internal static class TractorConfig
{
    /// <summary>Answers config?file=... (and config?q=get&amp;file=...) with 404 naming the file.</summary>
    public static Task<TractorReply> HandleAsync(TractorCall call)
    {
        var file = call.Get("file");
        return Task.FromResult(file is { Length: > 0 }
            ? TractorReply.Error(StatusCodes.Status404NotFound, $"this Furrow engine serves no site file {TractorCall.Shown(file)}" +
                (file.EndsWith(".py", StringComparison.OrdinalIgnoreCase) ? " (Tractor's clients then use monitor?q=loginscheme)" : ": read it in the site's config directory"))
            : TractorReply.Error(StatusCodes.Status400BadRequest, "config needs file= (Furrow serves no site files: each answers 404)"));
    }
}
