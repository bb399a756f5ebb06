using System.Reflection;

namespace Furrow.Engine;

/// <summary>The running build's version, as blades, tq and backups record it.</summary>
public static class EngineVersion
{
    public static string Current { get; } =
        typeof(EngineVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}

/// <summary>When this engine process started.</summary>
internal sealed record EngineClock(long StartedMs);
