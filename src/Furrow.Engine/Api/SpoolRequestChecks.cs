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
        // Furrow's client writes format=alfred or json, Tractor's format=JSON: any case of either; anything else was a value
        // meant otherwise, which would be read as alfred in silence.
        if (request.Query["format"].FirstOrDefault() is { } format
            && !(string.Equals(format, "json", StringComparison.OrdinalIgnoreCase) || string.Equals(format, "alfred", StringComparison.OrdinalIgnoreCase)))
            return ApiResults.BadRequest($"format '{Core.Text.TerminalText.Shown(format)}': expected json " +
                "(a JSON job form) or alfred (an alfred script); leave format= out to let the Content-Type say which it is");
        _ = Core.Scripts.JobWideValues.Read(Given(request.Query), out var badValue);
        if (badValue is not null)
            return ApiResults.BadRequest(badValue);
        if (request.Query["host"].FirstOrDefault() is { } host && Core.Scripts.SpoolPlace.HostProblem(host) is { } badHost)
            return ApiResults.BadRequest($"host '{host}' is no host name: {badHost}");
        if (request.Query["cwd"].FirstOrDefault() is { } cwd && !Core.Scripts.SpoolPlace.IsWholeDirectory(cwd))
            return ApiResults.BadRequest($"cwd '{cwd}' is {(cwd.Length == 0 ? "empty" : "a relative directory")}: give it whole (/show/shot010), as the blades start the job's commands there");
        return await next(context);
    }

    /// <summary>
    /// The job-wide values a spool gives beside the script, read from its query parameters of the same names
    /// (<see cref="Core.Scripts.JobWideValues.Read"/>).
    /// </summary>
    public static Func<string, (string Name, string Value)?> Given(IQueryCollection query) =>
        name => query[name].FirstOrDefault() is { } value ? (name, value) : null;

    /// <summary>The 413 for a script over <paramref name="limit"/> bytes, declared or found while reading.</summary>
    public static IResult TooLarge(HttpRequest request, long limit) =>
        ApiResults.Error(StatusCodes.Status413PayloadTooLarge,
            $"{request.Query["file"].FirstOrDefault() ?? "the script"}: larger than the engine's limit of {limit} bytes (ScriptMaxBytes)");
}
