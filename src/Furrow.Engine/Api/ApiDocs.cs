using System.Text.Json.Nodes;
using Furrow.Client.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Furrow.Engine.Access;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Furrow.Engine.Api;

/// <summary>The values a path parameter takes (an operation's name, a table), for its OpenAPI schema's enum.</summary>
internal sealed record PathEnum(string Name, IReadOnlyList<string> Values);

/// <summary>
/// A text body the handler reads itself, in any of <see cref="ContentTypes"/>. Documented this way, not with Accepts: an
/// endpoint's Accepts makes routing refuse other types before the endpoint's own check, which names what it takes.
/// </summary>
internal sealed record TextBody(string Description, IReadOnlyList<string> ContentTypes);

/// <summary>
/// What an endpoint's OpenAPI entry says of its request body and replies, declared on its mapping: the body's type and
/// content types, the reply's schema, and each error status, whose body is always a problem document
/// (<see cref="ApiResults"/>: application/problem+json with Tractor's rc and msg).
/// </summary>
internal static class ApiDocs
{
    /// <summary>A 200 reply of <typeparamref name="T"/> as JSON, and problem documents for <paramref name="errors"/>.</summary>
    public static RouteHandlerBuilder Replies<T>(this RouteHandlerBuilder builder, params int[] errors) =>
        builder.Produces<T>(StatusCodes.Status200OK, "application/json").Errors(errors);

    /// <summary>A problem document (<see cref="ErrorReply"/>, application/problem+json) for each status.</summary>
    public static RouteHandlerBuilder Errors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
            builder.Produces<ErrorReply>(status, ApiResults.ProblemJson);
        return builder;
    }

    /// <summary>A JSON body of <typeparamref name="T"/>: 400 when it does not parse, 415 when it is not JSON.</summary>
    public static RouteHandlerBuilder TakesJson<T>(this RouteHandlerBuilder builder) where T : notnull =>
        builder.Accepts<T>("application/json").Errors(StatusCodes.Status400BadRequest, StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Documents a text request body the handler reads and checks itself (<see cref="TextBody"/>).</summary>
    public static RouteHandlerBuilder WithTextBody(this RouteHandlerBuilder builder, string description, IReadOnlyList<string> contentTypes) =>
        builder.WithMetadata(new TextBody(description, contentTypes));

    /// <summary>Names the values a path parameter takes, for its schema's enum.</summary>
    public static RouteHandlerBuilder WithPathValues(this RouteHandlerBuilder builder, string name, params IReadOnlyList<string> values) =>
        builder.WithMetadata(new PathEnum(name, values));

    /// <summary>The OpenAPI operation transformer that gives path parameters their declared enums, and text bodies their types.</summary>
    public static Task DocumentAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<TextBody>().LastOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Description = body.Description,
                Required = true,
                Content = body.ContentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } }),
            };
        }
        DocumentCallers(operation, context);
        foreach (var values in context.Description.ActionDescriptor.EndpointMetadata.OfType<PathEnum>())
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == values.Name && p.In == ParameterLocation.Path) is OpenApiParameter parameter)
            {
                parameter.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [.. values.Values.Select(v => (JsonNode)JsonValue.Create(v))],
                };
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The security schemes of <see cref="DocumentCallers"/>: a login token as a bearer token, or a browser's session cookie.</summary>
    public static void AddSecuritySchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A login token from POST /api/v1/auth/login, as `Authorization: Bearer TOKEN`.",
        };
        document.Components.SecuritySchemes[CookieScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = BrowserSessions.CookieName,
            Description = "A browser's session, from POST /api/v1/auth/login with `\"cookie\": true`. Its POST, PUT, PATCH and DELETE calls " +
                $"must send the session's CSRF token in the {BrowserSessions.HeaderName} header (login and GET /api/v1/auth reply with it there), " +
                "else 403.",
        };
    }

    private const string BearerScheme = "loginToken";
    private const string CookieScheme = "sessionCookie";

    // Who may call: a login token or a session cookie where a caller is needed; and what an unsafe call with the cookie
    // must add (every one may meet a cookie, login and logout included), with the 403 it gets without it.
    private static void DocumentCallers(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any())
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieScheme, context.Document)] = [] },
            ];
        }
        var method = context.Description.HttpMethod ?? "GET";
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
            return;
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = BrowserSessions.HeaderName,
            In = ParameterLocation.Header,
            Required = false,
            Description = $"The session's CSRF token: needed, and only needed, when the caller is known by the {BrowserSessions.CookieName} cookie.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        if (operation.Responses?.TryGetValue("403", out var forbidden) == true && forbidden is OpenApiResponse response)
            response.Description = $"Refused; for a caller known by the {BrowserSessions.CookieName} cookie, also when the " +
                $"{BrowserSessions.HeaderName} header is missing or holds no CSRF token of its session.";
    }
}
