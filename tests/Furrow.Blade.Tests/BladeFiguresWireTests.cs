using System.Text.Json;
using Furrow.Blade;
using Furrow.Client.Protocol;

namespace Furrow.Blade.Tests;

public sealed class BladeFiguresWireTests
{
    private static readonly BladeFigures Sample = new(16, 62.5, 40.25, 812.125, 1.5, "linux", "Linux 6.8.0 #1 SMP");

    [Fact]
    public void ReportCarriesFigures()
    {
        var report = new BladeReport("boot", [], [7], 3, Sample);
        var json = JsonSerializer.Serialize(report, FurrowJsonContext.Default.BladeReport);
        Assert.Contains("\"figures\":{\"cores\":16,\"memoryGB\":62.5", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize(json, FurrowJsonContext.Default.BladeReport);
        Assert.Equal(Sample, back!.Figures);
    }

    [Fact]
    public void RegistrationCarriesFigures()
    {
        var registration = new BladeRegistration("b1", "host1", 8, "0.1", "boot", 42, Sample);
        var json = JsonSerializer.Serialize(registration, FurrowJsonContext.Default.BladeRegistration);
        Assert.Equal(Sample, JsonSerializer.Deserialize(json, FurrowJsonContext.Default.BladeRegistration)!.Figures);
    }

    [Fact]
    public void OlderBladesWithoutFiguresStillParse()
    {
        const string json = """{"bootId":"boot","events":[],"running":[],"freeSlots":2}""";
        var report = JsonSerializer.Deserialize(json, FurrowJsonContext.Default.BladeReport);
        Assert.Null(report!.Figures);
        var plain = JsonSerializer.Serialize(new BladeRegistration("b1", "h", 1, "v", "boot", 1), FurrowJsonContext.Default.BladeRegistration);
        Assert.DoesNotContain("figures", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void CachedReadsAllocateNothing()
    {
        var host = new HostFigures();
        host.Current();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            host.Current();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
