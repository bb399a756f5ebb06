using System.CommandLine;
using Furrow.Client;

namespace Furrow.Cli.Commands;

/// <summary>`furrow spool` / `tractor-spool`: submits a job script and prints the new job's id.</summary>
internal static class SpoolCommand
{
    public static Command Create()
    {
        var engine = CommonOptions.Engine();
        var user = new Option<string>("--user") { Description = "job owner (default: $USER)", DefaultValueFactory = _ => CommonOptions.CurrentUser };
        var priority = new Option<double?>("--priority") { Description = "override the job's priority" };
        var paused = new Option<bool>("--paused") { Description = "spool the job paused" };
        var json = CommonOptions.Json();
        var file = new Argument<string>("file") { Description = "alfred job script or JSON job (- for stdin)" };
        var command = new Command("spool", "submit a job script; prints the new job id") { engine, user, priority, paused, json, file };
        command.SetAction(async (result, ct) =>
        {
            var path = result.GetValue(file)!;
            string text;
            try
            {
                text = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return CommonOptions.Fail("furrow spool", $"cannot read {path}: {error.Message}");
            }
            var isJson = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith('{');
            EngineClient client;
            try
            {
                client = new EngineClient(result.GetValue(engine));
            }
            catch (UriFormatException error)
            {
                return CommonOptions.Usage("furrow spool", error.Message);
            }
            using var owned = client;
            try
            {
                var reply = await client.SpoolAsync(text, new SpoolOptions(result.GetValue(user)!, path == "-" ? "stdin" : path,
                    Environment.MachineName, Environment.CurrentDirectory, result.GetValue(priority),
                    result.GetValue(paused) ? true : null, isJson), ct);
                Console.WriteLine(result.GetValue(json) ? $"{{\"jid\": {reply.Jid}}}" : reply.Jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            }
            catch (EngineException error)
            {
                return CommonOptions.Fail("furrow spool", error.Message);
            }
            catch (HttpRequestException error)
            {
                return CommonOptions.Fail("furrow spool", $"cannot reach the engine at {client.BaseAddress}: {error.Message}");
            }
        });
        return command;
    }
}
