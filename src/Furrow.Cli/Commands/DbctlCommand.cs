using System.CommandLine;
using Furrow.Engine.Site;
using Furrow.Storage;
using Furrow.Storage.Migrations;

namespace Furrow.Cli.Commands;

/// <summary>`furrow dbctl` / `tractor-dbctl`: looks after the job database of a site.</summary>
internal static class DbctlCommand
{
    public static Command Create()
    {
        var configDir = CommonOptions.ConfigDir();
        var status = new Option<bool>("--status") { Description = "report the job database: provider, file, schema version, job count" };
        var showParams = new Option<bool>("--show-params") { Description = "show the last used job id, data dir, DB dir, schema version" };
        var schemaVersion = new Option<bool>("--schema-version") { Description = "print the schema version" };
        var command = new Command("dbctl", "look after the job database (Tractor's tractor-dbctl)") { configDir, status, showParams, schemaVersion };
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var dir = result.GetValue(configDir)!;
                var config = SiteConfigLoader.LoadEngine(dir);
                var db = SiteConfigLoader.LoadDb(dir);
                if (db.DBProvider != "sqlite")
                    return CommonOptions.Fail("tractor-dbctl", $"DBProvider '{db.DBProvider}' is not supported by this build (sqlite only)");
                var dataDir = SiteConfigLoader.DataDirectory(dir, config);
                await using var store = JobStores.OpenSqlite(dataDir);
                var version = await store.MigrateAsync(ct);
                var counter = await store.GetParamAsync("jidcounter", ct) ?? "0";
                if (result.GetValue(schemaVersion))
                    Console.WriteLine(version);
                else if (result.GetValue(status) || result.GetValue(showParams))
                {
                    var jobs = await store.ListJobsAsync(true, ct);
                    Console.WriteLine($"provider: sqlite");
                    Console.WriteLine($"database: {store.Description}");
                    Console.WriteLine($"data directory: {dataDir}");
                    Console.WriteLine($"schema version: {version} (this build knows up to {MigrationCatalog.LatestVersion})");
                    Console.WriteLine($"jobs: {jobs.Count}");
                    Console.WriteLine($"last used job id: {counter}");
                }
                else
                    return CommonOptions.Fail("tractor-dbctl", "this build supports --status, --show-params and --schema-version; the other verbs are not built yet");
                return 0;
            }
            catch (Exception error) when (error is SiteConfigException or StoreUnavailableException or EngineLockedException or IOException)
            {
                return CommonOptions.Fail("tractor-dbctl", error.Message);
            }
        });
        return command;
    }
}
