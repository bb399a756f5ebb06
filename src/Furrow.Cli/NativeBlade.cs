using System.Collections;
using System.Runtime.InteropServices;

namespace Furrow.Cli;

/// <summary>
/// Hands `furrow blade` to <c>furrow-blade</c> and `furrow tq` to <c>furrow-tq</c>, the same code compiled to native code,
/// when installed beside furrow.dll (bin/furrow and the test run publish them there). A render node keeps a blade running
/// all the time: native, it holds about a third of the memory of one on the .NET runtime and spends nothing compiling
/// code; a wrangler's script runs tq hundreds of times, and native it answers in a fifth of the time. The process is
/// replaced in place (execve), so its pid, arguments, environment, standard streams and signals stay what the caller
/// started (a service manager, a test, a shell). FURROW_BLADE_NATIVE=0 / FURROW_TQ_NATIVE=0 keep them in this process.
/// </summary>
internal static partial class NativeBlade
{
    public const string FileName = "furrow-blade";

    public const string TqFileName = "furrow-tq";

    /// <summary>
    /// Replaces this process with the native blade given <paramref name="bladeArgs"/> (what followed `blade`); returns only
    /// when there is none, it is turned off, or it could not be started (said on stderr), and the caller runs the blade itself.
    /// </summary>
    public static void ExecIfInstalled(string[] bladeArgs) => ExecIfInstalled(FileName, "FURROW_BLADE_NATIVE", "furrow blade", bladeArgs);

    /// <summary>As <see cref="ExecIfInstalled(string[])"/> for `furrow tq`.</summary>
    public static void ExecTqIfInstalled(string[] tqArgs) => ExecIfInstalled(TqFileName, "FURROW_TQ_NATIVE", "furrow tq", tqArgs);

    private static void ExecIfInstalled(string fileName, string switchName, string command, string[] args)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(switchName) == "0")
            return;
        var path = Path.Combine(AppContext.BaseDirectory, fileName);
        if (!File.Exists(path))
            return;
        string?[] argv = [path, .. args, null];
        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment.Add($"{variable.Key}={variable.Value}");
        environment.Add(null);
        Execve(path, argv, [.. environment]);
        Console.Error.WriteLine($"{command}: could not start {path} ({Marshal.GetLastPInvokeErrorMessage()}); running it in this process");
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
