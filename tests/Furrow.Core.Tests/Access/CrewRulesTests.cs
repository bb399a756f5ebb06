using System.Text.Json;
using Furrow.Core.Access;
using Furrow.Core.Config;

namespace Furrow.Core.Tests.Access;

/// <summary>Who may do what under crews.config: job edit policies, locks, --force, farm actions and logins.</summary>
public sealed class CrewRulesTests
{
    private static readonly JsonSerializerOptions Json = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static CrewsConfig Config(string json) => JsonSerializer.Deserialize<CrewsConfig>(json, Json)!;

    private static readonly CrewRules Studio = new(Config("""
        {
          "Crews": {
            "Administrators": ["boss"], "Wranglers": ["wes", "leads"], "leads": ["lena"], "fx": ["fxer"],
            "loopA": ["loopB", "ann"], "loopB": ["loopA", "bea"]
          },
          "JobEditAccessPolicies": {
            "defaultPolicy": { "all": ["JobOwner", "Wranglers", "Administrators"], "delete": ["Administrators"] },
            "fxShared": { "edit": ["JobOwner", "fx"] }
          }
        }
        """));

    private static JobAccessFacts AnasJob(string? policy = null, string? lockedBy = null) => new("ana", policy, lockedBy);

    private static AccessCaller User(string name) => new(name, false);

    [Fact]
    public void OperationRefusal_LetsTheOwnerAct_WithoutForce()
    {
        Assert.Null(Studio.OperationRefusal(User("ana"), "chpri", AnasJob(), force: false, "J1"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OperationRefusal_RefusesAnotherPlainUser_ForceOrNot_NamingThePolicy(bool force)
    {
        var refusal = Studio.OperationRefusal(User("bob"), "chpri", AnasJob(), force, "J1");

        Assert.Equal("J1: owned by ana; crews.config's defaultPolicy lets only JobOwner, Wranglers, Administrators chpri it (--force does not change that)",
            refusal);
    }

    [Fact]
    public void OperationRefusal_LetsAWrangler_OnlyWithForce_ThroughANestedCrew()
    {
        Assert.Equal("J1: owned by ana; use --force to act on other users' jobs", Studio.OperationRefusal(User("lena"), "retry", AnasJob(), false, "J1"));
        Assert.Null(Studio.OperationRefusal(User("lena"), "retry", AnasJob(), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("wes"), "pause", AnasJob(), true, "J1"));
    }

    [Fact]
    public void OperationRefusal_TakesTheOperationsOwnKey_BeforeItsGroup()
    {
        Assert.Contains("lets only Administrators delete it", Studio.OperationRefusal(User("wes"), "delete", AnasJob(), true, "J1"));
        Assert.Contains("lets only Administrators delete it", Studio.OperationRefusal(User("ana"), "delete", AnasJob(), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("boss"), "delete", AnasJob(), true, "J1"));
    }

    [Fact]
    public void OperationRefusal_GivesANamedPolicysCrewWhatItNames_AndDefaultPolicysAnswerForTheRest()
    {
        Assert.Null(Studio.OperationRefusal(User("fxer"), "jattr", AnasJob("fxShared"), true, "J1"));
        Assert.Contains("crews.config's fxShared policy lets only JobOwner, fx chpri", Studio.OperationRefusal(User("wes"), "chpri", AnasJob("fxShared"), true, "J1"));
        // fxShared says nothing of retry: defaultPolicy's answer holds.
        Assert.Contains("defaultPolicy", Studio.OperationRefusal(User("fxer"), "retry", AnasJob("fxShared"), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("wes"), "retry", AnasJob("fxShared"), true, "J1"));
    }

    [Fact]
    public void OperationRefusal_FallsBackToDefaultPolicy_ForAPolicyNameNotDefined()
    {
        var refusal = Studio.OperationRefusal(User("fxer"), "jattr", AnasJob("fxShraed"), true, "J1");

        Assert.Contains("crews.config's defaultPolicy (the job's editpolicy fxShraed is not defined)", refusal);
        Assert.Null(Studio.OperationRefusal(User("wes"), "jattr", AnasJob("fxShraed"), true, "J1"));
    }

    [Fact]
    public void OperationRefusal_GivesAdministratorsEverything_ByLoginOrByCrew_ButNotPastALock()
    {
        Assert.Null(Studio.OperationRefusal(new AccessCaller("root", true), "delete", AnasJob("fxShared"), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("boss"), "cattr", AnasJob("fxShared"), true, "J1"));
        Assert.Contains("locked by ana", Studio.OperationRefusal(User("boss"), "chpri", AnasJob(lockedBy: "ana"), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("boss"), "unlock", AnasJob(lockedBy: "ana"), true, "J1"));
    }

    [Fact]
    public void OperationRefusal_KeepsALockedJobToItsHolder_AndLetsTheHolderUnlockWithoutForce()
    {
        Assert.Contains("locked by wes", Studio.OperationRefusal(User("ana"), "chpri", AnasJob(lockedBy: "wes"), true, "J1"));
        Assert.Contains("(--force breaks the lock)", Studio.OperationRefusal(User("ana"), "unlock", AnasJob(lockedBy: "wes"), false, "J1"));
        Assert.Null(Studio.OperationRefusal(User("ana"), "unlock", AnasJob(lockedBy: "wes"), true, "J1"));
        Assert.Null(Studio.OperationRefusal(User("wes"), "unlock", AnasJob(lockedBy: "wes"), false, "J1"));
        // bob may not unlock: --force is a confirmation, not a permission.
        Assert.Contains("lets only", Studio.OperationRefusal(User("bob"), "unlock", AnasJob(lockedBy: "wes"), true, "J1"));
    }

    [Fact]
    public void None_LetsOwnersActOnTheirOwnJobs_AndOnlyAdministratorsOnOthers()
    {
        Assert.Null(CrewRules.None.OperationRefusal(User("ana"), "delete", AnasJob(), false, "J1"));
        Assert.Contains("Furrow's default policy", CrewRules.None.OperationRefusal(User("bob"), "delete", AnasJob(), true, "J1"));
        Assert.Null(CrewRules.None.OperationRefusal(new AccessCaller("root", true), "delete", AnasJob(), true, "J1"));
        Assert.NotNull(CrewRules.None.FarmRefusal(User("ana"), "pause dispatch"));
        Assert.Null(CrewRules.None.FarmRefusal(new AccessCaller("root", true), "pause dispatch"));
        Assert.Null(CrewRules.None.LoginRefusal("anyone"));
    }

    [Fact]
    public void FarmRefusal_LetsWranglersAndAdministrators_AndNamesTheRuleForOthers()
    {
        Assert.Null(Studio.FarmRefusal(User("lena"), "nimby blade b1"));
        Assert.Null(Studio.FarmRefusal(User("boss"), "nimby blade b1"));
        Assert.Equal("ana may not nimby blade b1: that takes a member of crews.config's Wranglers or Administrators crew",
            Studio.FarmRefusal(User("ana"), "nimby blade b1"));
    }

    [Fact]
    public void AdministratorRefusal_LetsOnlyAdministrators_WranglersIncludedInTheRefused()
    {
        Assert.Null(Studio.AdministratorRefusal(User("boss"), "reload the site config"));
        Assert.Null(Studio.AdministratorRefusal(new AccessCaller("anyone", true), "reload the site config"));
        Assert.Equal("lena may not reload the site config: that takes a member of crews.config's Administrators crew",
            Studio.AdministratorRefusal(User("lena"), "reload the site config"));
    }

    [Fact]
    public void LoginRefusal_HoldsToValidLogins_AndBannedLoginsMakesExceptions()
    {
        var rules = new CrewRules(Config("""{"Crews": {"ValidLogins": ["ana", "artists"], "artists": ["bob", "cy"], "BannedLogins": ["cy"]}}"""));

        Assert.Null(rules.LoginRefusal("ana"));
        Assert.Null(rules.LoginRefusal("bob"));
        Assert.Equal("cy is in crews.config's BannedLogins", rules.LoginRefusal("cy"));
        Assert.Equal("dan is not in crews.config's ValidLogins", rules.LoginRefusal("dan"));
    }

    [Fact]
    public void IsMember_ExpandsCrewsRecursively_AndAReferenceLoopEnds()
    {
        Assert.True(Studio.IsMember("bea", "loopA"));
        Assert.True(Studio.IsMember("ann", "loopB"));
        Assert.False(Studio.IsMember("loopB", "loopA"));
    }

    [Theory]
    [InlineData("""{"Crews": {}, "Bogus": 1}""", "unknown key 'Bogus'")]
    [InlineData("""{"PasswordHashing": "md5"}""", "PasswordHashing is not supported by Furrow")]
    [InlineData("""{"SitePasswordValidator": "internal:PAM:login"}""", "SitePasswordValidator 'internal:PAM:login': Tractor's built-in validators")]
    [InlineData("""{"Crews": {"ValidLogins": ["@externlogins"]}}""", "crew ValidLogins: @externlogins lets crews.config's SitePasswordValidator decide who is in it, and none is set")]
    [InlineData("""{"JobEditAccessPolicies": {"defaultPolicy": {"jretry": ["JobOwner"]}}}""", "defaultPolicy: unknown operation 'jretry'")]
    [InlineData("""{"JobEditAccessPolicies": {"p": {"retry": ["Wrangler"]}}}""", "p, retry: 'Wrangler' is neither JobOwner nor a crew defined in Crews")]
    public void Check_RefusesWhatTheEngineWouldNotActOn_NamingIt(string json, string expected)
    {
        Assert.Contains(expected, CrewRules.Check(Config(json)));
    }

    [Fact]
    public void MetaNames_AdmitWhomTheHostOrTheValidatorKnows_ThroughNestedCrews_AndBannedLoginsStillWins()
    {
        var config = Config("""
            {
              "SitePasswordValidator": ["/bin/true"],
              "Crews": { "ValidLogins": ["@syslogins", "partners"], "partners": ["@externlogins"], "BannedLogins": ["mallory"],
                         "Wranglers": ["@SysLogins"] }
            }
            """);
        Assert.Null(CrewRules.Check(config));
        // The host's user database and the validator are the edge of the world here: a name is known to one, the other or neither.
        var directory = new LoginDirectory(name => name is "hostie" or "mallory", name => name == "contractor");
        var rules = new CrewRules(config, directory);

        Assert.Null(rules.LoginRefusal("hostie"));
        Assert.Null(rules.LoginRefusal("contractor"));
        Assert.True(rules.IsMember("contractor", "partners"));
        Assert.Equal("mallory is in crews.config's BannedLogins", rules.LoginRefusal("mallory"));
        Assert.Equal("stranger is not in crews.config's ValidLogins", rules.LoginRefusal("stranger"));
        // Tractor's meta-names are matched in any case, and in any crew.
        Assert.Null(rules.FarmRefusal(User("hostie"), "pause dispatch"));
        Assert.NotNull(rules.FarmRefusal(User("contractor"), "pause dispatch"));
        // Without a directory (rules built for a check alone) a meta-name admits nobody rather than everybody.
        Assert.Equal("hostie is not in crews.config's ValidLogins", new CrewRules(config).LoginRefusal("hostie"));
    }

    private static readonly CrewRules Scoped = new(Config("""
        {
          "Crews": {
            "Administrators": ["boss"], "Wranglers": ["wes"], "ReadOnlyLogins": ["audrey"], "SpoolLogins": ["artists", "wes"],
            "artists": ["ana", "fxer"], "fx": ["fxer"], "RestrictedViewLogins": ["artists", "wes", "audrey", "boss", "rex"]
          }
        }
        """));

    [Fact]
    public void ReadOnlyLogins_MayNotSpoolActOrChangeTheFarm_NotEvenOnTheirOwnJob_NamingTheCrew()
    {
        var audrey = User("audrey");

        Assert.Equal("audrey may not spool: crews.config's ReadOnlyLogins lists them, and read-only logins may only list and read",
            Scoped.SpoolRefusal(audrey));
        Assert.Equal("J1: audrey may not retry it: crews.config's ReadOnlyLogins lists them, and read-only logins may only list and read",
            Scoped.OperationRefusal(audrey, "retry", new JobAccessFacts("audrey", null, null), force: true, "J1"));
        Assert.Contains("ReadOnlyLogins", Scoped.FarmRefusal(audrey, "pause dispatch"));
        Assert.Null(Scoped.ReadOnlyRefusal(User("ana"), "retry"));
        // The engine's own account (an administrator by login) is never read-only.
        Assert.Null(Scoped.ReadOnlyRefusal(new AccessCaller("audrey", Administrator: true), "retry"));
    }

    [Fact]
    public void SpoolLogins_WhenDefined_LetsOnlyItsMembersAndAdministratorsSpool_AndUndefinedLetsEveryone()
    {
        Assert.Null(Scoped.SpoolRefusal(User("fxer")));
        Assert.Null(Scoped.SpoolRefusal(User("wes")));
        Assert.Null(Scoped.SpoolRefusal(User("boss")));
        Assert.Null(Scoped.SpoolRefusal(new AccessCaller("engine", Administrator: true)));
        Assert.Equal("rex may not spool: crews.config defines SpoolLogins and does not list them", Scoped.SpoolRefusal(User("rex")));
        Assert.Null(Studio.SpoolRefusal(User("rex")));
        Assert.Null(CrewRules.None.SpoolRefusal(User("rex")));
    }

    [Fact]
    public void ViewScope_HoldsRestrictedViewLoginsToTheirOwnAndTheirCrewsJobs_ButNotWranglersAdministratorsOrAuditors()
    {
        var fxer = Scoped.ViewScope(User("fxer"));

        Assert.NotNull(fxer);
        Assert.Equal(["RestrictedViewLogins", "SpoolLogins", "artists", "fx"], fxer.Crews);
        Assert.True(fxer.Shows("fxer", []));
        Assert.True(fxer.Shows("ana", ["comp", "fx"]));
        Assert.False(fxer.Shows("ana", ["comp"]));
        Assert.False(fxer.Shows("ana", []));
        Assert.Equal(new JobScope("rex", ["RestrictedViewLogins"]).Crews, Scoped.ViewScope(User("rex"))!.Crews);
        Assert.Null(Scoped.ViewScope(User("wes")));
        Assert.Null(Scoped.ViewScope(User("boss")));
        Assert.Null(Scoped.ViewScope(User("audrey")));
        Assert.Null(Scoped.ViewScope(new AccessCaller("rex", Administrator: true)));
        Assert.Null(Scoped.ViewScope(User("nobody")));
        Assert.Null(Studio.ViewScope(User("ana")));
    }

    [Theory]
    [InlineData("Administrators")]
    [InlineData("Wranglers")]
    public void Check_RefusesALoginBothReadOnlyAndAbleToAct_NamingBothCrews(string power)
    {
        var json = """{"Crews": {"ReadOnlyLogins": ["auditors"], "auditors": ["audrey"], "POWER": ["audrey"]}}""".Replace("POWER", power, StringComparison.Ordinal);

        Assert.Equal($"crew ReadOnlyLogins: audrey is also in {power}; a login is either read-only or may act, so remove it from one of them",
            CrewRules.Check(Config(json)));
        Assert.Null(CrewRules.Check(Config("""{"Crews": {"ReadOnlyLogins": ["audrey"], "SpoolLogins": ["ana"], "RestrictedViewLogins": ["audrey"]}}""")));
    }

    [Fact]
    public void Check_AcceptsTractorsShape()
    {
        Assert.Null(CrewRules.Check(Config("""
            {
              "Crews": {"ValidLogins": ["ana", "Wranglers"], "Wranglers": ["wes"], "Administrators": ["boss"], "fx": ["fxer"]},
              "JobEditAccessPolicies": {"defaultPolicy": {"all": ["JobOwner", "Wranglers", "Administrators"]}, "shared": {"tasks": ["fx"], "chpri": ["ValidLogins"]}}
            }
            """)));
    }
}
