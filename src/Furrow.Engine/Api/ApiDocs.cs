using System.Text.Json.Nodes;
using Furrow.Client.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
}
