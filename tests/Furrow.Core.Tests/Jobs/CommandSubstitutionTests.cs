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

    private static readonly Dictionary<string, string> Hosts = new() { ["srv1"] = "render03", ["first_pass"] = "render11", ["h1"] = "render05" };

    [Theory]
    [InlineData("netrender %srv1(host)", "netrender render03")]
    [InlineData("%first_pass(-host) -f a.rib", "-h render11 -f a.rib")]
    [InlineData("--from=%srv1(host):%h", "--from=render03:render07")]
    [InlineData("%%srv1(host) then %srv1(-host)", "%srv1(host) then -h render03")]
    [InlineData("%h1(host)", "render05")] // an ID is read before the one-letter codes
    [InlineData("%h1 %srv1(hosts)", "render071 %srv1(hosts)")]
    [InlineData("%D(host)", "host")]
    public void Expand_ReplacesAnotherCommandsHostCodes_ByTheHostOfThatCommandsLatestRun(string word, string expected) =>
        Assert.Equal(expected, CommandSubstitution.Expand(word, On("nfs") with { Hosts = Hosts }));

    [Fact]
    public void ExpandArgv_MakesAWordThatIsAnotherCommandsHostPairsAloneTwoArguments() =>
        Assert.Equal(["netrender", "-h", "render03", "-x=-h render11", "%srv1(-host)", "render03"],
            CommandSubstitution.ExpandArgv(["netrender", "%srv1(-host)", "-x=%first_pass(-host)", "%%srv1(-host)", "%srv1(host)"],
                On("nfs") with { Hosts = Hosts }));

    [Fact]
    public void Expand_WithoutTheHostOfACodesId_ThrowsRatherThanPassingTheCodeOn()
    {
        var error = Assert.Throws<ArgumentException>(() => CommandSubstitution.Expand("netrender %other(host)", On("nfs") with { Hosts = Hosts }));
        Assert.Contains("%other(host)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CommandSubstitution.Expand("%srv1(host)", On("nfs")));
    }

    [Theory]
    [InlineData("netrender %srv1(host)", "srv1:False:%srv1(host)")]
    [InlineData("%first_pass(-host)", "first_pass:True:%first_pass(-host)")]
    [InlineData("%%srv1(host) then %srv2(-host)%a.b-c(host)", "srv2:True:%srv2(-host) a.b-c:False:%a.b-c(host)")]
    [InlineData("%D(X:/a) %h %n %r %% %D(host)", "")]
    [InlineData("date +%H %j %t %c %R %q %1x(host) %_x(host)", "")]
    [InlineData("%%H %%j %%srv1(host) %srv1(host %srv1()", "")]
    [InlineData("ends with %", "")]
    public void HostCodes_AreTheCodesNamingAnotherCommand_NotHiddenByPercentPercent(string word, string expected) =>
        Assert.Equal(expected, string.Join(' ', CommandSubstitution.HostCodes(word).Select(c => $"{c.Id}:{c.Pairs}:{c.Text}")));

    [Theory]
    [InlineData(null, "linux", "nfs")]
    [InlineData(null, "Windows 10", "unc")]
    [InlineData(" studio ", "Windows 10", "studio")]
    [InlineData("", null, "nfs")]
    public void ZoneOf_IsTheProfilesZone_ElseByPlatform(string? profileZone, string? platform, string expected) =>
        Assert.Equal(expected, DirMapping.ZoneOf(profileZone, platform));
}
