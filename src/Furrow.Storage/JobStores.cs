using Furrow.Storage.Sqlite;

namespace Furrow.Storage;

/// <summary>Opens the job database a site's config names.</summary>
public static class JobStores
{
    /// <summary>The default embedded store: `&lt;dataDir&gt;/db/furrow.db`.</summary>
    public static IJobStore OpenSqlite(string dataDirectory) =>
        new SqliteJobStore(Path.Combine(dataDirectory, "db", "furrow.db"));

    /// <summary>The site database a provider name selects, for tractor-dbctl.</summary>
    public static ISiteDatabase Site(string provider, string dataDirectory) => provider switch
    {
        "sqlite" => new SqliteSiteDatabase(dataDirectory),
        _ => throw new StoreUnavailableException($"DBProvider '{provider}' is not supported by this build (expected sqlite)") { IsTransient = false },
    };
}
