using System.Globalization;
using Furrow.Storage.Queries;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Furrow.Engine.Api;

/// <summary>
/// How much of a listing one reply holds. Without `limit` a reply holds <see cref="DefaultSize"/> rows; `limit=N` asks for
/// N, up to <see cref="MaxSize"/>; `limit=0` (tq's "no limit") asks for the most one reply holds. When rows remain past
/// the page, the reply links to the next one (`Link: &lt;…&gt;; rel="next"`, and `next` in a column query's reply): the
/// same request with `offset` moved past the rows returned. The bound keeps one request from holding a whole farm's
/// tasks in the engine's memory at once; clients that want everything follow the links, as Furrow.Client does.
/// </summary>
internal static class ListPage
{
    /// <summary>Rows in a reply that did not say how many it wants.</summary>
    public const int DefaultSize = 10_000;

    /// <summary>The most rows in one reply, whatever was asked.</summary>
    public const int MaxSize = 100_000;

    /// <summary>The page size for the `limit` asked for (null when none was given).</summary>
    public static int SizeFor(int? limit) => limit switch
    {
        null => DefaultSize,
        0 => MaxSize,
        var asked => Math.Min(asked.Value, MaxSize),
    };

    /// <summary>The query that reads a page: one row past it, which tells whether any remain.</summary>
    public static ListQuery Probe(ListQuery page) => page with { Limit = page.Limit + 1 };

    /// <summary>Drops the row read past the page; true when there was one, so more rows follow this page.</summary>
    public static bool Cut<T>(List<T> rows, ListQuery page)
    {
        var size = page.Limit ?? MaxSize;
        if (rows.Count <= size)
            return false;
        rows.RemoveRange(size, rows.Count - size);
        return true;
    }

    /// <summary>
    /// When more rows follow, names the next page in a <c>Link</c> header and returns its URL (path and query); else null.
    /// </summary>
    public static string? LinkNext(HttpContext context, ListQuery page, int returned, bool more)
    {
        var offset = (long)page.Offset + returned;
        if (!more || offset > int.MaxValue)
            return null;
        var request = context.Request;
        var query = request.Query.Where(p => !string.Equals(p.Key, "offset", StringComparison.OrdinalIgnoreCase))
            .Append(new KeyValuePair<string, StringValues>("offset", offset.ToString(CultureInfo.InvariantCulture)));
        var next = $"{request.PathBase}{request.Path}{QueryString.Create(query)}";
        context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        return next;
    }
}
