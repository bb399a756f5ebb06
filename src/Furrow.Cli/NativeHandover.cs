using System.Collections;
using System.Runtime.InteropServices;

namespace Furrow.Cli;

/// <summary>
/// Hands `furrow blade` to <c>furrow-blade</c>, and `furrow tq` and `furrow spool` to <c>furrow-client</c>: the same code
/// compiled to native code, when installed beside furrow.dll (bin/furrow and the test run publish them there). A render
/// node keeps a blade running all the time: native, it holds about a third of the memory of one on the .NET runtime and
/// spends nothing compiling code; a wrangler's script runs tq hundreds of times and a pipeline spools from every publish,
/// and native they answer in a fraction of the time. The process is replaced in place (execve), so its pid, arguments,
/// environment, standard streams and signals stay what the caller started (a service manager, a test, a shell).
/// FURROW_BLADE_NATIVE=0, FURROW_TQ_NATIVE=0 and FURROW_SPOOL_NATIVE=0 keep each in this process.
/// </summary>
internal static partial class NativeHandover
{
    public const string BladeFileName = "furrow-blade";

    public const string ClientFileName = "furrow-client";

    /// <summary>
    /// Replaces this process with the native blade given <paramref name="bladeArgs"/> (what followed `blade`); returns only
    /// when there is none, it is turned off, or it could not be started (said on stderr), and the caller runs the blade itself.
    /// </summary>
    public static void ExecBladeIfInstalled(string[] bladeArgs) =>
        ExecIfInstalled(BladeFileName, "FURROW_BLADE_NATIVE", "furrow blade", bladeArgs);

    /// <summary>
    /// As <see cref="ExecBladeIfInstalled"/> for a client command: <paramref name="args"/> is furrow's whole command line,
    /// which starts with `tq` or `spool` (furrow-client takes the same), and each has its own switch.
    /// </summary>
    public static void ExecClientIfInstalled(string[] args)
    {
        var (switchName, command) = args[0] switch
        {
            "tq" => ("FURROW_TQ_NATIVE", "furrow tq"),
            "spool" => ("FURROW_SPOOL_NATIVE", "furrow spool"),
            _ => throw new ArgumentException($"furrow-client does not run '{args[0]}'", nameof(args)),
        };
        ExecIfInstalled(ClientFileName, switchName, command, args);
    }

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
