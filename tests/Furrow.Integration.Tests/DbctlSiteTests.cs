using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>tractor-dbctl acts only on a site that exists: a mistyped --configdir is an error that creates nothing.</summary>
public sealed class DbctlSiteTests
{
    [Theory]
    [InlineData("--show-params")]
    [InlineData("--status")]
    [InlineData("--schema-version")]
    public async Task AMistypedConfigDir_IsRefusedNamingIt_AndNothingIsCreated(string verb)
    {
        await using var site = new TestSite();
        var typo = site.ConfigDir + "-typo";

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("dbctl", "--configdir", typo, verb);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains($"no site at {typo}: no such directory", stderr);
        Assert.False(Directory.Exists(typo));

        var empty = Path.Combine(site.Root, "empty");
        Directory.CreateDirectory(empty);
        (code, _, stderr) = await FurrowProcess.RunAsync("dbctl", "--configdir", empty, verb);
        Assert.Equal(1, code);
        Assert.Contains("is not a Furrow site", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(empty));
    }

    [Fact]
    public async Task ABackupIntoAMissingDirectory_IsRefusedNamingThatDirectory()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var missing = Path.Combine(site.Root, "backups");

        var (code, stdout, stderr) = await Shims.DbctlAsync(site, "--backup", Path.Combine(missing, "furrow.tar.gz"));

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains($"no directory {missing}", stderr);
        Assert.DoesNotContain("snapshot", stderr);
        Assert.False(Directory.Exists(missing));
    }
}
