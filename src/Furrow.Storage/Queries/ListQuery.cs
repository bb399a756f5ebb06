using Furrow.Core.Query;

namespace Furrow.Storage.Queries;

/// <summary>
/// What a listing asks the store for: rows matching <see cref="Where"/> (all when null), in <see cref="Sort"/> order (then
/// by id), skipping <see cref="Offset"/> and returning at most <see cref="Limit"/> (no limit when null). Deleted jobs, and
/// their tasks, commands and invocations, are left out unless <see cref="IncludeDeleted"/> (tq's --archives).
/// </summary>
public sealed record ListQuery(CompiledQuery? Where = null, SortSpec? Sort = null, int? Limit = null, int Offset = 0, bool IncludeDeleted = false)
{
    /// <summary>Only this job's rows (a task listing of one job); null for every job.</summary>
    public long? Jid { get; init; }

    /// <summary>
    /// Only rows of jobs this scope shows (crews.config's RestrictedViewLogins): the job's owner is the scope's user, or
    /// its `-crews` names one of the scope's crews. Null for every job. Applied by the store with parameters, like the clause.
    /// </summary>
    public Furrow.Core.Access.JobScope? Scope { get; init; }

    /// <summary>Jobs only: read each job's comment too. Listings leave it out, since a comment may be megabytes.</summary>
    public bool WithComment { get; init; }

    /// <summary>How long the store may spend before it gives up with <see cref="QueryTimeoutException"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A listing that ran past its <see cref="ListQuery.Timeout"/> (a pathological `like` pattern, a huge scan).</summary>
public sealed class QueryTimeoutException(TimeSpan timeout)
    : Exception($"the query took longer than {timeout.TotalSeconds:0} s and was stopped; narrow it (e.g. by jid or owner)");

/// <summary>A clause the store cannot run as written, e.g. a regular expression its database refuses.</summary>
public sealed class QueryRejectedException(string message, Exception? inner = null) : Exception(message, inner);
