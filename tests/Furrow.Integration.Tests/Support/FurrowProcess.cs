using System.Diagnostics;
using System.Text;

namespace Furrow.Integration.Tests.Support;

/// <summary>A real `furrow` process started by a test, with its output kept for assertions and failure messages.</summary>
public sealed class FurrowProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private FurrowProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The furrow.dll the tests run: FURROW_DLL when set (the test run points it at the published build that
    /// bin/furrow runs), else the one built beside the tests.</summary>
    public static string FurrowDll { get; } = Environment.GetEnvironmentVariable("FURROW_DLL") is { Length: > 0 } dll
        ? Path.GetFullPath(dll)
        : Path.Combine(AppContext.BaseDirectory, "furrow.dll");

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static FurrowProcess Start(params string[] args) => Start(null, args);

    public static FurrowProcess Start(IDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(FurrowDll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        var result = new FurrowProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Runs a furrow command to completion; returns its exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ProgramRun.RunAsync("dotnet", [FurrowDll, .. args]);

    /// <summary>As <see cref="RunAsync(string[])"/>, with <paramref name="environment"/> set on top of the test's own.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet");
        foreach (var arg in (string[])[FurrowDll, .. args])
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        return ProgramRun.RunAsync(info);
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>kill -9: no shutdown code runs, as when a machine dies.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
            _process.Kill();
    }

    /// <summary>SIGTERM, as an init system stops a service; waits for the process to exit.</summary>
    public async Task TerminateAsync()
    {
        if (_process.HasExited)
            return;
        Signal(_process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Sends a signal (SIGTERM 15, SIGSTOP 19, SIGCONT 18, ...) to the process and returns at once.</summary>
    public void Send(int signal)
    {
        if (!_process.HasExited)
            Signal(_process.Id, signal);
    }

    /// <summary>Waits for the process to exit on its own; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"waited {timeout.TotalSeconds:0}s for pid {_process.Id} to exit; its output:\n{Output}");
        }
        return _process.ExitCode;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        KillHard();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
