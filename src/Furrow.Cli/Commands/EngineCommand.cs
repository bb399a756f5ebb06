using System.CommandLine;
using Furrow.Engine;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Furrow.Cli.Commands;

/// <summary>`furrow engine`: runs the engine in the foreground until SIGTERM or Ctrl-C.</summary>
internal static class EngineCommand
{
    /// <summary>The command, named <paramref name="name"/> (`engine` under furrow, `tractor-engine` as bin/tractor-engine's root).</summary>
    public static Command Create(string name = "engine")
    {
        var configDir = CommonOptions.ConfigDir();
        var port = CommonOptions.Port("listen port (default: ListenPort in tractor.config, else 5600)");
        var listen = new Option<string?>("--listen")
        {
            Description = "address to listen on (default: ListenAddress in tractor.config, else 127.0.0.1; an address other hosts reach needs Tls in tractor.config)",
        };
        var command = new Command(name, "run the engine in the foreground") { configDir, port, listen };
        command.SetAction(async (result, ct) =>
        {
            try
            {
                // A mistyped --configdir would otherwise start an empty farm with every default, and make its data
                // directory wherever the path pointed.
                var dir = result.GetValue(configDir)!;
                if (!Directory.Exists(dir))
                    return CommonOptions.Fail("furrow engine", $"there is no site config directory at {Path.GetFullPath(dir)}: give --configdir " +
                        "the directory holding the site's tractor.config (furrow up --dir DIR makes a new site)");
                var options = ResolveOptions(dir, result.GetValue(port));
                await using var app = await EngineHost.BuildAsync(options, result.GetValue(listen) ?? options.ListenAddress, ct);
                await app.StartAsync(ct);
                await app.WaitForShutdownAsync(ct);
                if (app.Services.GetRequiredService<EngineReadiness>().Failure is { } failure)
                    return CommonOptions.Fail("furrow engine", failure.Message);
                return 0;
            }
            catch (Exception error) when (error is SiteConfigException or StoreUnavailableException or EngineLockedException or IOException)
            {
                return CommonOptions.Fail("furrow engine", error.Message);
            }
        });
        return command;
    }

    /// <summary>Reads the site config into the options the engine runs with; its ranges are checked as it is read.</summary>
    public static EngineOptions ResolveOptions(string configDir, int? port)
    {
        var startupFiles = StartupConfigFiles.Read(configDir);
        var config = SiteConfigLoader.LoadEngine(configDir);
        var db = SiteConfigLoader.LoadDb(configDir);
        return new EngineOptions
        {
            ConfigDirectory = Path.GetFullPath(configDir),
            DataDirectory = SiteConfigLoader.DataDirectory(configDir, config),
            DatabaseDirectory = SiteConfigLoader.DatabaseDirectory(configDir, config, db),
            Database = db,
            StartupFiles = startupFiles,
            IgnoredSettings = SiteConfigLoader.IgnoredKeys(configDir, config, db),
            Port = port ?? config.ListenPort,
            ListenAddress = config.ListenAddress,
            AllowUnprotectedListen = config.AllowUnprotectedListen,
            EngineHostNames = config.EngineHostNames ?? [],
            Tls = EngineTlsSettings.FromConfig(configDir, config),
            RequireAuthentication = config.RequireAuthentication,
            LoginSessionLifetime = TimeSpan.FromDays(config.LoginSessionDays),
            BladeSilenceTimeout = TimeSpan.FromSeconds(config.BladeSilenceTimeoutSecs),
            MaxAutoRetries = config.MaxAutoRetries,
            DispatchTiers = config.DispatchTiers is { Count: > 0 } tiers ? tiers : ["admin", "rush", "default", "batch"],
            ProjectShares = config.ProjectShares ?? [],
            BlocklistFailures = config.BladeBlocklistFailures,
            Blades = SiteConfigLoader.LoadBlade(configDir),
            Limits = SiteConfigLoader.LoadLimits(configDir, out var limitsFingerprint),
            LimitsFingerprint = limitsFingerprint,
            ScriptLimits = new Core.Scripts.ScriptLimits { MaxBytes = config.ScriptMaxBytes, MaxDepth = config.ScriptMaxDepth },
            SpoolMaxInFlightBytes = config.SpoolMaxInFlightBytes,
            SpoolQueueWait = TimeSpan.FromSeconds(config.SpoolQueueWaitSecs),
            RequestRates = RequestRateLimits.FromConfig(config),
            SlowClients = SlowClientLimits.FromConfig(config),
            ArchiveRetention = config.ArchiveRetentionDays > 0 ? TimeSpan.FromDays(config.ArchiveRetentionDays) : null,
            EnrolmentSecretFile = config.EnrolmentSecretPath(configDir),
        };
    }

    /// <summary>Whether a parsed command line runs the engine (by either name).</summary>
    public static bool IsEngine(ParseResult parsed) => parsed.CommandResult.Command.Name is "engine" or "tractor-engine";
}
