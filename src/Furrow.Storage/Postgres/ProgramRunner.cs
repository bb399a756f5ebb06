using System.Diagnostics;

namespace Furrow.Storage.Postgres;

/// <summary>Runs one of PostgreSQL's programs to completion and returns its exit code and everything it printed.</summary>
internal static class ProgramRunner
{
    public static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        using var process = Process.Start(info) ?? throw new StoreUnavailableException($"could not run {program}");
        // pg_ctl points the server's own output at its log file (-l), so these pipes close when the tool exits.
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
