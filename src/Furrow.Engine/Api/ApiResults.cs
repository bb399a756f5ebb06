using System.Text.Json;
using System.Text.RegularExpressions;
using Furrow.Client.Protocol;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Api;

/// <summary>
/// Error replies: RFC 7807 problem details (application/problem+json) that also carry Tractor's `{rc, msg}`, so Tractor's
/// own clients can read them too (<see cref="ErrorReply"/>); under Tractor's URLs (`/Tractor/...`) exactly
/// `{"rc": N, "msg": "..."}`, as Tractor's engine answers them (<see cref="ErrorResult"/>).
/// </summary>
internal static partial class ApiResults
{
    public const string ProblemJson = "application/problem+json";

    public static ErrorResult Error(int status, string message) => new(status, message);

    public static ErrorResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, message);

    /// <summary>What a 415 says: the path takes JSON, and which content type came instead.</summary>
    public static string NotJsonMessage(HttpRequest request) =>
        $"{request.Path} takes a JSON body (Content-Type: application/json), " +
        (string.IsNullOrEmpty(request.ContentType) ? "and the request names no Content-Type" : $"not '{request.ContentType}'");

    /// <summary>
    /// What a request the framework could not bind is told, in the caller's terms: a body that is not JSON (415), no body
    /// where one is needed, JSON that does not parse or does not fit (line, column and path of the problem), a route or
    /// query value of the wrong kind. Never the framework's own wording, which names parameters and types of this code.
    /// </summary>
    public static string BindingMessage(HttpRequest request, BadHttpRequestException error)
    {
        if (error.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return NotJsonMessage(request);
        if (error.InnerException is JsonException json)
            return NotTheJsonMessage(request, json);
        // Kestrel's own words name its option (MinRequestBodyDataRate); the site sets it as tractor.config's keys.
        if (error.StatusCode == StatusCodes.Status408RequestTimeout
            && request.HttpContext.RequestServices.GetService(typeof(Microsoft.Extensions.Options.IOptions<Site.EngineOptions>))
                is Microsoft.Extensions.Options.IOptions<Site.EngineOptions> { Value.SlowClients: var slow })
        {
            return $"the request body came slower than {slow.MinBytesPerSecond:0.##} bytes a second after {slow.MinRateGrace.TotalSeconds:0.##} s " +
                "(MinClientBytesPerSec and MinClientRateGraceSecs in tractor.config): send it faster";
        }
        var message = error.Message;
        if (message.Contains("no body was provided", StringComparison.Ordinal))
            return $"{request.Method} {request.Path} takes a JSON body (Content-Type: application/json) and none was sent";
        if (BindFailure().Match(message) is { Success: true } bind)
            return $"{bind.Groups["name"].Value} must be {Core.Text.JsonProblems.Words(bind.Groups["type"].Value)}, not '{bind.Groups["value"].Value}'";
        if (Missing().Match(message) is { Success: true } missing)
            return $"{missing.Groups["name"].Value} is required (in the {missing.Groups["where"].Value})";
        return message;
    }

    /// <summary>
    /// A body that is JSON but not what <paramref name="request"/>'s path takes, or not JSON at all: where (line and column
    /// from 1, and the JSON path) and what is wrong, without the type names of this code.
    /// </summary>
    public static string NotTheJsonMessage(HttpRequest request, JsonException error)
    {
        // The body's type, where the endpoint names one, lets an unknown key be answered with the known ones.
        var type = request.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        var problem = Core.Text.JsonProblems.Describe(error, root: type is null ? null : FurrowJsonContext.Default.GetTypeInfo(type));
        return $"the request body is not the JSON {request.Path} takes at line {problem.Line}, column {problem.Column}: {problem.Message}";
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>\S+) (?<name>[^"]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex("""^Required parameter "(?:\S+ )?(?<name>[^"]+)" was not provided from (?<where>[a-z ]+?)\.?$""")]
    private static partial Regex Missing();

    public static ErrorResult NotFound(string message) => Error(StatusCodes.Status404NotFound, message);

    /// <summary>The blade must register again (engine restarted without knowing it, or the blade restarted).</summary>
    public static ErrorResult RegisterAgain(string blade) =>
        Error(StatusCodes.Status409Conflict, $"blade {blade} is not registered with this engine under that boot id; register again");

    public static ErrorResult Unavailable(string message) => Error(StatusCodes.Status503ServiceUnavailable, message);
}
