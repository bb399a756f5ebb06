using Furrow.Blade;

namespace Furrow.Blade.Tests;

public sealed class HostFiguresTests
{
    private const string MemInfo = """
        MemTotal:       24683620 kB
        MemFree:        24069328 kB
        MemAvailable:   24383708 kB
        Buffers:           13076 kB
        Cached:           502712 kB
        HugePages_Total:       0
        Hugepagesize:       2048 kB
        """;

    [Fact]
    public void FiguresArePlausibleOnThisMachine()
    {
        Assert.True(OperatingSystem.IsLinux(), "these figures are checked on Linux");
        var figures = new HostFigures(Path.GetTempPath()).Current();

        Assert.Equal(Environment.ProcessorCount, figures.Cores);
        Assert.True(figures.MemoryGB > 0, $"memory {figures.MemoryGB}");
        Assert.InRange(figures.FreeMemoryGB, 0, figures.MemoryGB);
        Assert.True(figures.FreeDiskGB > 0, $"disk {figures.FreeDiskGB}");
        Assert.True(figures.Load >= 0, $"load {figures.Load}");
        Assert.Equal("linux", figures.Platform);
        Assert.False(string.IsNullOrWhiteSpace(figures.OsInfo));
    }

    [Fact]
    public void MemoryMatchesProcMemInfo()
    {
        Assert.True(HostFigures.TryParseMemInfo(File.ReadAllText("/proc/meminfo"), out var total, out _));
        var figures = new HostFigures().Current();
        Assert.Equal(total / (1024d * 1024 * 1024), figures.MemoryGB, 2);
    }

    [Fact]
    public void FiguresAreCachedThenReadAgain()
    {
        var clock = new ManualClock();
        var host = new HostFigures(null, clock);
        var first = host.Current();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Same(first, host.Current());
        clock.Advance(HostFigures.CacheFor);
        Assert.NotSame(first, host.Current());
    }

    [Fact]
    public void MissingWorkingDirectoryUsesItsParentsFilesystem()
    {
        var missing = Path.Combine(Path.GetTempPath(), "furrow-no-such-dir-" + Guid.NewGuid().ToString("N"), "deeper");
        Assert.True(HostFigures.FreeDiskBytes(missing) > 0);
        Assert.Equal(0, HostFigures.FreeDiskBytes(""));
        Assert.True(new HostFigures(missing).Current().FreeDiskGB > 0);
    }

    [Fact]
    public void ParsesMemInfo()
    {
        Assert.True(HostFigures.TryParseMemInfo(MemInfo, out var total, out var available));
        Assert.Equal(24683620L * 1024, total);
        Assert.Equal(24383708L * 1024, available);
    }

    [Fact]
    public void MemInfoWithoutMemAvailableAddsFreeBuffersAndCached()
    {
        const string old = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n";
        Assert.True(HostFigures.TryParseMemInfo(old, out var total, out var available));
        Assert.Equal(1000L * 1024, total);
        Assert.Equal(420L * 1024, available);
    }

    [Fact]
    public void MemInfoAvailableIsNeverMoreThanTotal()
    {
        Assert.True(HostFigures.TryParseMemInfo("MemTotal: 10 kB\r\nMemAvailable: 50 kB\r\n", out var total, out var available));
        Assert.Equal(10L * 1024, total);
        Assert.Equal(total, available);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("MemTotal:\nMemAvailable: 5 kB")]
    [InlineData("MemTotal: lots kB\nMemAvailable: 5 kB")]
    [InlineData("MemTotal: -5 kB\nMemAvailable: 5 kB")]
    [InlineData("MemTotal: 99999999999999999999 kB\nMemAvailable: 5 kB")]
    [InlineData("MemTotal: 9223372036854775807 kB\nMemAvailable: 5 kB")]
    [InlineData("MemAvailable: 5 kB\nMemFree: 5 kB")]
    [InlineData("MemTotal: 1000 kB")]
    [InlineData("MemTotal: 1000 kB\nMemAvailable: x kB")]
    [InlineData(":\n::\nMemTotal 1000 kB\n")]
    public void MalformedMemInfoFallsBack(string text)
    {
        Assert.False(HostFigures.TryParseMemInfo(text, out var total, out var available));
        Assert.Equal(0, total);
        Assert.Equal(0, available);
    }

    [Theory]
    [InlineData("0.52 0.58 0.59 1/467 12345\n", 0.52)]
    [InlineData("12.00 8.1 3.2 10/900 1", 12.0)]
    [InlineData("  3.5\n", 3.5)]
    [InlineData("0.00 0.00 0.00 1/1 1", 0.0)]
    public void ParsesLoadAvg(string text, double expected)
    {
        Assert.True(HostFigures.TryParseLoadAvg(text, out var load));
        Assert.Equal(expected, load, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("load")]
    [InlineData("-1.0 0 0")]
    [InlineData("1,5 2 3")]
    [InlineData("NaN 1 1")]
    [InlineData("1e400 1 1")]
    public void MalformedLoadAvgFallsBackToZero(string text)
    {
        Assert.False(HostFigures.TryParseLoadAvg(text, out var load));
        Assert.Equal(0, load);
    }

    [Fact]
    public void RuntimeMemoryFallbackIsSane()
    {
        var (total, available) = HostFigures.GcMemory();
        Assert.True(total > 0);
        Assert.InRange(available, 0, total);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
