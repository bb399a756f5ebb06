using Furrow.Core.Config;
using Furrow.Core.Scheduling;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>limits.config caps: site-wide, per host and per owner, and the counting behind them.</summary>
public sealed class LimitCounterTests
{
    // The example from Tractor's Limits Configuration page (with the colon it is missing after "thingy").
    private static readonly LimitsConfig TractorExample = ReadLimitsConfig("""
        {
           "Limits":
           {
              "prman":    {"SiteMax": 100, "OwnerMax": -1},
              "thingy":   {  "SiteMax": 25,
                             "SiteMaxCounting": "perHost",
                             "OwnerMax": 5,
                             "OwnerExceptions": {"bob": 2, "alice": 10},
                             "BladeMax": 2,
                             "BladeExceptions": {"gigantor": 8, "myphone": 0}
                          },
              "aparatus": {"SiteMax": -1, "OwnerMax": 2, "Shares": {"lighting": 3}}
           }
        }
        """);

    private static LimitCounter Counter(string name, LimitDefinition definition) =>
        new(new LimitsConfig { Limits = new() { [name] = definition } });

    [Fact]
    public void Read_TractorExample_KeepsEveryCap()
    {
        var thingy = TractorExample.Limits["thingy"];

        Assert.Equal(100, TractorExample.Limits["prman"].SiteMax);
        Assert.Equal(25, thingy.SiteMax);
        Assert.True(thingy.CountsHostsOnce);
        Assert.Equal(5, thingy.OwnerMax);
        Assert.Equal(2, thingy.OwnerCap("bob"));
        Assert.Equal(5, thingy.OwnerCap("carol"));
        Assert.Equal(2, thingy.HostCap("render07"));
        Assert.Equal(8, thingy.HostCap("GIGANTOR"));
        Assert.Equal(0, thingy.HostCap("myphone"));
        Assert.Null(TractorExample.Limits["aparatus"].SiteCap());
        Assert.Contains("Shares", TractorExample.Limits["aparatus"].OtherKeys!.Keys);
        // Per-limit Shares are not honoured yet, so they are refused by name rather than silently ignored.
        var problem = Assert.Single(TractorExample.Validate());
        Assert.Contains("aparatus", problem, StringComparison.Ordinal);
        Assert.Contains("not supported yet: Shares", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WhyNot_SiteCapReached_CountsEveryCommandFarmWide()
    {
        var counter = Counter("prman", new LimitDefinition { SiteMax = 2 });
        string[] names = ["prman"];

        counter.Acquire(names, "render01");
        Assert.Null(counter.WhyNot(names, "render02"));
        counter.Acquire(names, "render02");

        Assert.Equal(2, counter.InUse("prman"));
        Assert.Equal("limit prman is at its site-wide cap (2 of 2 in use)", counter.WhyNot(names, "render03"));
        counter.Release(names, "render01");
        Assert.Null(counter.WhyNot(names, "render03"));
    }

    [Fact]
    public void WhyNot_PerHostCapReached_OnlyOnThatHost()
    {
        var counter = Counter("nuke", new LimitDefinition { SiteMax = 10, BladeMax = 2 });
        string[] names = ["nuke"];

        counter.Acquire(names, "render07");
        counter.Acquire(names, "render07");

        Assert.Equal("limit nuke is at its per-host cap on render07 (2 of 2)", counter.WhyNot(names, "render07"));
        Assert.Equal("limit nuke is at its per-host cap on RENDER07 (2 of 2)", counter.WhyNot(names, "RENDER07"));
        Assert.Null(counter.WhyNot(names, "render08"));
        Assert.Equal(2, counter.InUseOn("nuke", "render07"));
    }

    [Fact]
    public void WhyNot_BladeExceptions_ReplaceThePerHostCap()
    {
        var counter = new LimitCounter(TractorExample);
        string[] names = ["thingy"];

        Assert.Equal("limit thingy is at its per-host cap on myphone (0 of 0)", counter.WhyNot(names, "myphone"));
        for (var i = 0; i < 8; i++)
        {
            Assert.Null(counter.WhyNot(names, "gigantor"));
            counter.Acquire(names, "gigantor");
        }

        Assert.Equal("limit thingy is at its per-host cap on gigantor (8 of 8)", counter.WhyNot(names, "gigantor"));
    }

    [Fact]
    public void WhyNot_PerHostSiteCounting_CountsEachHostOnce()
    {
        var counter = Counter("lic", new LimitDefinition { SiteMax = 2, SiteMaxCounting = "perHost" });
        string[] names = ["lic"];

        counter.Acquire(names, "a");
        counter.Acquire(names, "a");
        counter.Acquire(names, "a");
        counter.Acquire(names, "b");

        Assert.Equal(2, counter.InUse("lic"));
        Assert.Null(counter.WhyNot(names, "a"));
        Assert.Equal("limit lic is at its site-wide cap (2 of 2 hosts in use)", counter.WhyNot(names, "c"));
        counter.Release(names, "b");
        Assert.Equal(1, counter.InUse("lic"));
        Assert.Null(counter.WhyNot(names, "c"));
    }

    [Fact]
    public void WhyNot_OwnerCap_WithExceptions_OnlyWhenAnOwnerIsGiven()
    {
        var counter = new LimitCounter(TractorExample);
        string[] names = ["aparatus"];

        counter.Acquire(names, "h1", "carol");
        counter.Acquire(names, "h2", "carol");

        Assert.Equal("limit aparatus is at its per-owner cap for carol (2 of 2)", counter.WhyNot(names, "h3", "carol"));
        Assert.Null(counter.WhyNot(names, "h3", "dave"));
        Assert.Null(counter.WhyNot(names, "h3"));
        Assert.Equal(2, counter.InUseBy("aparatus", "CAROL"));

        var thingy = new LimitCounter(TractorExample);
        thingy.Acquire(["thingy"], "h1", "bob");
        thingy.Acquire(["thingy"], "h2", "bob");
        Assert.Equal("limit thingy is at its per-owner cap for bob (2 of 2)", thingy.WhyNot(["thingy"], "h3", "bob"));
    }

    [Fact]
    public void WhyNot_UnlimitedAndAbsentCaps_NeverRefuse()
    {
        var counter = new LimitCounter(new LimitsConfig
        {
            Limits = new() { ["minus"] = new LimitDefinition { SiteMax = -1, BladeMax = -1, OwnerMax = -1 }, ["empty"] = new LimitDefinition() },
        });
        string[] names = ["minus", "empty"];

        for (var i = 0; i < 1000; i++)
            counter.Acquire(names, "render01", "bob");

        Assert.Null(counter.WhyNot(names, "render01", "bob"));
        Assert.Equal(1000, counter.InUse("empty"));
    }

    [Fact]
    public void Undefined_Names_AreNeitherLimitedNorCounted()
    {
        var counter = Counter("prman", new LimitDefinition { SiteMax = 0 });

        Assert.Null(counter.WhyNot(["nuke", "houdini"], "render01"));
        counter.Acquire(["nuke"], "render01");
        counter.Release(["nuke"], "render01");
        counter.Release(["nuke"], "render01");
        Assert.Equal(0, counter.InUse("nuke"));
    }

    [Fact]
    public void Acquire_SameLimitNamedTwice_CountsOnce()
    {
        var counter = Counter("prman", new LimitDefinition { SiteMax = 5 });

        counter.Acquire(["prman", "PRMAN", "prman"], "render01");

        Assert.Equal(1, counter.InUse("prman"));
        Assert.Equal(1, counter.InUse("Prman"));
    }

    [Fact]
    public void Acquire_CountsPastACap_SoRunningCommandsAreNeverLost()
    {
        var counter = Counter("prman", new LimitDefinition { SiteMax = 1 });

        counter.Acquire(["prman"], "a");
        counter.Acquire(["prman"], "b");

        Assert.Equal(2, counter.InUse("prman"));
        Assert.Equal("limit prman is at its site-wide cap (2 of 1 in use)", counter.WhyNot(["prman"], "c"));
    }

    [Fact]
    public void WhyNot_SeveralLimits_NamesTheOneAtItsCap()
    {
        var counter = new LimitCounter(new LimitsConfig
        {
            Limits = new() { ["prman"] = new LimitDefinition { SiteMax = 10 }, ["license"] = new LimitDefinition { SiteMax = 1 } },
        });

        counter.Acquire(["license"], "a");

        Assert.Equal("limit license is at its site-wide cap (1 of 1 in use)", counter.WhyNot(["prman", "license"], "b"));
    }

    [Fact]
    public void Release_MoreThanAcquired_ThrowsAndChangesNothing()
    {
        var counter = new LimitCounter(new LimitsConfig
        {
            Limits = new() { ["a"] = new LimitDefinition(), ["b"] = new LimitDefinition() },
        });
        counter.Acquire(["a"], "h1");

        var error = Assert.Throws<InvalidOperationException>(() => counter.Release(["a", "b"], "h1"));

        Assert.Equal("limit b released on h1 more often than acquired", error.Message);
        Assert.Equal(1, counter.InUse("a"));
        Assert.Throws<InvalidOperationException>(() => counter.Release(["a"], "h2"));
        Assert.Throws<InvalidOperationException>(() => counter.Release(["a"], "h1", "bob"));
        Assert.Equal(1, counter.InUseOn("a", "h1"));
    }

    [Fact]
    public void LimitNamesOf_TagsThenServiceKeys_OnlyDefined_OnceEach_InTheConfigSpelling()
    {
        var config = new LimitsConfig
        {
            Limits = new()
            {
                ["prman"] = new LimitDefinition(), ["Nuke"] = new LimitDefinition(), ["pixarRender"] = new LimitDefinition(),
            },
        };

        var names = LimitCounter.LimitNamesOf(["PRMAN", "undefined", "prman"], Key("nuke && (PixarRender || Linux) && !prman"), config);

        Assert.Equal(["prman", "Nuke", "pixarRender"], names);
        Assert.Equal(["prman"], LimitCounter.LimitNamesOf(["prman"], null, config));
        Assert.Empty(LimitCounter.LimitNamesOf([], ServiceKey.None, config));
    }

    [Theory]
    [InlineData("/opt/pixar/bin/prman", "prman")]
    [InlineData("C:\\tools\\Nuke", "Nuke")]
    [InlineData("prman", "prman")]
    public void LimitNamesOf_Executable_CountsTheApplicationName(string executable, string expected)
    {
        var config = new LimitsConfig { Limits = new() { ["prman"] = new LimitDefinition(), ["Nuke"] = new LimitDefinition() } };

        Assert.Equal([expected], LimitCounter.LimitNamesOf([], null, executable, config));
    }

    [Fact]
    public void Validate_ReportsBadCapsCountingModesAndCaseClashes()
    {
        var config = ReadLimitsConfig("""
            {"Limits": {
                "prman": {"SiteMax": -2, "BladeMax": 3, "BladeExceptions": {"big": -5}},
                "PRMAN": {"SiteMax": 1},
                "lic": {"SiteMaxCounting": "perhostt", "OwnerMax": -3, "OwnerExceptions": {"bob": -7}},
                "gone": null,
                "ok": {"SiteMaxCounting": "PERHOST", "SiteMax": 0}
            }}
            """);

        Assert.Equal(
        [
            "Limits \"prman\": SiteMax is -2; use -1 for unlimited, or 0 or more",
            "Limits \"prman\": BladeExceptions \"big\" is -5; use -1 for unlimited, or 0 or more",
            "Limits \"prman\" and \"PRMAN\" differ only in case; limit names are compared ignoring case",
            "Limits \"lic\": OwnerMax is -3; use -1 for unlimited, or 0 or more",
            "Limits \"lic\": OwnerExceptions \"bob\" is -7; use -1 for unlimited, or 0 or more",
            "Limits \"lic\": SiteMaxCounting is \"perhostt\"; use \"perInvocation\" or \"perHost\"",
            "Limits \"gone\" is null; expected an object such as {\"SiteMax\": 10}",
        ], config.Validate());
    }

    [Fact]
    public void Allows_IsWhyNotWithoutTheWords_ThroughAnyRunOfStartsAndStops()
    {
        var counter = new LimitCounter(TractorExample);
        string[] hosts = ["render01", "render02", "gigantor", "myphone"];
        string[] owners = ["alice", "bob", "carol"];
        string[][] sets = [["prman"], ["thingy"], ["prman", "thingy"], ["undefined"]];
        var held = new List<(string[] Names, string Host, string Owner)>();
        var random = new Random(20261130);
        for (var step = 0; step < 2000; step++)
        {
            var names = sets[random.Next(sets.Length)];
            var host = hosts[random.Next(hosts.Length)];
            var owner = owners[random.Next(owners.Length)];
            var why = counter.WhyNot(names, host, owner);
            Assert.True(counter.Allows(names, host, owner) == (why is null), $"step {step}: Allows disagrees with '{why}'");
            Assert.Equal(counter.WhyNot(names, host) is null, counter.Allows(names, host));
            if (why is null && random.Next(3) > 0)
            {
                counter.Acquire(names, host, owner);
                held.Add((names, host, owner));
            }
            else if (held.Count > 0)
            {
                var i = random.Next(held.Count);
                counter.Release(held[i].Names, held[i].Host, held[i].Owner);
                held.RemoveAt(i);
            }
        }
    }
}
