using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Jobs;

public sealed class DirMappingTests
{
    private static readonly DirMap[] Maps =
    [
        new("X:/", "//fileserver/projects/", "UNC"),
        new("X:/", "/net/projects/", "NFS"),
        new("/Users/Shared/", "/mnt/shared/", "NFS"),
        new("/Users/Shared/UTS/", "/never/used/", "NFS"), // after a shorter entry that already matches: the first wins
    ];

    [Theory]
    [InlineData("%D(X:/shot1/a.rib)", "nfs", "/net/projects/shot1/a.rib")]
    [InlineData("%D(X:/shot1/a.rib)", "unc", "//fileserver/projects/shot1/a.rib")]
    [InlineData("%D(X:/shot1/a.rib)", "osx", "X:/shot1/a.rib")]
    [InlineData("--file=%D(/Users/Shared/UTS/s.ma)", "nfs", "--file=/mnt/shared/UTS/s.ma")]
    [InlineData("%D(mayabatch)", "nfs", "mayabatch")]
    [InlineData("%D(X:/a) %D(/Users/Shared/b)", "NFS", "/net/projects/a /mnt/shared/b")]
    [InlineData("no substitution", "nfs", "no substitution")]
    [InlineData("%D(unclosed", "nfs", "%D(unclosed")]
    [InlineData("%D()", "nfs", "")]
    [InlineData("100%D", "nfs", "100%D")]
    public void Expand_MapsEachSubstitution_ByTheFirstEntryOfTheBladesZone(string word, string zone, string expected) =>
        Assert.Equal(expected, DirMapping.Expand(word, Maps, zone));

    [Fact]
    public void Expand_WithoutDirMaps_GivesThePathAsWritten() =>
        Assert.Equal("render /x/y.rib", DirMapping.Expand("render %D(/x/y.rib)", [], "nfs"));

    [Theory]
    [InlineData(null, "linux", "nfs")]
    [InlineData(null, "Windows 10", "unc")]
    [InlineData(" studio ", "Windows 10", "studio")]
    [InlineData("", null, "nfs")]
    public void ZoneOf_IsTheProfilesZone_ElseByPlatform(string? profileZone, string? platform, string expected) =>
        Assert.Equal(expected, DirMapping.ZoneOf(profileZone, platform));
}
