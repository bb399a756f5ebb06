using System.CommandLine;
using Furrow.Client;
using Furrow.Engine.Site;

namespace Furrow.Cli.Commands;

/// <summary>
/// `furrow dashboard`: prints a fresh one-time link that signs a browser in to the engine's Dashboard as the user who runs
/// it, for when the link `furrow up` printed was used or has expired. It asks the engine as tq would: with the login kept
/// for that engine (`tq --login`, $FURROW_TOKEN), else, on the engine's host, through its unix socket.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var engine = CommonOptions.Engine();
        var configDir = CommonOptions.ConfigDir();
        configDir.Description = "site config directory whose tractor.config gives the engine's port and whether it serves https, " +
            "when --engine is not given (default: $FURROW_CONFIGDIR, else ./furrow-site; without one: $TRACTOR_ENGINE, else localhost:5600)";
        var command = new Command("dashboard", "print a one-time link that signs a browser in to the engine's Dashboard (works once, for 5 minutes)")
        {
            engine, configDir,
        };
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var (address, caFile) = Address(result.GetValue(engine), result.GetValue(configDir)!);
                using var client = new EngineClient(address, caFile: caFile);
                var link = await client.SignInLinkAsync(ct);
                Console.WriteLine(client.SignInUrl(link));
                return 0;
            }
            catch (EngineException error) when (error.StatusCode == 401)
            {
                return CommonOptions.Fail("furrow dashboard", $"{error.Message} (on another host: tq --login first)");
            }
            catch (Exception error) when (error is EngineException or HttpRequestException or UriFormatException or SiteConfigException)
            {
                return CommonOptions.Fail("furrow dashboard", error.Message);
            }
        });
        return command;
    }

    /// <summary>
    /// The engine to ask, and the CA file to trust it by: --engine; else the engine of the site at
    /// <paramref name="configDir"/> when it has a tractor.config (its port, https with its site CA when Tls is on); else
    /// null for tq's default ($TRACTOR_ENGINE, else localhost:5600).
    /// </summary>
    private static (string? Address, string? CaFile) Address(string? engine, string configDir)
    {
        if (!string.IsNullOrWhiteSpace(engine) || !File.Exists(Path.Combine(configDir, SiteConfigLoader.EngineConfigFile)))
            return (engine, null);
        var config = SiteConfigLoader.LoadEngine(configDir);
        var tls = EngineTlsSettings.FromConfig(configDir, config);
        // A wildcard address is no place to connect to: on the site's own host, loopback reaches it.
        var host = config.ListenAddress is "0.0.0.0" or "::" or "" ? "127.0.0.1" : config.ListenAddress;
        if (System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            host = $"[{host}]";
        // Where the engine keeps the CA it makes for Tls "site-ca" (docs/operations.md, "TLS").
        var siteCa = Path.Combine(Path.GetFullPath(configDir), "tls", "site-ca.crt");
        var caFile = tls.Mode == EngineTlsMode.SiteCa && Environment.GetEnvironmentVariable(EngineTls.CaFileVariable) is not { Length: > 0 } ? siteCa : null;
        return ($"{(tls.IsOn ? "https" : "http")}://{host}:{config.ListenPort}", caFile);
    }
}
