using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Furrow.Engine;
using Furrow.Engine.Site;
using Furrow.Storage;
using Furrow.Storage.Backup;
using Furrow.Storage.Migrations;

namespace Furrow.Cli.Commands;

/// <summary>`furrow dbctl` / `tractor-dbctl`: looks after a site's job database, with Tractor's verbs.</summary>
internal static partial class DbctlCommand
{
    private const string Name = "tractor-dbctl";

    /// <summary>The command, named <paramref name="name"/> (`dbctl` under furrow, `tractor-dbctl` as bin/tractor-dbctl's root).</summary>
    public static Command Create(string name = "dbctl")
    {
        var configDir = CommonOptions.ConfigDir();
        var status = new Option<bool>("--status") { Description = "is the database up, which engine holds the data dir, schema version, jobs, last job id" };
        var start = new Option<bool>("--start") { Description = "start the database server (sqlite: none to start)" };
        var startForEngine = new Option<bool>("--start-for-engine") { Description = "start the database server as the engine would" };
        var stop = new Option<bool>("--stop") { Description = "stop the database server (sqlite: none to stop)" };
        var backup = new Option<string?>("--backup") { Description = "write a compressed backup to FILE (works while the engine runs)", HelpName = "FILE" };
        var restore = new Option<string?>("--restore") { Description = "replace the job database with a verified backup FILE", HelpName = "FILE" };
        var destroy = new Option<bool>("--destroy") { Description = "delete the job database (asks first; engine must be stopped)" };
        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation" };
        var setCounter = new Option<long?>("--set-job-counter") { Description = "make job ids resume after N", HelpName = "N" };
        var showParams = new Option<bool>("--show-params") { Description = "last used job id, data dir, DB dir, schema version, provider" };
        var schemaVersion = new Option<bool>("--schema-version") { Description = "print the database's schema version" };
        var migrateTo = NumberOptions.Whole(new Option<int?>("--migrate-to") { Description = "move the schema up or down to version N (engine stopped)", HelpName = "N" });
        var moveTo = new Option<string?>("--move-to") { Description = "copy the job database to another provider, verify it, then switch db.config", HelpName = "sqlite|postgresql" };
        moveTo.AcceptOnlyFromAmong("sqlite", "postgresql");
        var command = new Command(name, "look after the job database (Tractor's tractor-dbctl)")
        {
            configDir, status, start, startForEngine, stop, backup, restore, destroy, yes, setCounter, showParams, schemaVersion, migrateTo, moveTo,
        };
        command.SetAction(async (result, ct) =>
        {
            var verbs = new (bool Given, Func<Task<int>> Run)[]
            {
                (result.GetValue(status), () => StatusAsync(Site(result, configDir), ct)),
                (result.GetValue(start), () => SayAsync(Site(result, configDir).Database.StartAsync(false, ct))),
                (result.GetValue(startForEngine), () => SayAsync(Site(result, configDir).Database.StartAsync(true, ct))),
                (result.GetValue(stop), () => SayAsync(Site(result, configDir).Database.StopAsync(ct))),
                (result.GetValue(backup) is not null, () => BackupAsync(Site(result, configDir), result.GetValue(backup)!, ct)),
                (result.GetValue(restore) is not null, () => RestoreAsync(Site(result, configDir), result.GetValue(restore)!, ct)),
                (result.GetValue(destroy), () => DestroyAsync(Site(result, configDir), result.GetValue(yes), ct)),
                (result.GetValue(setCounter) is not null, () => SetCounterAsync(Site(result, configDir), result.GetValue(setCounter)!.Value, ct)),
                (result.GetValue(showParams), () => ShowParamsAsync(Site(result, configDir), ct)),
                (result.GetValue(schemaVersion), () => SchemaVersionAsync(Site(result, configDir), ct)),
                (result.GetValue(migrateTo) is not null, () => MigrateToAsync(Site(result, configDir), result.GetValue(migrateTo)!.Value, ct)),
                (result.GetValue(moveTo) is not null, () => MoveToAsync(result.GetValue(configDir)!, result.GetValue(moveTo)!, ct)),
            };
            var given = verbs.Where(v => v.Given).ToList();
            if (given.Count != 1)
                return CommonOptions.Fail(Name, "give exactly one of --status --start --start-for-engine --stop --backup --restore --destroy " +
                    "--set-job-counter --show-params --schema-version --migrate-to --move-to (and --configdir DIR)");
            try
            {
                return await given[0].Run();
            }
            catch (Exception error) when (error is SiteConfigException or StoreUnavailableException or BackupInvalidException or IOException
                or UnauthorizedAccessException)
            {
                return CommonOptions.Fail(Name, error.Message);
            }
        });
        return command;
    }

    private sealed record SiteContext(string ConfigDir, string DataDir, ISiteDatabase Database)
    {
        public string LogDir => Path.Combine(DataDir, "logs");
    }

    private static SiteContext Site(ParseResult result, Option<string> configDir) => Site(result.GetValue(configDir)!);

    // dbctl looks after a site that exists: a mistyped or missing --configdir must not quietly make (or plan) another one.
    private static SiteContext Site(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new SiteConfigException($"no site at {full}: no such directory (check --configdir or $FURROW_CONFIGDIR)");
        var engine = SiteConfigLoader.LoadEngine(dir);
        if (!File.Exists(Path.Combine(full, SiteConfigLoader.EngineConfigFile)) && !File.Exists(Path.Combine(full, SiteConfigLoader.DbConfigFile))
            && !Directory.Exists(SiteConfigLoader.DataDirectory(dir, engine)))
            throw new SiteConfigException($"{full} is not a Furrow site: it has no {SiteConfigLoader.EngineConfigFile}, {SiteConfigLoader.DbConfigFile} " +
                "or data directory (check --configdir or $FURROW_CONFIGDIR)");
        var db = SiteConfigLoader.LoadDb(dir);
        var dataDir = SiteConfigLoader.DataDirectory(dir, engine);
        return new SiteContext(dir, dataDir, JobStores.Site(db, SiteConfigLoader.DatabaseDirectory(dir, engine, db)));
    }

    private static async Task<int> SayAsync(Task<string> what)
    {
        Console.WriteLine(await what);
        return 0;
    }

    // Verbs that replace or rewrite the database must not run under a live engine.
    private static bool RefuseWhileEngineRuns(SiteContext site, string verb)
    {
        foreach (var dir in new[] { site.DataDir, site.Database.DatabaseDirectory })
        {
            if (EngineLock.LiveHolder(dir) is not { } holder)
                continue;
            Console.Error.WriteLine($"{Name}: {verb} refused: {dir} is in use by {holder}; stop that engine first");
            return true;
        }
        return false;
    }

    private static async Task<int> StatusAsync(SiteContext site, CancellationToken ct)
    {
        var holder = EngineLock.LiveHolder(site.DataDir);
        Console.WriteLine($"data directory: {site.DataDir}");
        Console.WriteLine($"engine: {(holder is null ? "none running on this data directory" : holder.ToString())}");
        foreach (var (key, value) in await site.Database.StatusAsync(ct))
            Console.WriteLine($"{key}: {value}");
        return 0;
    }

    private static async Task<int> BackupAsync(SiteContext site, string file, CancellationToken ct)
    {
        // A backup is background work: on a busy engine host it must not take CPU from dispatching.
        System.Diagnostics.Process.GetCurrentProcess().PriorityClass = System.Diagnostics.ProcessPriorityClass.BelowNormal;
        // Checked here so that the error names the operator's directory, not the snapshot file written beside the archive.
        var archive = Path.GetFullPath(file);
        if (Path.GetDirectoryName(archive) is { } directory && !Directory.Exists(directory))
            return CommonOptions.Fail(Name, $"--backup {file} refused: no directory {directory}; make it first (mkdir -p)");
        var manifest = await site.Database.BackupAsync(archive, EngineVersion.Current, ct);
        Console.WriteLine($"backed up {site.Database.Provider} job database (schema version {manifest.SchemaVersion}, last job id {manifest.LastJobId}) to {file}");
        return 0;
    }

    private static async Task<int> RestoreAsync(SiteContext site, string file, CancellationToken ct)
    {
        if (RefuseWhileEngineRuns(site, "--restore"))
            return 1;
        var manifest = await site.Database.RestoreAsync(Path.GetFullPath(file), ct);
        Console.WriteLine($"restored {file}: schema version {manifest.SchemaVersion}, taken {manifest.CreatedAt:yyyy-MM-dd HH:mm:ss}Z by Furrow {manifest.FurrowVersion}");
        Console.WriteLine($"job ids resume after {manifest.LastJobId}; tasks that were active when the backup was taken are ready to run again");
        return 0;
    }

    private static async Task<int> DestroyAsync(SiteContext site, bool yes, CancellationToken ct)
    {
        if (RefuseWhileEngineRuns(site, "--destroy"))
            return 1;
        if (!yes)
        {
            Console.Error.Write($"Destroy the job database in {site.Database.DatabaseDirectory}? Every job and its history is lost. [y/N] ");
            var answer = Console.ReadLine();
            if (answer is null || !answer.Trim().StartsWith('y'))
            {
                Console.Error.WriteLine(answer is null ? "\nno answer (use --yes to confirm without asking); nothing destroyed" : "nothing destroyed");
                return 1;
            }
        }
        await site.Database.DestroyAsync(ct);
        Console.WriteLine($"destroyed the job database in {site.Database.DatabaseDirectory}; job ids start again at 1 " +
            "(old logs of a reused job id are moved aside, never appended to)");
        return 0;
    }

    private static async Task<int> SetCounterAsync(SiteContext site, long counter, CancellationToken ct)
    {
        if (RefuseWhileEngineRuns(site, "--set-job-counter"))
            return 1;
        await using var store = site.Database.OpenStore();
        await store.MigrateAsync(ct);
        var highest = await store.MaxJidAsync(ct);
        if (counter < highest)
            return CommonOptions.Fail(Name, $"--set-job-counter {counter} refused: job {highest} exists, so the counter cannot go below {highest}");
        if (counter < 0)
            return CommonOptions.Fail(Name, "--set-job-counter needs a number of 0 or more");
        await store.CommitAsync([new SetParam("jidcounter", counter.ToString(CultureInfo.InvariantCulture))], ct);
        Console.WriteLine($"job counter set: the next job id is {counter + 1}");
        return 0;
    }

    private static async Task<int> ShowParamsAsync(SiteContext site, CancellationToken ct)
    {
        await using var store = site.Database.OpenStore();
        var version = await store.SchemaVersionAsync(ct);
        var counter = version == 0 ? 0 : long.Parse(await store.GetParamAsync("jidcounter", ct) ?? "0", CultureInfo.InvariantCulture);
        Console.WriteLine($"last used job id: {counter}");
        Console.WriteLine($"data directory: {site.DataDir}");
        Console.WriteLine($"database directory: {site.Database.DatabaseDirectory}");
        Console.WriteLine($"log directory: {site.LogDir}");
        Console.WriteLine($"schema version: {version} (this build knows up to {MigrationCatalog.LatestVersion})");
        Console.WriteLine($"provider: {site.Database.Provider}");
        var above = LogDirsAbove(site.LogDir, counter);
        Console.WriteLine(above.Count == 0
            ? "logs of job ids above the counter: none"
            : $"logs of job ids above the counter (moved aside automatically when an id is reused): {string.Join(' ', above)}");
        return 0;
    }

    private static List<string> LogDirsAbove(string logDir, long counter) =>
        !Directory.Exists(logDir)
            ? []
            : Directory.EnumerateDirectories(logDir).SelectMany(Directory.EnumerateDirectories)
                .Select(d => (Path: d, Match: JobDir().Match(Path.GetFileName(d))))
                .Where(d => d.Match.Success && long.Parse(d.Match.Groups[1].Value, CultureInfo.InvariantCulture) > counter)
                .Select(d => Path.GetRelativePath(logDir, d.Path)).Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"^J(\d+)$")]
    private static partial Regex JobDir();

    private static async Task<int> SchemaVersionAsync(SiteContext site, CancellationToken ct)
    {
        await using var store = site.Database.OpenStore();
        Console.WriteLine(await store.SchemaVersionAsync(ct));
        return 0;
    }

    private static async Task<int> MoveToAsync(string configDir, string provider, CancellationToken ct)
    {
        var site = Site(configDir);
        if (RefuseWhileEngineRuns(site, "--move-to"))
            return 1;
        if (site.Database.Provider == provider)
            return CommonOptions.Fail(Name, $"the job database is already {provider}");
        var engine = SiteConfigLoader.LoadEngine(configDir);
        var current = SiteConfigLoader.LoadDb(configDir);
        // The target takes its provider's default place; the other db.config settings (port, mode, shutdown) carry over.
        var next = new Core.Config.DbConfig
        {
            DBProvider = provider, DBMode = current.DBMode, DBPort = current.DBPort, DBConnection = current.DBConnection,
            DBPasswordFile = current.DBPasswordFile, DBShutdown = current.DBShutdown,
        };
        var target = JobStores.Site(next, SiteConfigLoader.DatabaseDirectory(configDir, engine, next));
        var sourceWasUp = await site.Database.IsServerRunningAsync(ct);
        var targetWasUp = await target.IsServerRunningAsync(ct);
        await site.Database.StartAsync(false, ct);
        await target.StartAsync(false, ct);
        try
        {
            MoveReport report;
            await using (var from = site.Database.OpenStore())
            await using (var to = target.OpenStore())
                report = await StoreMover.CopyAsync(from, to, ct);
            SiteConfigLoader.WriteDb(configDir, next);
            foreach (var (table, rows, checksum) in report.Tables)
                Console.WriteLine($"{table}: {rows} rows, sha256 {checksum[..16]} on both sides");
            Console.WriteLine($"moved the job database (schema version {report.SchemaVersion}) from {site.Database.Provider} to {provider}; " +
                $"db.config now says DBProvider {provider}. The old database is left in {site.Database.DatabaseDirectory}.");
            return 0;
        }
        finally
        {
            if (!sourceWasUp)
                await site.Database.StopAsync(CancellationToken.None);
            if (!targetWasUp)
                await target.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> MigrateToAsync(SiteContext site, int version, CancellationToken ct)
    {
        if (RefuseWhileEngineRuns(site, "--migrate-to"))
            return 1;
        await using var store = site.Database.OpenStore();
        var from = await store.SchemaVersionAsync(ct);
        await store.MigrateToAsync(version, ct);
        Console.WriteLine($"schema version {from} -> {version}");
        return 0;
    }
}
