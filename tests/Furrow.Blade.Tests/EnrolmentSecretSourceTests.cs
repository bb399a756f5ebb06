using System.Runtime.Versioning;

namespace Furrow.Blade.Tests;

/// <summary>Where a blade finds the site's enrolment secret: a file it is given, or its engine's file through the site config directory.</summary>
[SupportedOSPlatform("linux")]
public sealed class EnrolmentSecretSourceTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "furrow-secret-" + Guid.NewGuid().ToString("N")[..12]);

    public EnrolmentSecretSourceTests() => Directory.CreateDirectory(_root);

    [Fact]
    public void Find_ThroughTheConfigDirectory_ReadsTheFileItsTractorConfigNames()
    {
        var site = Path.Combine(_root, "site");
        Directory.CreateDirectory(Path.Combine(site, "keys"));
        File.WriteAllText(Path.Combine(site, "tractor.config"), """
            {
                // the engine's settings
                "bladeEnrolmentSecretFile": "keys/enrolment",
            }
            """);
        var secret = Write(Path.Combine(site, "keys", "enrolment"), "from-the-site\n", OwnerOnly);

        Assert.Equal(("from-the-site", secret), EnrolmentSecretSource.Find(null, site));
    }

    [Fact]
    public void Find_ThroughTheConfigDirectory_WithoutTractorConfig_LooksInItsDataDirectory()
    {
        var site = Path.Combine(_root, "site");
        Directory.CreateDirectory(Path.Combine(site, "data"));
        var secret = Write(Path.Combine(site, "data", "blade-enrolment.secret"), "default-place", OwnerOnly);

        Assert.Equal(("default-place", secret), EnrolmentSecretSource.Find(null, site));
        Assert.Equal((null, null), EnrolmentSecretSource.Find(null, Path.Combine(_root, "no-site")));
    }

    [Fact]
    public void Find_AFileGroupOrOthersMayRead_IsRefusedNamingIt_WhenGiven_AndPassedOver_WhenFoundThroughTheSite()
    {
        var given = Write(Path.Combine(_root, "loose"), "secret", OwnerOnly | UnixFileMode.GroupRead);
        var error = Assert.Throws<IOException>(() => EnrolmentSecretSource.Find(given, null));
        Assert.Contains($"chmod 600 {given}", error.Message);

        var site = Path.Combine(_root, "site");
        Directory.CreateDirectory(Path.Combine(site, "data"));
        Write(Path.Combine(site, "data", "blade-enrolment.secret"), "secret", OwnerOnly | UnixFileMode.OtherRead);
        Assert.Equal((null, null), EnrolmentSecretSource.Find(null, site));
    }

    [Fact]
    public void Find_AGivenFileThatIsMissing_IsRefusedNamingIt()
    {
        var missing = Path.Combine(_root, "missing");
        Assert.Contains($"{missing} does not exist", Assert.Throws<IOException>(() => EnrolmentSecretSource.Find(missing, null)).Message);
    }

    private static string Write(string path, string text, UnixFileMode mode)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
