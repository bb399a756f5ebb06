using Npgsql;

namespace Furrow.Storage.Postgres;

/// <summary>Runs PostgreSQL's client programs (pg_dump, pg_restore) against a server named by a connection string.</summary>
internal static class PostgresTools
{
    public static async Task RunAsync(string tool, string connectionString, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        string[] connection = ["--host", target.Host!, "--port", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--username", target.Username!, "--dbname", target.Database!];
        // The password goes by environment, never on a command line where `ps` would show it.
        var environment = string.IsNullOrEmpty(target.Password) ? null : new Dictionary<string, string> { ["PGPASSWORD"] = target.Password };
        var (code, output) = await ProgramRunner.RunAsync(Path.Combine(PostgresBinaries.Find(), tool), connection.Concat(args), environment,
            cancellationToken);
        if (code != 0)
            throw new StoreUnavailableException($"{tool} failed: {output.Trim()}") { IsTransient = false };
    }
}
