using System.Text.Json;
using Furrow.Core.Config;
using static Furrow.Core.Tests.Scheduling.SchedulingTestSupport;

namespace Furrow.Core.Tests.Scheduling;

/// <summary>blade.config: reading Tractor's shape, first-match profile choice, defaults filling, and validation.</summary>
public sealed class BladeConfigTests
{
    // Shaped like the example in Tractor's Server Profiles page, with the comments and trailing commas sites write.
    private const string TractorStyle = """
        {
            "ProfileDefaults": {
                "ProfileName": "default",
                "Provides": ["pixarRender", "pixarNRM"],
                "Hosts": {"Platform": "*"},
                "Access": {"Crews": ["*"], "NimbyCrews": ["*"], "NimbyConnectPolicy": 1.5},
                "Capacity": {
                    "MaxSlots": 1,    // 0 -> use number of system CPUs
                    "MaxLoad": 1.5,   // CPU load avg, normalized by cpu count
                    "MinRAM": 1.0,    // gigabytes
                    "MinDisk": 20.0,  // gigabytes
                },
                "UDI": 1.0,
                "RecentErrorThrottle": [5, 30, 120],
                "EnvKeys": [{"keys": ["default"], "environment": {"SHOW": "(not_set)"}, "envhandler": "default"}],
            },
            "BladeProfiles": [
                {
                    "ProfileName": "BigLinux",
                    "Hosts": {"Name": ["render0*", "10.0.1.*"], "Platform": "*Linux*"},
                    "Provides": ["PixarRender", "NukeRender", "prman(max:3)"],
                    "Capacity": {"MaxSlots": 8, "MinDisk": [50, "/scratch"]},
                    "NIMBY": 0,
                },
                {
                    "ProfileName": "Desktops",
                    "Hosts": {"Name": "desk*"},
                    "NIMBY": "alice",
                },
                {"ProfileName": "Everything else"},
            ],
        }
        """;

    private static readonly BladeConfig Config = ReadBladeConfig(TractorStyle);

    [Fact]
    public void Read_TractorStyleFile_KeepsEverySettingFurrowUses()
    {
        var big = Config.BladeProfiles[0];

        Assert.Equal(3, Config.BladeProfiles.Count);
        Assert.Equal("default", Config.ProfileDefaults!.ProfileName);
        Assert.Equal(["render0*", "10.0.1.*"], big.Hosts!.Name);
        Assert.Equal("*Linux*", big.Hosts.Platform);
        Assert.Equal(8, big.Capacity!.MaxSlots);
        Assert.Equal(new MinDiskSetting(50, "/scratch"), big.Capacity.MinDisk);
        Assert.Equal("0", big.Nimby);
        Assert.Equal(["desk*"], Config.BladeProfiles[1].Hosts!.Name);
        Assert.Equal("alice", Config.BladeProfiles[1].Nimby);
        Assert.Equal(20.0, Config.ProfileDefaults.Capacity!.MinDisk!.Gigabytes);
        Assert.Equal("(not_set)", Config.ProfileDefaults.EnvKeys![0].Environment!["SHOW"]);
        Assert.Equal("default", Config.ProfileDefaults.EnvKeys[0].EnvHandler);
        Assert.Contains("UDI", Config.ProfileDefaults.OtherKeys!.Keys);
        // Tractor settings Furrow does not honour are refused by name rather than silently ignored.
        Assert.Equal(
            ["Access", "UDI", "RecentErrorThrottle"],
            Config.Validate().Select(p => System.Text.RegularExpressions.Regex.Match(p, "key \"([^\"]+)\"").Groups[1].Value));
        Assert.All(Config.Validate(), p => Assert.StartsWith("ProfileDefaults: unknown or unsupported key", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesMisspeltKeys_AtEveryLevel_NamingThem()
    {
        var config = System.Text.Json.JsonSerializer.Deserialize<BladeConfig>("""
            { "BladeProfile": [],
              "BladeProfiles": [ { "ProfileName": "comp", "Provide": ["Nuke"], "Capacity": { "MinDsk": 10 } } ] }
            """)!;
        var problems = config.Validate();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("\"BladeProfile\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("BladeProfiles[0] \"comp\": unknown or unsupported key \"Provide\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("\"Capacity.MinDsk\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("render07", "10.0.0.7", "Linux-6.1-x86_64-64bit", "BigLinux")]
    [InlineData("RENDER07", "10.0.0.7", "linux", "BigLinux")]
    [InlineData("bob", "10.0.1.5", "Linux", "BigLinux")]
    [InlineData("render07", "10.0.0.7", "Windows-10", "Everything else")]
    [InlineData("desk12", "10.0.2.12", "Windows-10", "Desktops")]
    [InlineData("render12", "10.0.0.12", "linux", "Everything else")]
    [InlineData("render07", "10.0.0.7", null, "Everything else")]
    public void Match_FirstProfileWhoseHostsPass_Wins(string name, string host, string? platform, string expected)
    {
        Assert.Equal(expected, Config.Match(name, host, platform)?.ProfileName);
        Assert.Equal(expected, Config.Resolve(name, host, platform)?.ProfileName);
    }

    [Fact]
    public void Match_OrderMatters_AnEarlierCatchAllHidesLaterProfiles()
    {
        var config = new BladeConfig
        {
            BladeProfiles =
            [
                new BladeProfile { ProfileName = "all" },
                new BladeProfile { ProfileName = "specific", Hosts = new BladeHosts { Name = ["render07"] } },
            ],
        };

        Assert.Equal("all", config.Match("render07", "render07", "linux")?.ProfileName);
    }

    [Fact]
    public void Match_NoProfileApplies_IsNull()
    {
        var config = new BladeConfig
        {
            BladeProfiles = [new BladeProfile { ProfileName = "farm", Hosts = new BladeHosts { Name = ["render*"] } }],
        };

        Assert.Null(config.Match("desk01", "10.0.2.1", "linux"));
        Assert.Null(config.Resolve("desk01", "10.0.2.1", "linux"));
        Assert.Null(new BladeConfig().Match("render01", "render01", "linux"));
    }

    [Fact]
    public void Match_DefaultsHostsTests_ApplyToProfilesThatSetNone()
    {
        var config = new BladeConfig
        {
            ProfileDefaults = new BladeProfile { Hosts = new BladeHosts { Platform = "*linux*" } },
            BladeProfiles = [new BladeProfile { ProfileName = "farm", Hosts = new BladeHosts { Name = ["render*"] } }],
        };

        Assert.NotNull(config.Match("render01", "render01", "Linux-6.1"));
        Assert.Null(config.Match("render01", "render01", "Windows-10"));
    }

    [Fact]
    public void Match_HostTestFurrowCannotEvaluate_NeverMatches_AndIsReported()
    {
        var config = ReadBladeConfig("""
            {"BladeProfiles": [
                {"ProfileName": "GPU", "Hosts": {"GPU.label": ["NVIDIA*"]}, "Provides": ["GPU"]},
                {"ProfileName": "rest"}
            ]}
            """);

        Assert.Equal("rest", config.Match("render01", "render01", "linux")?.ProfileName);
        Assert.Equal(
            ["BladeProfiles[0] \"GPU\": Hosts test \"GPU.label\" is not supported (Furrow matches on Name and Platform only), so the profile could never match"],
            config.Validate());
    }

    [Fact]
    public void Resolve_DefaultsFillWhatTheProfileLeavesUnset()
    {
        var big = Config.Resolve("render07", "10.0.0.7", "linux")!;
        var desk = Config.Resolve("desk01", "10.0.2.1", "linux")!;

        Assert.Equal(0, big.Index);
        Assert.Equal(8, big.MaxSlots);
        Assert.Equal(1.5, big.MaxLoad);
        Assert.Equal(1.0, big.MinRAM);
        Assert.Equal(50, big.MinDisk);
        Assert.Equal("/scratch", big.MinDiskDrive);
        Assert.True(big.Provides.SetEquals(["PixarRender", "NukeRender", "prman"]));
        Assert.Equal(3, big.Provides.Count);
        Assert.Equal("default", big.EnvKeys.Single().EnvHandler);

        Assert.Equal(1, desk.Index);
        Assert.Equal(1, desk.MaxSlots);
        Assert.Equal(20, desk.MinDisk);
        Assert.Null(desk.MinDiskDrive);
        Assert.True(desk.Provides.SetEquals(["pixarRender", "pixarNRM"]));
        Assert.Equal("alice", desk.Nimby);
    }

    [Fact]
    public void Resolve_ProvidesIgnoresCaseAndAnnotations()
    {
        var big = Config.Resolve("render07", "10.0.0.7", "linux")!;

        Assert.Contains("PIXARRENDER", big.Provides);
        Assert.Contains("prman", big.Provides);
        Assert.DoesNotContain("prman(max:3)", big.Provides);
    }

    [Fact]
    public void Resolve_NothingSetAnywhere_UsesFallbacks()
    {
        var config = new BladeConfig { BladeProfiles = [new BladeProfile()] };

        var profile = config.Resolve("render01", "render01", "linux")!;

        Assert.Equal("default", profile.ProfileName);
        Assert.Equal(0, profile.MaxSlots);
        Assert.Equal(1.5, profile.MaxLoad);
        Assert.Equal(0, profile.MinRAM);
        Assert.Equal(0, profile.MinDisk);
        Assert.Equal("0", profile.Nimby);
        Assert.Empty(profile.EnvKeys);
        Assert.True(profile.Provides.SetEquals(ResolvedProfile.TractorDefaultProvides));
    }

    [Fact]
    public void Resolve_ProfileNotInTheList_HasIndexMinusOne()
    {
        Assert.Equal(-1, Config.Resolve(new BladeProfile { ProfileName = "loose" }).Index);
    }

    [Fact]
    public void Validate_ReportsEachProblemWithPositionAndName()
    {
        var config = ReadBladeConfig("""
            {
                "ProfileDefaults": {"Capacity": {"MinRAM": -1}},
                "BladeProfiles": [
                    {"ProfileName": "ok", "Provides": ["PixarRender"]},
                    {"ProfileName": "  ", "Capacity": {"MaxSlots": -2}},
                    {"ProfileName": "flat", "MaxSlots": 4, "minDisk": 10},
                    {"ProfileName": "keys", "Provides": ["Pixar Render", "", "prman(max:2)"], "Hosts": {"Name": [""]}},
                    null,
                    {"ProfileName": "neg", "Capacity": {"MaxLoad": -0.5, "MinDisk": [-3, "/scratch"]}}
                ]
            }
            """);

        Assert.Equal(
        [
            "ProfileDefaults: Capacity.MinRAM is -1; it must be 0 or more (gigabytes)",
            "BladeProfiles[1]: ProfileName is missing or empty",
            "BladeProfiles[1]: Capacity.MaxSlots is -2; use 0 (one per CPU core) or more",
            "BladeProfiles[2] \"flat\": \"MaxSlots\" belongs inside \"Capacity\": { ... }, as in Tractor's blade.config; where it is, it would be ignored",
            "BladeProfiles[2] \"flat\": \"minDisk\" belongs inside \"Capacity\": { ... }, as in Tractor's blade.config; where it is, it would be ignored",
            "BladeProfiles[3] \"keys\": Hosts.Name has an empty pattern",
            "BladeProfiles[3] \"keys\": Provides entry \"Pixar Render\" is not a service key (letters, digits and _ - . + / : only)",
            "BladeProfiles[3] \"keys\": Provides entry \"\" is not a service key (letters, digits and _ - . + / : only)",
            "BladeProfiles[4] is null; expected a profile object",
            "BladeProfiles[5] \"neg\": Capacity.MaxLoad is -0.5; it must be 0 or more (load per core)",
            "BladeProfiles[5] \"neg\": Capacity.MinDisk is -3; it must be 0 or more (gigabytes)",
        ], config.Validate());
    }

    [Fact]
    public void Resolve_NegativeMaxSlots_IsTreatedAsOnePerCore()
    {
        var config = new BladeConfig { BladeProfiles = [new BladeProfile { ProfileName = "p", Capacity = new BladeCapacity { MaxSlots = -4 } }] };

        Assert.Equal(0, config.Resolve("a", "a", "linux")!.MaxSlots);
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("0", "0")]
    [InlineData("true", "1")]
    [InlineData("false", "0")]
    [InlineData("\"bob\"", "bob")]
    public void Read_Nimby_NumberBooleanOrUser(string json, string expected)
    {
        var config = ReadBladeConfig($$"""{"BladeProfiles": [{"ProfileName": "p", "NIMBY": {{json}}}]}""");

        Assert.Equal(expected, config.BladeProfiles[0].Nimby);
    }

    [Theory]
    [InlineData("""{"BladeProfiles": [{"Capacity": {"MinDisk": "lots"}}]}""")]
    [InlineData("""{"BladeProfiles": [{"Capacity": {"MinDisk": [10]}}]}""")]
    [InlineData("""{"BladeProfiles": [{"Capacity": {"MinDisk": [10, "/scratch", 3]}}]}""")]
    [InlineData("""{"BladeProfiles": [{"Hosts": {"Name": 7}}]}""")]
    [InlineData("""{"BladeProfiles": [{"Hosts": {"Name": ["a", 7]}}]}""")]
    [InlineData("""{"BladeProfiles": [{"NIMBY": [1]}]}""")]
    [InlineData("""{"BladeProfiles": [{"EnvKeys": ["@merge('shared.linux.envkeys')"]}]}""")]
    public void Read_ValueOfTheWrongShape_IsAJsonErrorWithPosition(string json)
    {
        var error = Assert.Throws<JsonException>(() => ReadBladeConfig(json));

        Assert.NotNull(error.LineNumber);
        Assert.NotNull(error.BytePositionInLine);
    }

    [Fact]
    public void Write_ThenRead_KeepsTheSettings()
    {
        var json = JsonSerializer.Serialize(Config, SiteConfigTestJsonContext.Default.BladeConfig);

        var again = ReadBladeConfig(json);

        var before = Config.Resolve("render07", "10.0.0.7", "linux")!;
        var after = again.Resolve("render07", "10.0.0.7", "linux")!;
        Assert.Equal((before.ProfileName, before.MaxSlots, before.MaxLoad, before.MinRAM, before.MinDisk, before.MinDiskDrive, before.Nimby),
            (after.ProfileName, after.MaxSlots, after.MaxLoad, after.MinRAM, after.MinDisk, after.MinDiskDrive, after.Nimby));
        Assert.True(before.Provides.SetEquals(after.Provides));
        Assert.Equal("alice", again.BladeProfiles[1].Nimby);
        Assert.Contains("\"NIMBY\": \"alice\"", json);
        Assert.Contains("\"keys\"", json);
    }
}
