using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Core.Tests.Jobs;

public sealed class CommandSubstitutionTests
{
    private static readonly DirMap[] Maps =
    [
        new("X:/", "//fileserver/projects/", "UNC"),
        new("X:/", "/net/projects/", "NFS"),
        new("/Users/Shared/", "/mnt/shared/", "NFS"),
        new("/Users/Shared/UTS/", "/never/used/", "NFS"), // after a shorter entry that already matches: the first wins
    ];

    private static CommandSubstitution.Values On(string zone, IReadOnlyList<DirMap>? maps = null, string host = "render07",
        int slots = 1, bool resuming = false) => new(maps ?? Maps, zone, host, slots, resuming);

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
    public void Expand_MapsEachDirMapSubstitution_ByTheFirstEntryOfTheBladesZone(string word, string zone, string expected) =>
        Assert.Equal(expected, CommandSubstitution.Expand(word, On(zone)));

    [Fact]
    public void Expand_WithoutDirMaps_GivesThePathAsWritten() =>
        Assert.Equal("render /x/y.rib", CommandSubstitution.Expand("render %D(/x/y.rib)", On("nfs", maps: [])));

    [Theory]
    [InlineData("%h", "render07")]
    [InlineData("--host=%h:%n", "--host=render07:4")]
    [InlineData("%r", "0")]
    [InlineData("50%%", "50%")]
    [InlineData("%%h %%r %%D(X:/a)", "%h %r %D(X:/a)")]
    [InlineData("%%%h", "%render07")]
    [InlineData("frame.%04d.exr", "frame.%04d.exr")]
    [InlineData("+%Y-%m-%d %s", "+%Y-%m-%d %s")]
    [InlineData("trailing %", "trailing %")]
    [InlineData("%", "%")]
    public void Expand_ReplacesTheHostSlotsRecoverAndPercentCodes_AndLeavesOtherPercentsAsWritten(string word, string expected) =>
        Assert.Equal(expected, CommandSubstitution.Expand(word, On("nfs", slots: 4)));

    [Theory]
    [InlineData("job=%j task=%t cmd=%c", "job=12 task=3 cmd=7")]
    [InlineData("%H", "-h render07")]
    [InlineData("netrender %H a.rib", "netrender -h render07 a.rib")]
    [InlineData("loop=%R quality=%q", "loop=0 quality=1.0")]
    [InlineData("date +%%H:%M", "date +%H:%M")]
    [InlineData("%%j%j", "%j12")]
    public void Expand_ReplacesTractorsIdNetrenderLoopAndQualityCodes(string word, string expected) =>
        Assert.Equal(expected, CommandSubstitution.Expand(word, On("nfs") with { Jid = 12, Tid = 3, Cid = 7 }));

    [Fact]
    public void ExpandArgv_MakesAWordThatIsHostPairsAloneTwoArguments_AndExpandsTheOthersInPlace() =>
        Assert.Equal(["netrender", "-h", "render07", "-f", "12.rib", "%H"],
            CommandSubstitution.ExpandArgv(["netrender", "%H", "-f", "%j.rib", "%%H"], On("nfs") with { Jid = 12 }));

    [Fact]
    public void Expand_GivesOneForRecover_WhenTheCommandResumesARunItsBladeCutOff() =>
        Assert.Equal("prman -recover 1", CommandSubstitution.Expand("prman -recover %r", On("nfs", resuming: true)));

    [Theory]
    [InlineData("netrender %srv1(host)", "%srv1(host)")]
    [InlineData("%first_pass(-host)", "%first_pass(-host)")]
    [InlineData("%%srv1(host) then %srv2(-host)", "%srv2(-host)")]
    public void FindUnsupported_NamesTheFirstTractorCodeFurrowDoesNotReplace(string word, string expected) =>
        Assert.Equal(expected, CommandSubstitution.FindUnsupported(word));

    [Theory]
    [InlineData("%D(X:/a) %h %n %r %%")]
    [InlineData("date +%H %j %t %c %R %q")]
    [InlineData("%%H %%j %%srv1(host)")]
    [InlineData("frame.%04d.exr +%Y %s %d %m")]
    [InlineData("%D(host)")]
    [InlineData("no codes")]
    [InlineData("ends with %")]
    public void FindUnsupported_AcceptsWhatFurrowReplacesAndWhatIsNoTractorCode(string word) =>
        Assert.Null(CommandSubstitution.FindUnsupported(word));

    [Theory]
    [InlineData(null, "linux", "nfs")]
    [InlineData(null, "Windows 10", "unc")]
    [InlineData(" studio ", "Windows 10", "studio")]
    [InlineData("", null, "nfs")]
    public void ZoneOf_IsTheProfilesZone_ElseByPlatform(string? profileZone, string? platform, string expected) =>
        Assert.Equal(expected, DirMapping.ZoneOf(profileZone, platform));
}
