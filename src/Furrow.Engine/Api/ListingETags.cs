using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Furrow.Core.Query;
using Furrow.Engine.Farm;
using Furrow.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace Furrow.Engine.Api;

/// <summary>
/// Validators for listings, so a poller that sends back the ETag it was given (<c>If-None-Match</c>) gets 304 Not Modified,
/// without the engine reading anything, when nothing the listing could show has changed.
/// </summary>
/// <remarks>
/// <para>
/// A tag is a hash of what a listing's rows come from, read before the rows are: the job database's write version
/// (<see cref="IJobStore.WriteVersion"/>, which rises after every transaction, so any job, task, command, invocation, blade
/// or param write changes it), what the farm alone knows (<see cref="LiveFarm.ViewState"/>: the dispatch switch, the next
/// `-after` time, rebuilds), this engine process's boot id (a restarted engine counts writes from 0 again and must not
/// repeat a tag), the request's path and query, and the jobs the caller may see (<see cref="QueueEndpoints.ScopeOf"/>).
/// Blade listings also hash every blade's live figures, slots and contact time, which change with polls and reports and
/// are never written. A listing that can change with the clock alone gets no tag at all, so it is always read afresh: a
/// clause with relative or wall-clock times (`spooltime &gt; -1h`, `10am`), and task listings while a job waits for its
/// `-after` time (their why-waiting counts down to it).
/// </para>
/// <para>
/// The tag is weak (<c>W/</c>): equal tags promise the same rows, not the same bytes (rows without a sort order may come
/// in another order, and a change committed while a reply was read may show in it a poll early). A strong tag would
/// promise byte equality, which only hashing the body itself could keep; weak tags are what <c>If-None-Match</c> compares.
/// </para>
/// <para>
/// <c>X-Furrow-Change</c> carries the same reading as a change cursor: equal values mean the job database was not written
/// in between (on this engine process).
/// </para>
/// </remarks>
internal sealed class ListingETags(IJobStore store, LiveFarm farm)
{
    public const string ChangeHeader = "X-Furrow-Change";

    // Random per engine process, so no tag or cursor of an earlier process is ever repeated.
    private readonly string _boot = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The tag of the listing <paramref name="context"/> asks for, from the state now. Take it before reading the rows.</summary>
    public ListingTag Of(HttpContext context, QueryTable table)
    {
        var version = store.WriteVersion;
        var view = farm.ViewState();
        var request = context.Request;
        var change = $"{_boot}.{version.ToString(CultureInfo.InvariantCulture)}";
        if (DependsOnClock(request, table) || (table == QueryTable.Tasks && view.NextStartTimeMs is not null))
            return new ListingTag(null, change);
        var text = new StringBuilder()
            .Append(_boot).Append('\n')
            .Append(version).Append('\n')
            .Append(view.DispatchPaused).Append(' ').Append(view.NextStartTimeMs).Append(' ').Append(view.Loads).Append('\n')
            .Append(request.Path).Append(request.QueryString).Append('\n');
        // The same listing holds other rows for a caller held to other jobs (crews.config's RestrictedViewLogins), and
        // for the same caller after crews.config changes which.
        if (QueueEndpoints.ScopeOf(context) is { } scope)
            text.Append(scope.User).Append(": ").AppendJoin(',', scope.Crews).Append('\n');
        // A job listing with `allowed` says what this caller may do under the crews.config read now: another caller, or
        // the same one after crews.config is read again, gets other rows (the caller's crews are read with the rules).
        if (table == QueryTable.Jobs && request.Query["allowed"] == "1")
        {
            var caller = QueueEndpoints.CallerOf(context);
            var generation = context.RequestServices.GetRequiredService<Access.UserAccounts>().CrewsGeneration;
            text.Append("allowed for ").Append(caller.Name).Append(caller.Administrator ? " (administrator)" : "").Append(" by crews ")
                .Append(generation).Append('\n');
        }
        if (table == QueryTable.Blades)
        {
            // Every field of every blade's live view (records print them all), in name order.
            foreach (var blade in farm.BladeViews().Values.OrderBy(b => b.Name, StringComparer.Ordinal))
                text.Append(blade).Append('\n');
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return new ListingTag($"W/\"{Convert.ToBase64String(hash, 0, 18).Replace('+', '-').Replace('/', '_')}\"", change);
    }

    // A clause whose meaning moves with the clock: relative times (`-1h`) or wall-clock ones (`10am`, read on today's date).
    // Compiled at two moments far apart, such a clause reads differently; any other reads the same.
    private static bool DependsOnClock(HttpRequest request, QueryTable table)
    {
        if (request.Query["q"].FirstOrDefault() is not { Length: > 0 } clause)
            return false;
        var user = Access.Caller.User(request.HttpContext) ?? "";
        string? At(DateTimeOffset now) => TractorQuery.Parse(clause, table, new QueryContext(user, now, TimeZoneInfo.Local)).Query?.ToString();
        return At(DateTimeOffset.UnixEpoch) != At(DateTimeOffset.UnixEpoch.AddDays(400).AddHours(1));
    }
}

/// <summary>A listing's weak ETag (null when the listing can change with the clock alone) and the change cursor read with it.</summary>
internal readonly record struct ListingTag(string? ETag, string Change)
{
    /// <summary>True when the request's <c>If-None-Match</c> names this tag (weak comparison) or is <c>*</c>.</summary>
    public bool IsKnownTo(HttpRequest request)
    {
        return ETag is not null && Matches(request, Microsoft.Net.Http.Headers.EntityTagHeaderValue.Parse(ETag));
    }

    /// <summary>True when the request's <c>If-None-Match</c> names <paramref name="tag"/> (weak comparison, RFC 9110 §13.1.2) or is <c>*</c>.</summary>
    public static bool Matches(HttpRequest request, Microsoft.Net.Http.Headers.EntityTagHeaderValue tag) =>
        request.GetTypedHeaders().IfNoneMatch.Any(known => known.Equals(Microsoft.Net.Http.Headers.EntityTagHeaderValue.Any)
            || known.Compare(tag, useStrongComparison: false));

    /// <summary>Puts the tag and cursor on the reply; <c>no-cache</c> lets a cache keep it but ask again before each use.</summary>
    public void WriteTo(HttpResponse response)
    {
        if (ETag is not null)
            response.Headers.ETag = ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers[ListingETags.ChangeHeader] = Change;
    }

    /// <summary>304 Not Modified, carrying the tag and cursor again.</summary>
    public StatusCodeHttpResult NotModified(HttpResponse response)
    {
        WriteTo(response);
        return TypedResults.StatusCode(StatusCodes.Status304NotModified);
    }
}
