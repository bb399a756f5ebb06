using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Furrow.Engine.Dashboard;

/// <summary>
/// The Dashboard: one page (<c>index.html</c>) with its script and style sheet, embedded in the engine's assembly and
/// served at <c>/</c> and at every deep link the page itself makes (<c>/jobs/12</c>, <c>/jobs/12/tasks/3</c>,
/// <c>/blades</c>, <c>/admin</c>, <c>/signin</c>), so a reload or a pasted link opens the same view. The page holds no
/// data: it signs in and reads everything through the API (<c>/api/v1</c>) as any client does, so the files are served
/// to anyone, and every action it offers is checked again by the engine.
/// </summary>
/// <remarks>
/// Every reply carries (besides the engine-wide nosniff) a Content-Security-Policy that lets the page run only its own script and load nothing from
/// elsewhere (no inline script, no <c>eval</c>, no frames of it on other sites): together with the page putting every
/// value it shows in as text, never as markup, a job title or log line cannot become code in a wrangler's browser.
/// Files are revalidated on every load (<c>Cache-Control: no-cache</c> with a strong ETag of their bytes), so an engine
/// upgrade is never shown with a stale script.
/// </remarks>
internal static class DashboardEndpoints
{
    /// <summary>Where the page's files are served from (the page names them so).</summary>
    public const string AssetPath = "/dashboard";

    private const string ResourcePrefix = "dashboard/";

    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> Assets = new(Load);

    /// <summary>Maps the page's routes and its files; none needs a login (the page signs in through the API).</summary>
    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        foreach (var route in new[] { "/", "/jobs", "/jobs/{jid:long}", "/jobs/{jid:long}/tasks/{tid:int}", "/blades", "/blades/{name}", "/admin", "/signin" })
            app.MapGet(route, (HttpContext context) => Serve(context, "index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(AssetPath + "/{name}", (string name, HttpContext context) => Serve(context, name)).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>
    /// A browser's page request that no route serves (<c>GET /nosuch</c> with <c>Accept: text/html</c>, outside
    /// <c>/api</c>, <c>/Tractor</c> and the Dashboard's files) gets a plain HTML 404 linking to the Dashboard, before any
    /// login is asked for: a mistyped address is no reason to answer a person with JSON about a login. True when it
    /// was answered so; API paths and other callers keep their JSON 404 (or 401).
    /// </summary>
    public static async ValueTask<bool> NoSuchPageAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.GetEndpoint() is not null || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            || request.Path.StartsWithSegments(Tractor.TractorRequests.Prefix, StringComparison.OrdinalIgnoreCase)
            || request.Path.StartsWithSegments(AssetPath, StringComparison.OrdinalIgnoreCase)
            || !request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)))
            return false;
        var path = System.Net.WebUtility.HtmlEncode(request.Path.Value ?? "/");
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        await TypedResults.Content($"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found: {path}</title></head>\n" +
            $"<body><h1>Not found</h1><p>This engine has no page at {path}.</p><p><a href=\"/\">Open the Dashboard</a></p></body></html>\n",
            "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context).ConfigureAwait(false);
        return true;
    }

    private static IResult Serve(HttpContext context, string name)
    {
        if (!Assets.Value.TryGetValue(name, out var asset))
            return Api.ApiResults.NotFound($"the Dashboard has no file {name}");
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag.ToString();
        if (Api.ListingTag.Matches(context.Request, asset.ETag))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(asset.Bytes, asset.ContentType);
    }

    private static Dictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var tag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
            assets[name] = new Asset(bytes, ContentTypeOf(name), tag);
        }
        return assets;
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Bytes, string ContentType, EntityTagHeaderValue ETag);
}
