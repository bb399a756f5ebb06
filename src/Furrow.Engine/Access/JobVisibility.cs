using Furrow.Core.Access;
using Furrow.Storage;
using Furrow.Storage.Queries;

namespace Furrow.Engine.Access;

/// <summary>Whether a job exists as a caller held to a <see cref="JobScope"/> (crews.config's RestrictedViewLogins) sees it.</summary>
internal static class JobVisibility
{
    /// <summary>
    /// True when job <paramref name="jid"/> is stored (deleted and finished ones too) and <paramref name="scope"/> shows
    /// it; with no scope, whether it is stored. A job outside the scope is, to its caller, one that does not exist.
    /// </summary>
    public static async ValueTask<bool> JobExistsAsync(this IJobStore store, long jid, JobScope? scope, CancellationToken cancellationToken) =>
        scope is null
            ? await store.JobExistsAsync(jid, cancellationToken).ConfigureAwait(false)
            : (await store.QueryJobsAsync(new ListQuery(Limit: 1, IncludeDeleted: true) { Jid = jid, Scope = scope }, cancellationToken)
                .ConfigureAwait(false)).Count > 0;
}
