using System.Diagnostics;
using Npgsql;

namespace Furrow.Storage.Postgres;

/// <summary>Runs PostgreSQL's client programs (pg_dump, pg_restore) against a server named by a connection string.</summary>
internal static class PostgresTools
{
    public static async Task RunAsync(string tool, string connectionString, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo(Path.Combine(PostgresBinaries.Find(), tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--host", target.Host!, "--port", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--username", target.Username!, "--dbname", target.Database! }.Concat(args))
            info.ArgumentList.Add(arg);
        // The password goes by environment, never on a command line where `ps` would show it.
        if (!string.IsNullOrEmpty(target.Password))
            info.Environment["PGPASSWORD"] = target.Password;
        using var process = Process.Start(info) ?? throw new StoreUnavailableException($"could not run {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new StoreUnavailableException($"{tool} failed: {(await stderr + await stdout).Trim()}") { IsTransient = false };
    }
}
