using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Furrow.Engine.Api;

/// <summary>A query-string parameter an endpoint reads, as its OpenAPI document shows it.</summary>
internal sealed record QueryParameter(string Name, JsonSchemaType Type, string Description, bool Required = false, bool IsFlag = false);

/// <summary>
/// The query parameters of an endpoint, declared on its mapping (<see cref="QueryParameters.WithQueryParameters"/>) and
/// added to the OpenAPI document by <see cref="QueryParameters.DocumentAsync"/>. Handlers read them from the query string
/// themselves, so a bad value gets a problem naming it (`bad limit 'lots'`) rather than the framework's binding error.
/// </summary>
internal sealed record EndpointQuery(IReadOnlyList<QueryParameter> Parameters);

/// <summary>Every query parameter of the API, with the words the OpenAPI document gives it, and the sets endpoints take.</summary>
internal static class QueryParameters
{
    private const JsonSchemaType Text = JsonSchemaType.String;
    private const JsonSchemaType Whole = JsonSchemaType.Integer;
    private const JsonSchemaType Number = JsonSchemaType.Number;

    public static readonly QueryParameter Clause = new("q", Text,
        "A search clause in Tractor's tq language, such as `owner=ana and not done` or `jid in [12, 15]`; none: every row.");

    public static readonly QueryParameter User = new("user", Text, "Who asks: the user that `mine` and other personal words mean.");

    public static readonly QueryParameter SortBy = new("sortby", Text,
        "Columns to sort by, separated by commas, by Tractor's names and aliases; `-col` sorts that column descending.");

    public static readonly QueryParameter Limit = new("limit", Whole,
        $"Rows in this reply: {ListPage.DefaultSize} when not given, at most {ListPage.MaxSize}; 0 asks for the most one reply " +
        "holds. When rows remain, the reply has a `Link: <...>; rel=\"next\"` header naming the next page.");

    public static readonly QueryParameter Offset = new("offset", Whole, "Rows to skip before this reply's first (a page's start).");

    public static readonly QueryParameter Archived = new("archived", Whole,
        "1: deleted (archived) jobs, and their tasks, commands and invocations, are searched too.", IsFlag: true);

    public static readonly QueryParameter Jid = new("jid", Whole, "Only this job's rows.");

    public static readonly QueryParameter Comment = new("comment", Whole,
        "1: each job's comment is included (left out otherwise: it may be large).", IsFlag: true);

    public static readonly QueryParameter Columns = new("cols", Text,
        "The columns to list, separated by commas: Tractor's names, aliases or `table.column` (tq's -c).", Required: true);

    public static readonly QueryParameter Distinct = new("distinct", Whole,
        "1: each different row once, in the order first seen, before the page is cut.", IsFlag: true);

    public static readonly QueryParameter Force = new("force", Whole, "1: act on other users' jobs too (tq's --force).", IsFlag: true);

    /// <summary>The names of the native API's flags (1 or 0), which RequestGuard checks wherever they are sent.</summary>
    public static readonly string[] FlagNames = ["archived", "comment", "distinct", "force", "allowed"];

    /// <summary>What every listing takes: a clause, the asking user, a sort, a page, deleted jobs and one job.</summary>
    public static readonly QueryParameter[] Listing = [Clause, User, SortBy, Limit, Offset, Archived, Jid];

    public static readonly QueryParameter Allowed = new("allowed", Whole,
        "1: each job's `allowed` lists the operations the caller may run on it with force=1, judged as the operations " +
        "endpoint judges them when run (crews.config's JobEditAccessPolicies, the job's lock, ReadOnlyLogins); whether an " +
        "operation would change the job (pausing a paused one) is not considered. Left out otherwise.", IsFlag: true);

    public static readonly QueryParameter[] JobListing = [.. Listing, Comment, Allowed];

    /// <summary>Blades have no owner and are never deleted: a clause, a sort and a page.</summary>
    public static readonly QueryParameter[] BladeListing = [Clause, SortBy, Limit, Offset];

    public static readonly QueryParameter[] ColumnQuery = [Columns, .. Listing, Distinct];

    public static readonly QueryParameter[] Spool =
    [
        new("user", Text, "The job's owner."),
        new("file", Text, "The script's file name, for the job's record and for messages."),
        new("host", Text, "The host it was spooled from."),
        new("cwd", Text, "The directory it was spooled from."),
        new("priority", Number, "Overrides the script's -priority."),
        new("paused", Text, "1 or true: the job starts paused; 0 or false: it does not, whatever the script says."),
        new("format", Text, "`json` for the JSON job form; else the body is alfred text unless its content type says JSON."),
        new("title", Text, "Overrides the script's -title."),
        new("tier", Text, "Overrides the script's -tier."),
        new("projects", Text, "Overrides the script's -projects: words separated by spaces or commas."),
        new("svckey", Text, "A service key expression ANDed with the script's -service."),
        new("envkey", Text, "Overrides the script's -envkey: words separated by spaces or commas."),
        new("maxactive", Whole, "Overrides the script's -maxactive (0: no limit)."),
        new("after", Text, "Overrides the script's -after (its forms: `MM DD HH:MM`, ...)."),
        new("afterjids", Text, "Overrides the script's -afterjids: job ids separated by spaces or commas."),
    ];

    public static readonly QueryParameter[] Operation =
    [
        Clause with { Description = "The search clause naming what to act on (required: an empty one is refused)." },
        User with { Description = "Who acts; other users' jobs need force=1." },
        Force,
        new("priority", Number, "chpri: the new priority."),
        new("aftertime", Whole, "delay: the time to start after, in Unix milliseconds."),
        new("key", Text, "jattr, tattr, cattr: the attribute to change."),
        new("value", Text, "jattr, tattr, cattr: its new value; chkeys: the new service key."),
    ];

    public static readonly QueryParameter[] Trace = [new("jobs", Whole, "At most this many jobs with work waiting (default 50).")];

    public static readonly QueryParameter[] Log = [new("owner", Text, "The job's owner, where its logs are kept; found when not given.")];

    public static readonly QueryParameter[] LogText =
        [.. Log, new("encoding", Text, "The encoding to decode the log's bytes in: utf-8 (default), latin1, or a code page such as windows-1251.")];

    public static readonly QueryParameter[] WhyJob = [new("limit", Whole, "At most this many tasks (default 100).")];

    public static readonly QueryParameter[] Blocklist = [Jid with { Description = "Only this job's blocklist." }];

    public static readonly QueryParameter[] Unblock = [new("blade", Text, "Only this blade; every blade when not given.")];

    /// <summary>
    /// The endpoint filter of every /api/v1 endpoint: a query parameter the endpoint does not declare
    /// (<see cref="WithQueryParameters"/>; `user`, who a call acts as, is every endpoint's) is refused 400 naming it and
    /// the parameters the endpoint takes, so a misspelled filter (`jobs?ownr=ana`) is never dropped and everything
    /// listed instead.
    /// </summary>
    public static ValueTask<object?> RefuseUnknownAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var declared = http.GetEndpoint()?.Metadata.GetMetadata<EndpointQuery>()?.Parameters ?? [];
        foreach (var name in http.Request.Query.Keys)
        {
            if (name == User.Name || declared.Any(p => p.Name == name))
                continue;
            var takes = declared.Select(p => p.Name).Where(n => n != User.Name).Append(User.Name).ToList();
            return ValueTask.FromResult<object?>(ApiResults.BadRequest(
                $"{http.Request.Path} does not take the query parameter '{(name.Length <= 60 ? name : name[..60] + "...")}' (it takes {string.Join(", ", takes)})"));
        }
        return next(context);
    }

    /// <summary>Declares the query parameters the endpoint reads, for its OpenAPI document.</summary>
    public static RouteHandlerBuilder WithQueryParameters(this RouteHandlerBuilder builder, params QueryParameter[] parameters) =>
        builder.WithMetadata(new EndpointQuery(parameters));

    /// <summary>A listing: its query parameters, its rows' type, and 304 Not Modified (see <see cref="ListingETags"/>).</summary>
    public static RouteHandlerBuilder AsListing<TRows>(this RouteHandlerBuilder builder, params QueryParameter[] parameters) =>
        builder.WithQueryParameters(parameters).Produces<TRows>().Produces(StatusCodes.Status304NotModified).Errors(StatusCodes.Status400BadRequest);

    /// <summary>The OpenAPI operation transformer that lists each endpoint's declared query parameters.</summary>
    public static Task DocumentAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<EndpointQuery>().LastOrDefault() is not { } query)
            return Task.CompletedTask;
        operation.Parameters ??= [];
        foreach (var parameter in query.Parameters)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = parameter.Name,
                In = ParameterLocation.Query,
                Description = parameter.Description,
                Required = parameter.Required,
                Schema = new OpenApiSchema
                {
                    Type = parameter.Type,
                    Enum = parameter.IsFlag ? [JsonValue.Create(0), JsonValue.Create(1)] : null,
                },
            });
        }
        return Task.CompletedTask;
    }
}
