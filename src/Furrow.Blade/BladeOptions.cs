namespace Furrow.Blade;

/// <summary>How a blade runs: which engine, its name and how many commands it runs at once.</summary>
public sealed class BladeOptions
{
    public string? Engine { get; set; }
    public string Name { get; set; } = Environment.MachineName;
    public string Host { get; set; } = Environment.MachineName;
    public int Slots { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>How long one long-poll for work may wait at the engine.</summary>
    public int PollWaitMs { get; set; } = 20_000;

    /// <summary>Directory commands run in; defaults to the blade's own working directory.</summary>
    public string? WorkingDirectory { get; set; }
}
