using Furrow.Core.Scheduling;

namespace Furrow.Core.Tests.Scheduling;

public sealed class ClockSkewTests
{
    private const long Hour = 3_600_000;

    [Fact]
    public void BeforeAnyReport_TheSkewIsUnknown_AndTimesAreOnlyKeptInBounds()
    {
        var skew = new ClockSkew();
        Assert.Null(skew.Ms);
        Assert.Equal(5_000, skew.ToEngine(5_000, 1_000, 9_000));
        Assert.Equal(9_000, skew.ToEngine(20_000, 1_000, 9_000));
        Assert.Equal(1_000, skew.ToEngine(10, 1_000, 9_000));
    }

    [Fact]
    public void TheEstimate_IsTheSmallestDifference_SoTimeInTransitDoesNotCount()
    {
        var skew = new ClockSkew();
        long engine = 1_800_000_000_000;
        // The blade is an hour ahead; its reports take 40, 3, 120 and 15 ms to arrive.
        foreach (var transit in new long[] { 40, 3, 120, 15 })
        {
            var sent = engine + Hour;
            engine += transit;
            skew.Add(engine, sent);
            engine += 1_000;
        }
        Assert.Equal(-Hour + 3, skew.Ms);
        // An event the blade stamped 2 s before "now" on its clock lands 2 s (less the 3 ms) before now on the engine's.
        Assert.Equal(engine - 2_000 + 3, skew.ToEngine(engine + Hour - 2_000, 0, engine));
    }

    [Fact]
    public void AStepOfTheBladeClock_ShowsAtOnceWhenItGoesForward_AndAfterTheWindowWhenItGoesBack()
    {
        var skew = new ClockSkew();
        long t = 1_000_000;
        skew.Add(t, t); // in step
        Assert.Equal(0, skew.Ms);
        skew.Add(t + 1_000, t + 1_000 + Hour); // the blade's clock jumps an hour ahead: the difference falls, seen at once
        Assert.Equal(-Hour, skew.Ms);
        // It is put back: a larger difference shows only once the smaller ones have left the window.
        for (var i = 0; i < ClockSkew.Window - 1; i++)
        {
            skew.Add(t + 2_000 + i, t + 2_000 + i);
            Assert.Equal(-Hour, skew.Ms);
        }
        skew.Add(t + 5_000, t + 5_000);
        Assert.Equal(0, skew.Ms);
    }

    [Fact]
    public void ASkewTooSmallToTellFromTransit_IsReportedButNotTakenOut()
    {
        var skew = new ClockSkew();
        skew.Add(50_000, 50_000 - 40); // 40 ms: a blade in step whose report took 40 ms, or one 40 ms behind
        Assert.Equal(40, skew.Ms);
        Assert.Equal(49_000, skew.ToEngine(49_000, 0, 50_000));
        skew.Add(60_000, 60_000 - ClockSkew.CorrectionThresholdMs); // a whole second: taken out
        Assert.Equal(40, skew.Ms);
        var behind = new ClockSkew();
        behind.Add(60_000, 60_000 - ClockSkew.CorrectionThresholdMs);
        Assert.Equal(59_000, behind.ToEngine(58_000, 0, 60_000));
    }

    [Fact]
    public void AStartIsNeverBeforeItsDispatch_NorAnyTimeAfterNow()
    {
        var skew = new ClockSkew();
        skew.Add(10_000, 10_000 - Hour); // the blade is an hour behind
        Assert.Equal(Hour, skew.Ms);
        Assert.Equal(9_500, skew.ToEngine(9_500 - Hour, 9_000, 10_000));
        Assert.Equal(9_000, skew.ToEngine(5_000 - Hour, 9_000, 10_000)); // would be before its dispatch
        Assert.Equal(10_000, skew.ToEngine(11_000, 9_000, 10_000)); // would be in the future
    }
}
