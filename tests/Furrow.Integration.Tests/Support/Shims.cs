using System.Diagnostics;

namespace Furrow.Integration.Tests.Support;

/// <summary>Runs the repository's Tractor-named shims (bin/tq, bin/tractor-dbctl, ...) against the furrow build under test.</summary>
public static class Shims
{
    public static string BinDirectory { get; } = FindBin();

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string shim, string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(BinDirectory, shim));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["FURROW_DLL"] = FurrowProcess.FurrowDll;
        return ProgramRun.RunAsync(info, stdin);
    }

    /// <summary>Runs a shim with no input; its stdout comes back as the bytes it wrote.</summary>
    public static Task<(int ExitCode, byte[] Stdout, string Stderr)> RunBytesAsync(string shim, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(BinDirectory, shim));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["FURROW_DLL"] = FurrowProcess.FurrowDll;
        return ProgramRun.RunBytesAsync(info);
    }

    /// <summary>
    /// How to start <paramref name="command"/> as a user types it: a shim's name (`tq`, `tractor-spool`) runs bin/'s
    /// shim, `furrow VERB` runs furrow.dll's VERB; against the build under test either way.
    /// </summary>
    public static ProcessStartInfo StartInfo(string command, params string[] args)
    {
        var info = command.StartsWith("furrow ", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet", [FurrowProcess.FurrowDll, command["furrow ".Length..], .. args])
            : new ProcessStartInfo(Path.Combine(BinDirectory, command), args);
        info.Environment["FURROW_DLL"] = FurrowProcess.FurrowDll;
        return info;
    }

    /// <summary>`tractor-dbctl --configdir SITE ARGS...`.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> DbctlAsync(TestSite site, params string[] args) =>
        RunAsync("tractor-dbctl", null, ["--configdir", site.ConfigDir, .. args]);

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
