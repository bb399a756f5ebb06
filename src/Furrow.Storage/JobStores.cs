using Furrow.Storage.Sqlite;

namespace Furrow.Storage;

/// <summary>Opens the job database a site's config names.</summary>
public static class JobStores
{
    /// <summary>The default embedded store: `&lt;dataDir&gt;/db/furrow.db`.</summary>
    public static IJobStore OpenSqlite(string dataDirectory) =>
        new SqliteJobStore(Path.Combine(dataDirectory, "db", "furrow.db"));
}
