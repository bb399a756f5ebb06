using System.Diagnostics;

namespace Furrow.Integration.Tests.Support;

/// <summary>Runs a program to completion with optional standard input; returns its exit code, stdout and stderr.</summary>
public static class ProgramRun
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(ProcessStartInfo info, string? stdin = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
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

    /// <summary>Runs a program to completion; its stdout comes back as the bytes it wrote, undecoded.</summary>
    public static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunBytesAsync(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        using var stdout = new MemoryStream();
        var copied = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await copied;
        return (process.ExitCode, stdout.ToArray(), await stderr);
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return RunAsync(info);
    }

    /// <summary>Runs a system tool the test needs (tar, mount) and fails the test, with its stderr, if it fails.</summary>
    public static async Task RequireAsync(string why, string program, params string[] args)
    {
        var (code, _, stderr) = await RunAsync(program, args);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} failed ({why}): {stderr}");
    }
}
