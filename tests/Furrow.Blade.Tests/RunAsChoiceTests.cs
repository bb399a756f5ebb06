namespace Furrow.Blade.Tests;

public sealed class RunAsChoiceTests
{
    [Theory]
    [InlineData("owner", null, true, RunAs.Owner)]
    [InlineData("blade", null, true, RunAs.Blade)]
    [InlineData(null, "owner", true, RunAs.Owner)]
    [InlineData(null, "blade", true, RunAs.Blade)]
    [InlineData("blade", "owner", true, RunAs.Blade)] // the command line wins over the service unit's variable
    [InlineData(null, null, false, RunAs.Blade)] // not root: commands run as the blade's user, no choice needed
    [InlineData("blade", null, false, RunAs.Blade)]
    [InlineData(null, " ", false, RunAs.Blade)]
    public void Decide_GivesTheSetting_WhenItIsAllowed(string? option, string? environment, bool root, RunAs expected)
    {
        var (setting, refusal) = RunAsChoice.Decide(option, environment, root);

        Assert.Null(refusal);
        Assert.Equal(expected, setting);
    }

    [Fact]
    public void Decide_RefusesARootBlade_WithNoChoice_NamingBothSettingsAndTheVariable()
    {
        var (setting, refusal) = RunAsChoice.Decide(null, "", runsAsRoot: true);

        Assert.Null(setting);
        Assert.Contains("runs as root", refusal);
        Assert.Contains("--run-as owner", refusal);
        Assert.Contains("--run-as blade", refusal);
        Assert.Contains("FURROW_BLADE_RUN_AS=owner", refusal);
    }

    [Theory]
    [InlineData("owner", null, "--run-as owner needs a blade that runs as root")]
    [InlineData(null, "owner", "FURROW_BLADE_RUN_AS=owner needs a blade that runs as root")]
    public void Decide_RefusesOwner_ToABladeThatIsNotRoot(string? option, string? environment, string message)
    {
        var (setting, refusal) = RunAsChoice.Decide(option, environment, runsAsRoot: false);

        Assert.Null(setting);
        Assert.Contains(message, refusal);
        Assert.Contains("cannot run commands as another user", refusal);
    }

    [Theory]
    [InlineData("root", null, "--run-as must be 'owner'")]
    [InlineData("Owner", null, "not 'Owner'")]
    [InlineData(null, "yes", "FURROW_BLADE_RUN_AS must be 'owner'")]
    [InlineData(null, "\u001b[2J", "not '\\u001b[2J'")]
    public void Decide_RefusesAnUnknownValue_SayingWhichSettingAndWhatItMayBe(string? option, string? environment, string message)
    {
        var (setting, refusal) = RunAsChoice.Decide(option, environment, runsAsRoot: true);

        Assert.Null(setting);
        Assert.Contains(message, refusal);
        Assert.Contains("'blade'", refusal);
    }
}
