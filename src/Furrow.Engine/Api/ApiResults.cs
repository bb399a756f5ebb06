using Furrow.Client.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Furrow.Engine.Api;

/// <summary>
/// Error replies: RFC 7807 problem details (application/problem+json) that also carry Tractor's `{rc, msg}`, so Tractor's
/// own clients can read them too (<see cref="ErrorReply"/>).
/// </summary>
internal static class ApiResults
{
    public const string ProblemJson = "application/problem+json";

    public static JsonHttpResult<ErrorReply> Error(int status, string message) =>
        TypedResults.Json(new ErrorReply(status, message), FurrowJsonContext.Default.ErrorReply, ProblemJson, status);

    public static JsonHttpResult<ErrorReply> BadRequest(string message) => Error(StatusCodes.Status400BadRequest, message);

    /// <summary>What a 415 says: the path takes JSON, and which content type came instead.</summary>
    public static string NotJsonMessage(HttpRequest request) =>
        $"{request.Path} takes a JSON body (Content-Type: application/json), not '{request.ContentType}'";

    public static JsonHttpResult<ErrorReply> NotFound(string message) => Error(StatusCodes.Status404NotFound, message);

    /// <summary>The blade must register again (engine restarted without knowing it, or the blade restarted).</summary>
    public static JsonHttpResult<ErrorReply> RegisterAgain(string blade) =>
        Error(StatusCodes.Status409Conflict, $"blade {blade} is not registered with this engine under that boot id; register again");

    public static JsonHttpResult<ErrorReply> Unavailable(string message) => Error(StatusCodes.Status503ServiceUnavailable, message);
}
