using System.Diagnostics;

namespace Furrow.Integration.Tests.Support;

/// <summary>Runs the repository's Tractor-named shims (bin/tq, bin/tractor-dbctl, ...) against the furrow build under test.</summary>
public static class Shims
{
    public static string BinDirectory { get; } = FindBin();

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string shim, string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(BinDirectory, shim))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["FURROW_DLL"] = FurrowProcess.FurrowDll;
        using var process = Process.Start(info)!;
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindBin()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "bin");
            if (File.Exists(Path.Combine(bin, "tractor-dbctl")))
                return bin;
        }
        throw new InvalidOperationException("cannot find the repository's bin/ shims above " + AppContext.BaseDirectory);
    }
}
