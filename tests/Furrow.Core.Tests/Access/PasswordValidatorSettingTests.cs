using System.Text.Json;
using Furrow.Core.Access;
using Furrow.Core.Config;

namespace Furrow.Core.Tests.Access;

/// <summary>crews.config's SitePasswordValidator read into the argument vector the engine runs without a shell, and its timeout.</summary>
public sealed class PasswordValidatorSettingTests
{
    private static readonly JsonSerializerOptions Json = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static (PasswordValidatorCommand? Command, string? Problem) Read(string json) =>
        PasswordValidatorSetting.Read(JsonSerializer.Deserialize<CrewsConfig>(json, Json)!, "/site/config");

    [Fact]
    public void NoValidator_IsNone()
    {
        Assert.Equal((null, null), Read("""{"Crews": {}}"""));
        Assert.Equal((null, null), Read("""{"SitePasswordValidator": null}"""));
    }

    [Theory]
    [InlineData("""python3 ${TractorConfigDirectory}/trSiteLoginValidator.py""", new[] { "python3", "/site/config/trSiteLoginValidator.py" })]
    [InlineData("""  /opt/check   --realm  'Big Studio'  """, new[] { "/opt/check", "--realm", "Big Studio" })]
    [InlineData("""/opt/check "--realm=A \"B\" \$5" it\'s ''""", new[] { "/opt/check", "--realm=A \"B\" $5", "it's", "" })]
    [InlineData("""'/opt/my checks/v.sh' "${TractorConfigDirectory}/ldap.conf" '${TractorConfigDirectory}'""",
        new[] { "/opt/my checks/v.sh", "/site/config/ldap.conf", "${TractorConfigDirectory}" })]
    [InlineData("""/opt/check 'a|b' "x;y" c\&d""", new[] { "/opt/check", "a|b", "x;y", "c&d" })]
    public void ACommandLine_IsSplitAsAShellWould_WithoutRunningOne(string line, string[] argv)
    {
        var (command, problem) = Read(JsonSerializer.Serialize(new { SitePasswordValidator = line }));
        Assert.Null(problem);
        Assert.Equal(argv, command!.Argv);
        Assert.Equal(TimeSpan.FromSeconds(10), command.Timeout);
    }

    [Fact]
    public void AnArray_IsTheArgumentVectorAsWritten_WithTheConfigDirectoryFilledIn()
    {
        var (command, problem) = Read("""{"SitePasswordValidator": ["${TractorConfigDirectory}/v.sh", "a b", "$HOME", "'q'"], "SitePasswordValidatorTimeout": 2.5}""");
        Assert.Null(problem);
        Assert.Equal(["/site/config/v.sh", "a b", "$HOME", "'q'"], command!.Argv);
        Assert.Equal(TimeSpan.FromSeconds(2.5), command.Timeout);
    }

    [Theory]
    [InlineData("/opt/check | logger", "'|' would need a shell")]
    [InlineData("/opt/check > /tmp/out", "'>' would need a shell")]
    [InlineData("/opt/check; rm x", "';' would need a shell")]
    [InlineData("/opt/check *.conf", "'*' would need a shell")]
    [InlineData("/opt/check $HOME/x", "'$' other than ${TractorConfigDirectory} is not expanded")]
    [InlineData("/opt/check \"$USER\"", "'$' other than ${TractorConfigDirectory} is not expanded")]
    [InlineData("/opt/check `id`", "'`' would need a shell")]
    [InlineData("~/check", "'~' is not expanded")]
    [InlineData("/opt/check 'open", "a ' is not closed")]
    [InlineData("/opt/check \"open", "a \" is not closed")]
    [InlineData("/opt/check \\", "lone backslash")]
    [InlineData("   ", "names no program")]
    [InlineData("internal:PAM:login", "Tractor's built-in validators (internal:PAM) are not part of Furrow")]
    public void ACommandLine_ThatWouldNeedAShell_OrIsMalformed_IsRefused_NamingTheKey(string line, string expected)
    {
        var (command, problem) = Read(JsonSerializer.Serialize(new { SitePasswordValidator = line }));
        Assert.Null(command);
        Assert.StartsWith("SitePasswordValidator", problem);
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData("""{"SitePasswordValidator": []}""", "SitePasswordValidator: names no program")]
    [InlineData("""{"SitePasswordValidator": ["/opt/check", 3]}""", "3 is not one")]
    [InlineData("""{"SitePasswordValidator": 7}""", "give a command line (a string) or the program and its arguments (an array of strings), not 7")]
    [InlineData("""{"SitePasswordValidator": {"Command": "/opt/check"}}""", "not {\"Command\": \"/opt/check\"}")]
    [InlineData("""{"SitePasswordValidator": "/opt/check", "SitePasswordValidatorTimeout": 0}""", "SitePasswordValidatorTimeout 0: give the seconds")]
    [InlineData("""{"SitePasswordValidator": "/opt/check", "SitePasswordValidatorTimeout": 301}""", "at most 300")]
    [InlineData("""{"SitePasswordValidatorTimeout": 5}""", "SitePasswordValidatorTimeout is set but SitePasswordValidator is not")]
    public void OtherForms_AndBadTimeouts_AreRefused_NamingTheKey(string json, string expected)
    {
        var (command, problem) = Read(json);
        Assert.Null(command);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void CrewRulesCheck_RefusesABadValidatorSetting_AndAcceptsAGoodOne()
    {
        var config = JsonSerializer.Deserialize<CrewsConfig>("""{"Crews": {}, "SitePasswordValidator": "a | b"}""", Json)!;
        Assert.Contains("'|' would need a shell", CrewRules.Check(config));
        config = JsonSerializer.Deserialize<CrewsConfig>("""{"Crews": {}, "SitePasswordValidator": "/opt/check --x", "SitePasswordValidatorTimeout": 3}""", Json)!;
        Assert.Null(CrewRules.Check(config));
    }
}
