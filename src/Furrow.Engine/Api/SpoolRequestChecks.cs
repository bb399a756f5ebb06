using System.Globalization;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Furrow.Engine.Api;

/// <summary>
/// What POST /api/v1/jobs refuses before it reads a script (or waits for room to read it): a body whose content type is
/// no job script (415, naming the types it takes), a declared length over ScriptMaxBytes (413), and an owner given as an
/// empty name, a priority that is not a finite number or a paused flag that is not 1 or 0 (400). Run as the endpoint's
/// filter, so the handler only sees requests it can spool.
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
        var limit = context.HttpContext.RequestServices.GetRequiredService<IOptions<EngineOptions>>().Value.ScriptLimits.MaxBytes;
        if (request.ContentLength > limit)
            return TooLarge(request, limit);
        if (request.Query["priority"].FirstOrDefault() is { } priority
            && !(double.TryParse(priority, NumberStyles.Float, CultureInfo.InvariantCulture, out var finite) && double.IsFinite(finite)))
            return ApiResults.BadRequest($"priority '{priority}': expected a finite number");
        if (request.Query["paused"].FirstOrDefault() is { } paused && !Core.Scripts.JobWideValues.PausedWords.Contains(paused))
            return ApiResults.BadRequest($"paused '{paused}': expected one of {string.Join(", ", Core.Scripts.JobWideValues.PausedWords)}");
        foreach (var name in OverrideNames)
        {
            if (request.Query[name].FirstOrDefault() is { } value && value.Contains('\0', StringComparison.Ordinal))
                return ApiResults.BadRequest($"bad {name}: it may not contain a NUL character");
        }
        if (request.Query["maxactive"].FirstOrDefault() is { } maxActive
            && !(int.TryParse(maxActive, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            return ApiResults.BadRequest($"maxactive '{maxActive}': expected a whole number from 0 up (0: no limit)");
        _ = Core.Scripts.JobWideValues.JobIds(request.Query["afterjids"].FirstOrDefault(), out var badJids);
        if (badJids is not null)
            return ApiResults.BadRequest(badJids);
        return await next(context);
    }

    /// <summary>
    /// The job-wide values a spool may give beside the script, as query parameters: title, tier, projects and envkey
    /// (words separated by spaces or commas), svckey (a service key expression, ANDed with the script's), maxactive, after
    /// (the script's <c>-after</c> form) and afterjids (job ids separated by spaces or commas).
    /// </summary>
    public static readonly string[] OverrideNames = ["title", "tier", "projects", "svckey", "envkey", "maxactive", "after", "afterjids"];

    /// <summary>The 413 for a script over <paramref name="limit"/> bytes, declared or found while reading.</summary>
    public static IResult TooLarge(HttpRequest request, long limit) =>
        ApiResults.Error(StatusCodes.Status413PayloadTooLarge,
            $"{request.Query["file"].FirstOrDefault() ?? "the script"}: larger than the engine's limit of {limit} bytes (ScriptMaxBytes)");
}
