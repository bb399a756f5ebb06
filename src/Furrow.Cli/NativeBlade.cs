using System.Collections;
using System.Runtime.InteropServices;

namespace Furrow.Cli;

/// <summary>
/// Hands `furrow blade` to <c>furrow-blade</c>, the same blade compiled to native code, when one is installed beside
/// furrow.dll (bin/furrow and the test run publish it there). A render node keeps a blade running all the time: native,
/// it holds about a third of the memory of one on the .NET runtime and spends nothing compiling code. The process is
/// replaced in place (execve), so its pid, arguments, environment, standard streams and signals stay what the caller
/// started (a service manager, a test, a shell). FURROW_BLADE_NATIVE=0 keeps the blade in this process.
/// </summary>
internal static partial class NativeBlade
{
    public const string FileName = "furrow-blade";

    /// <summary>
    /// Replaces this process with the native blade given <paramref name="bladeArgs"/> (what followed `blade`); returns only
    /// when there is none, it is turned off, or it could not be started (said on stderr), and the caller runs the blade itself.
    /// </summary>
    public static void ExecIfInstalled(string[] bladeArgs)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("FURROW_BLADE_NATIVE") == "0")
            return;
        var path = Path.Combine(AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
            return;
        string?[] argv = [path, .. bladeArgs, null];
        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment.Add($"{variable.Key}={variable.Value}");
        environment.Add(null);
        Execve(path, argv, [.. environment]);
        Console.Error.WriteLine($"furrow blade: could not start {path} ({Marshal.GetLastPInvokeErrorMessage()}); running the blade in this process");
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
