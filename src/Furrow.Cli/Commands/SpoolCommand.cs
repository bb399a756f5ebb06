using System.CommandLine;
using Furrow.Client;
using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Cli.Commands;

/// <summary>`furrow spool` / `tractor-spool`: submits a job script and prints the new job's id.</summary>
internal static class SpoolCommand
{
    /// <param name="name">The command's name: `spool` under furrow, `tractor-spool` when it is the root (<see cref="ShimName"/>).</param>
    public static Command Create(string name = "spool")
    {
        var engine = CommonOptions.Engine();
        var user = CommonOptions.User("job owner (default: $USER)");
        var priority = new Option<double?>("--priority") { Description = $"override the job's priority ({JobPriority.RangeText})" };
        var paused = new Option<bool>("--paused") { Description = "spool the job paused" };
        var json = CommonOptions.Json("print {\"jid\": N} instead of the bare job id");
        var file = new Argument<string>("file") { Description = "alfred job script or JSON job (- for stdin)" };
        var command = new Command(name, "submit a job script; prints the new job id") { engine, user, priority, paused, json, file };
        command.SetAction(async (result, ct) =>
        {
            var said = UsageErrors.Name(result.CommandResult.Command);
            if (result.GetValue(priority) is { } given && JobPriority.Refusal(given) is { } badPriority)
                return CommonOptions.Usage(said, $"--priority: {badPriority}");
            var path = result.GetValue(file)!;
            string text;
            if (path != "-" && Directory.Exists(path))
                return CommonOptions.Fail(said, $"{path} is a directory, not a job script: name an alfred (.alf) or JSON job file, or - for standard input");
            try
            {
                // Read as bytes and decoded by the engine's own rule, so a Latin-1 script keeps its accents.
                text = ScriptText.Decode(path == "-" ? await ReadStandardInputAsync(ct) : await File.ReadAllBytesAsync(path, ct));
            }
            catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
            {
                return CommonOptions.Fail(said, $"cannot read {path}: no such file");
            }
            catch (UnauthorizedAccessException)
            {
                return CommonOptions.Fail(said, $"cannot read {path}: permission denied (user {CommonOptions.CurrentUser} may not read it)");
            }
            catch (IOException error)
            {
                return CommonOptions.Fail(said, $"cannot read {path}: {error.Message}");
            }
            var isJson = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith('{');
            EngineClient client;
            try
            {
                client = new EngineClient(result.GetValue(engine));
            }
            catch (UriFormatException error)
            {
                return CommonOptions.Usage(said, error.Message);
            }
            using var owned = client;
            try
            {
                var reply = await client.SpoolAsync(text, new SpoolOptions(CommonOptions.ActingUser(result, user, client), path == "-" ? "stdin" : path,
                    Environment.MachineName, Environment.CurrentDirectory, result.GetValue(priority),
                    result.GetValue(paused) ? true : null, isJson), ct);
                Console.WriteLine(result.GetValue(json) ? $"{{\"jid\": {reply.Jid}}}" : reply.Jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            }
            catch (EngineException error)
            {
                return CommonOptions.Fail(said, error.Message);
            }
            catch (HttpRequestException error)
            {
                return CommonOptions.Fail(said, $"cannot reach the engine at {client.BaseAddress}: {error.Message}");
            }
        });
        return command;
    }

    private static async Task<byte[]> ReadStandardInputAsync(CancellationToken ct)
    {
        using var input = Console.OpenStandardInput();
        using var bytes = new MemoryStream();
        await input.CopyToAsync(bytes, ct);
        return bytes.ToArray();
    }
}
