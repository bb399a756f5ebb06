using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Furrow.Integration.Tests.Support;

/// <summary>
/// One ```sh block running in bash, as a reader's terminal runs what they paste, but stricter: <c>set -e -o pipefail</c>,
/// so the first command that fails ends the block with its exit code. The block runs in a session of its own (setsid),
/// so a timeout or a stop reaches every process it started, and its stdout and stderr are kept together, in order.
/// </summary>
public sealed class SnippetShell : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SnippetShell(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <param name="script">Where to write the block (with the shell options in front) for bash to read.</param>
    /// <param name="stoppable">For a server in the foreground: bash waits for it to exit on SIGTERM, then exits with its code.</param>
    public static SnippetShell Start(DocSnippet snippet, string script, string workingDirectory, IReadOnlyDictionary<string, string?> environment, bool stoppable)
    {
        // A trapped SIGTERM is deferred until the foreground command ends, and the command gets the default handling back,
        // so a stop sent to the whole session ends the server cleanly and the block ends with the server's own exit code.
        var prelude = stoppable ? "trap 'true' TERM\n" : "";
        File.WriteAllText(script, $"# {snippet.Name}\n{prelude}set -e -o pipefail\n{snippet.Text}");
        // setsid makes bash the leader of a new session and process group (it does not fork: its parent, this test, leads
        // no group), so the group's id is bash's pid.
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "bash", "--noprofile", "--norc", script })
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                info.Environment.Remove(key);
            else
                info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var shell = new SnippetShell(process);
        process.OutputDataReceived += (_, e) => shell.Append(e.Data);
        process.ErrorDataReceived += (_, e) => shell.Append(e.Data);
        process.Start();
        process.StandardInput.Close(); // a reader's terminal would wait for an answer; here a question gets end-of-file
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return shell;
    }

    /// <summary>Waits for bash to exit; false if it has not by <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends <paramref name="signal"/> to every process of the block's group (SIGTERM 15, SIGKILL 9).</summary>
    public void SignalGroup(int signal)
    {
        if (!_process.HasExited)
            Kill(-_process.Id, signal);
    }

    /// <summary>The last <paramref name="count"/> lines of what the block printed, for a failure message.</summary>
    public string Tail(int count = 40)
    {
        var lines = Output.Split('\n');
        return lines.Length <= count ? Output : $"[... {lines.Length - count} lines]\n" + string.Join('\n', lines[^count..]);
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Ends whatever the block left behind in its group (a command sent to the background), and bash if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        Kill(-_process.Id, 9);
        // Bounded: a process of another session (a blade's command keeper) may hold the block's output open a while longer.
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
