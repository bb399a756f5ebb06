using Npgsql;

namespace Furrow.Storage.Postgres;

/// <summary>
/// A PostgreSQL cluster Furrow manages itself, as Tractor does: made with the distribution's initdb in `DBDataDir`,
/// started and stopped with pg_ctl, listening on 127.0.0.1 and a unix socket in its own directory only.
/// </summary>
internal sealed class PostgresCluster(string directory, int port)
{
    public const string Database = "furrow";
    public const string User = "furrow";

    public string Directory { get; } = Path.GetFullPath(directory);

    public int Port { get; } = port;

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = User, Database = Database, Pooling = true,
    }.ToString();

    public bool IsInitialized => File.Exists(Path.Combine(Directory, "PG_VERSION"));

    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        if (!IsInitialized)
            return false;
        var (code, _) = await PgAsync(cancellationToken, "pg_ctl", "status", "-D", Directory);
        return code == 0;
    }

    /// <summary>Creates the cluster if absent, starts it if stopped, and makes sure the job database exists.</summary>
    /// <exception cref="StoreUnavailableException">
    /// Not transient: when run as root, the `postgres` user is missing or cannot enter the cluster directory (the
    /// message names the first directory on the way it cannot enter, and how to fix that); or initdb or pg_ctl failed.
    /// </exception>
    public async Task<bool> StartAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (AsRoot)
            await CheckPostgresUserReachesAsync(cancellationToken);
        if (!IsInitialized)
        {
            await OwnAsync(cancellationToken);
            await CheckAsync(await PgAsync(cancellationToken, "initdb", "-D", Directory, "-U", User, "--auth=trust", "-E", "UTF8"), "initdb");
        }
        if (await IsRunningAsync(cancellationToken))
            return false;
        // random_page_cost 1.1 (PostgreSQL's default of 4 prices a disk that seeks): the cluster sits on the engine host's
        // local disk, mostly in its cache. At 4, `tq tasks "user=X and title like Y"` on a million tasks chose a parallel
        // scan of every task through the regular expression (0.5-0.7 s) over reading that owner's jobs' tasks by key (40-60 ms).
        await CheckAsync(await PgAsync(cancellationToken, "pg_ctl", "start", "-D", Directory, "-w", "-t", "60",
            "-l", Path.Combine(Directory, "furrow-postgresql.log"),
            "-o", $"-p {Port} -k {Directory} -c listen_addresses=127.0.0.1 -c random_page_cost=1.1"), "pg_ctl start");
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT 1 FROM pg_database WHERE datname = 'furrow'";
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            exists.CommandText = "CREATE DATABASE furrow";
            await exists.ExecuteNonQueryAsync(cancellationToken);
        }
        return true;
    }

    public async Task<bool> StopAsync(CancellationToken cancellationToken)
    {
        if (!await IsRunningAsync(cancellationToken))
            return false;
        NpgsqlConnection.ClearAllPools();
        await CheckAsync(await PgAsync(cancellationToken, "pg_ctl", "stop", "-D", Directory, "-m", "fast", "-w", "-t", "60"), "pg_ctl stop");
        return true;
    }

    private static Task CheckAsync((int Code, string Output) result, string what) =>
        result.Code == 0
            ? Task.CompletedTask
            : throw new StoreUnavailableException($"{what} failed: {result.Output.Trim()}") { IsTransient = false };

    // initdb and pg_ctl refuse to run as root; a root-run engine (containers, CI) runs them as the distribution's
    // postgres user, which must own the cluster directory.
    private static bool AsRoot => Environment.UserName == "root";

    // A site under a directory only root may enter (a `mktemp -d`, /root) would make initdb fail with a bare
    // "Permission denied" on a path that looks fine to the root operator. Found before anything runs, with the fix.
    private async Task CheckPostgresUserReachesAsync(CancellationToken cancellationToken)
    {
        var (known, _) = await RunAsync(cancellationToken, "id", "-u", ServerUser);
        if (known != 0)
            throw new StoreUnavailableException(
                $"the managed PostgreSQL cluster in {Directory} runs as the '{ServerUser}' user (initdb and pg_ctl refuse to run as root), " +
                $"and this system has no such user: install the distribution's 'postgresql' package, which creates it") { IsTransient = false };
        var (reaches, _) = await AsServerUserAsync(cancellationToken, "test", "-x", Directory);
        if (reaches == 0)
            return;
        var blocking = Directory;
        foreach (var directory in Ancestors(Directory).Reverse().Append(Directory))
        {
            var (entered, _) = await AsServerUserAsync(cancellationToken, "test", "-x", directory);
            if (entered != 0)
            {
                blocking = directory;
                break;
            }
        }
        var mode = OperatingSystem.IsWindows() ? "?" : Convert.ToString((int)File.GetUnixFileMode(blocking), 8).PadLeft(4, '0');
        throw new StoreUnavailableException(
            $"the managed PostgreSQL cluster in {Directory} runs as the '{ServerUser}' user (initdb and pg_ctl refuse to run as root), " +
            $"which cannot enter {blocking} (mode {mode}): let it through with 'setfacl -m u:{ServerUser}:x {blocking}' " +
            $"(or 'chmod o+x {blocking}'), or set DBDataDir in db.config to a directory it can reach, such as /var/lib/furrow/psql")
        { IsTransient = false };
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var parent = Path.GetDirectoryName(path); parent is not null; parent = Path.GetDirectoryName(parent))
            yield return parent;
    }

    private const string ServerUser = "postgres";

    private static Task<(int Code, string Output)> AsServerUserAsync(CancellationToken cancellationToken, string program, params string[] args) =>
        RunAsync(cancellationToken, "runuser", ["-u", ServerUser, "--", program, .. args]);

    private async Task OwnAsync(CancellationToken cancellationToken)
    {
        if (AsRoot)
            await RunAsync(cancellationToken, "chown", ServerUser, Directory);
    }

    private Task<(int Code, string Output)> PgAsync(CancellationToken cancellationToken, string tool, params string[] args)
    {
        var path = Path.Combine(PostgresBinaries.Find(), tool);
        return AsRoot ? AsServerUserAsync(cancellationToken, path, args) : RunAsync(cancellationToken, path, args);
    }

    private static Task<(int Code, string Output)> RunAsync(CancellationToken cancellationToken, string program, params string[] args) =>
        ProgramRunner.RunAsync(program, args, null, cancellationToken);
}

/// <summary>Finds the distribution's PostgreSQL server binaries.</summary>
internal static class PostgresBinaries
{
    public static string Find()
    {
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault();
            if (newest is not null)
                return newest;
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(d => d.Length > 0 && File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "initdb")));
        return onPath ?? throw new StoreUnavailableException(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or on PATH: " +
            "install the distribution's 'postgresql' package (apt-get install postgresql)") { IsTransient = false };
    }
}
