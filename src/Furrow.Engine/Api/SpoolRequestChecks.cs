using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Furrow.Engine.Api;

/// <summary>
/// What POST /api/v1/jobs refuses before it reads a script: a body whose content type is no job script (415, naming the
/// types it takes), and an owner given as an empty name (400). Run as the endpoint's filter, so the handler only sees
/// requests it can spool.
/// </summary>
internal static class SpoolRequestChecks
{
    /// <summary>
    /// The content types a script may come as. Alfred text: text/plain (Furrow's client), application/tractor-spool
    /// (Tractor's EngineClient and 1.x spoolers), application/x-alfred, and application/x-www-form-urlencoded (what curl
    /// --data-binary and Tractor's own HTTP layer send when nothing else is named). The JSON job form: application/json and
    /// application/tractor-spool-json. No content type at all is alfred text too.
    /// </summary>
    public static readonly string[] Accepted =
    [
        "text/plain", "application/x-alfred", "application/tractor-spool", "application/x-www-form-urlencoded",
        "application/json", "application/tractor-spool-json",
    ];

    public static async ValueTask<object?> CheckAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (request.ContentType is { Length: > 0 } given
            && !(MediaTypeHeaderValue.TryParse(given, out var type) && Accepted.Contains(type.MediaType.Value, StringComparer.OrdinalIgnoreCase)))
        {
            return ApiResults.Error(StatusCodes.Status415UnsupportedMediaType,
                $"{request.Path} takes a job script as {string.Join(", ", Accepted)}, not '{given}'");
        }
        if (request.Query.TryGetValue("user", out var user) && string.IsNullOrWhiteSpace(user.FirstOrDefault()))
            return ApiResults.BadRequest("user: the name is empty; give the job's owner, or leave user out to spool as 'unknown'");
        return await next(context);
    }
}
