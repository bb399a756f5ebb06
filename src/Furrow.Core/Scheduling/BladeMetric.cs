namespace Furrow.Core.Scheduling;

/// <summary>The blade figures a service key expression can test with <c>@.name</c>.</summary>
internal enum BladeMetric
{
    /// <summary><c>@.mem</c>: free physical memory, gigabytes.</summary>
    Memory,

    /// <summary><c>@.disk</c>: free disk space, gigabytes.</summary>
    Disk,

    /// <summary><c>@.nCPUs</c>: CPU cores the operating system reports.</summary>
    Cores,

    /// <summary><c>@.cpu</c>: load average divided by the core count, as Tractor normalises it.</summary>
    CpuUsage,

    /// <summary><c>@.load</c>: the raw load average (a Furrow addition).</summary>
    Load,
}

internal static class BladeMetrics
{
    /// <summary>The metric names in the spelling Tractor documents, for messages and normalised text.</summary>
    public const string KnownList = "@.mem, @.disk, @.nCPUs, @.cpu or @.load";

    public static bool TryParse(string name, out BladeMetric metric)
    {
        switch (name.ToLowerInvariant())
        {
            case "mem": metric = BladeMetric.Memory; return true;
            case "disk": metric = BladeMetric.Disk; return true;
            case "ncpus": metric = BladeMetric.Cores; return true;
            case "cpu": metric = BladeMetric.CpuUsage; return true;
            case "load": metric = BladeMetric.Load; return true;
            default: metric = default; return false;
        }
    }

    public static string Text(BladeMetric metric) => metric switch
    {
        BladeMetric.Memory => "@.mem",
        BladeMetric.Disk => "@.disk",
        BladeMetric.Cores => "@.nCPUs",
        BladeMetric.CpuUsage => "@.cpu",
        _ => "@.load",
    };

    public static double Value(BladeMetric metric, BladeTraits blade) => metric switch
    {
        BladeMetric.Memory => blade.MemoryGB,
        BladeMetric.Disk => blade.DiskGB,
        BladeMetric.Cores => blade.Cores,
        BladeMetric.CpuUsage => blade.Load / Math.Max(1, blade.Cores),
        _ => blade.Load,
    };

    /// <summary>
    /// What the blade has, in words a wrangler reads: <c>2.1 GB free memory</c>, <c>8 CPUs</c>; null when the blade has
    /// not reported the figure (NaN).
    /// </summary>
    public static string? Describe(BladeMetric metric, BladeTraits blade)
    {
        var raw = Value(metric, blade);
        if (double.IsNaN(raw))
            return null;
        var value = NumberText.Format(raw);
        return metric switch
        {
            BladeMetric.Memory => $"{value} GB free memory",
            BladeMetric.Disk => $"{value} GB free disk",
            BladeMetric.Cores => blade.Cores == 1 ? "1 CPU" : $"{value} CPUs",
            BladeMetric.CpuUsage => $"CPU usage {value} per core",
            _ => $"load {value}",
        };
    }

    /// <summary>The figure's name for "has not reported its …": <c>free memory</c>, <c>load</c>.</summary>
    public static string Name(BladeMetric metric) => metric switch
    {
        BladeMetric.Memory => "free memory",
        BladeMetric.Disk => "free disk",
        BladeMetric.Cores => "CPU count",
        BladeMetric.CpuUsage => "CPU usage",
        _ => "load",
    };
}
