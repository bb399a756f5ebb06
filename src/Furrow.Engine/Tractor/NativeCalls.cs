using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Furrow.Engine.Tractor;

/// <summary>
/// Runs a native API endpoint (by its OpenAPI operation name, e.g. "Operate") inside a Tractor request, with the query
/// string, route values and body the native API takes, and hands back what it answered instead of sending it. This is
/// how the Tractor face adds no logic of its own: every check, rule and store call is the native endpoint's, run as the
/// caller the Tractor request was authenticated as (authentication, crews.config's login rules and `user=` were
/// settled by the middleware both share).
/// </summary>
internal sealed class NativeCalls(EndpointDataSource endpoints)
{
    private FrozenDictionary<string, RouteEndpoint>? _byName;

    /// <summary>
    /// Runs endpoint <paramref name="name"/> with <paramref name="query"/> as its query string, <paramref name="route"/>
    /// as its route values and, when given, <paramref name="body"/> (with its content type) as its request body; the
    /// caller's request is restored after. Throws InvalidOperationException for a name no endpoint has (a bug here).
    /// </summary>
    public async Task<NativeReply> CallAsync(HttpContext context, string name, IEnumerable<KeyValuePair<string, string?>> query,
        RouteValueDictionary? route = null, (string ContentType, Stream Body, long? Length)? body = null)
    {
        _byName ??= endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .ToFrozenDictionary(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, StringComparer.Ordinal);
        if (!_byName.TryGetValue(name, out var endpoint) || endpoint.RequestDelegate is not { } run)
            throw new InvalidOperationException($"no native endpoint is named {name}");

        var request = context.Request;
        var response = context.Response;
        var saved = (request.QueryString, RouteValues: new RouteValueDictionary(request.RouteValues), request.ContentType, request.ContentLength,
            request.Body, Endpoint: context.GetEndpoint(), BodyFeature: context.Features.Get<IHttpResponseBodyFeature>()!,
            Headers: response.Headers.ToArray(), response.StatusCode, BodyDetection: context.Features.Get<IHttpRequestBodyDetectionFeature>(),
            QueryFeature: context.Features.Get<IQueryFeature>());
        using var captured = new MemoryStream();
        try
        {
            var parameters = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in query)
                parameters[key] = parameters.TryGetValue(key, out var before) ? StringValues.Concat(before, value ?? "") : new StringValues(value ?? "");
            SetQuery(context, parameters);
            request.RouteValues = route ?? [];
            if (body is var (contentType, stream, length))
            {
                request.ContentType = contentType;
                request.ContentLength = length;
                request.Body = stream;
                // Minimal APIs read a body only from a request that can have one; a Tractor GET or empty POST cannot.
                context.Features.Set<IHttpRequestBodyDetectionFeature>(new HasBody());
            }
            context.SetEndpoint(endpoint);
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(captured));
            await run(context).ConfigureAwait(false);
            return new NativeReply(response.StatusCode, response.ContentType, captured.ToArray());
        }
        finally
        {
            context.Features.Set(saved.BodyFeature);
            context.Features.Set(saved.BodyDetection);
            context.Features.Set(saved.QueryFeature);
            context.SetEndpoint(saved.Endpoint);
            request.QueryString = saved.QueryString;
            request.RouteValues = saved.RouteValues;
            request.ContentType = saved.ContentType;
            request.ContentLength = saved.ContentLength;
            request.Body = saved.Body;
            // What the native endpoint set (its ETag, Link, content type) is not the Tractor reply's.
            response.Headers.Clear();
            foreach (var (key, value) in saved.Headers)
                response.Headers[key] = value;
            response.StatusCode = saved.StatusCode;
        }
    }

    /// <summary>
    /// Makes <paramref name="parameters"/> (names without regard to case, each name's values in order) the request's query:
    /// its QueryString, and the <c>Query</c> the framework would parse from it, set from them rather than parsed again. A
    /// tractorselect of a 20,000-job list is a 120 KB parameter, which each hop would otherwise encode and parse once more.
    /// </summary>
    public static void SetQuery(HttpContext context, Dictionary<string, StringValues> parameters)
    {
        context.Request.QueryString = QueryString.Create(parameters);
        context.Features.Set<IQueryFeature>(new QueryFeature(new QueryCollection(parameters)));
    }
}

file sealed class HasBody : IHttpRequestBodyDetectionFeature
{
    public bool CanHaveBody => true;
}

/// <summary>What a native endpoint answered: its status, content type and body.</summary>
internal sealed record NativeReply(int Status, string? ContentType, byte[] Body)
{
    /// <summary>True for a 2xx status.</summary>
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>The body parsed as JSON (the caller disposes it). Throws JsonException when it is not JSON.</summary>
    public JsonDocument Json() => JsonDocument.Parse(Body);

    /// <summary>An error reply's message (its `msg`), else the body as text.</summary>
    public string Message => MessageOf(Body);

    /// <summary>The `msg` of a JSON object <paramref name="body"/> (a native error, or a Tractor reply), else the body as text.</summary>
    public static string MessageOf(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String)
                return msg.GetString()!;
        }
        catch (JsonException)
        {
        }
        return System.Text.Encoding.UTF8.GetString(body);
    }
}
