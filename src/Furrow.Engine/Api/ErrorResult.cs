using Furrow.Client.Protocol;
using Furrow.Engine.Tractor;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Api;

/// <summary>
/// An error reply, said in the shape its caller reads: a request to Tractor's URLs (`/Tractor/...`) gets exactly
/// `{"rc": STATUS, "msg": MESSAGE}` (application/json), as Tractor's engine answers and its clients expect, whichever part
/// of the engine refused it (routing, a body that does not bind, a login, a rate limit, the verb); any other gets the
/// problem document <see cref="ErrorReply"/> (application/problem+json), which carries rc and msg too. A refused Tractor
/// login also says `"tsid": null` (<see cref="TractorLogin.Refused"/>).
/// </summary>
internal sealed class ErrorResult(int status, string message) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ErrorReply>, IContentTypeHttpResult
{
    /// <summary>The HTTP status, also the reply's rc.</summary>
    public int StatusCode { get; } = status;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>The problem document a native caller gets.</summary>
    public ErrorReply Value { get; } = new(status, message);

    object? IValueHttpResult.Value => Value;

    /// <summary>The content type a native caller gets.</summary>
    public string ContentType => ApiResults.ProblemJson;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (TractorRequests.IsLogin(httpContext.Request))
            return TractorLogin.Refused(StatusCode, Value.Msg).WriteAsync(httpContext);
        return TractorRequests.IsTractor(httpContext.Request) || TractorRequests.HasEscapedSlash(httpContext.Request)
            ? TractorReply.Error(StatusCode, Value.Msg).WriteAsync(httpContext)
            : TypedResults.Json(Value, FurrowJsonContext.Default.ErrorReply, ContentType, StatusCode).ExecuteAsync(httpContext);
    }
}
