using Furrow.Storage.Sqlite;

namespace Furrow.Storage;

/// <summary>Opens the job database a site's config names.</summary>
public static class JobStores
{
    /// <summary>The embedded store: `furrow.db` in the database directory (`DBDataDir`, default `&lt;data&gt;/db`).</summary>
    public static IJobStore OpenSqlite(string databaseDirectory) =>
        new SqliteJobStore(Path.Combine(databaseDirectory, "furrow.db"));

    /// <summary>A job database on a PostgreSQL server, given an Npgsql connection string.</summary>
    public static IJobStore OpenPostgres(string connectionString) => new Postgres.PostgresJobStore(connectionString);

    /// <summary>The site database db.config describes, for the engine and tractor-dbctl.</summary>
    public static ISiteDatabase Site(Furrow.Core.Config.DbConfig config, string databaseDirectory) => config.DBProvider switch
    {
        "sqlite" => new SqliteSiteDatabase(databaseDirectory),
        "postgresql" => new Postgres.PostgresSiteDatabase(config, databaseDirectory),
        _ => throw new StoreUnavailableException($"DBProvider '{config.DBProvider}' is unknown: expected sqlite or postgresql") { IsTransient = false },
    };
}
