using Furrow.Client;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// crews.config's SitePasswordValidator run by a real engine for logins users.config has no account for: a real
/// validator script decides the password, the login token it earns works like any other, crews.config's login rules
/// still apply, the password reaches the script on standard input only, and a validator that hangs or is missing is
/// named rather than blamed on the user.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // sh scripts, file modes, and /proc to read what the validator was given
public sealed class SitePasswordValidatorTests
{
    private const string Password = "s3cret pass";

    // Records how it was started (its own argv and environment, as the kernel holds them) and the name it was asked
    // about, then accepts the one password it knows for any name.
    private const string Checker = """
        #!/bin/sh
        dir="$1"
        tr '\0' '\n' < /proc/$$/cmdline > "$dir/argv"
        tr '\0' '\n' < /proc/$$/environ > "$dir/environ"
        IFS= read -r user
        IFS= read -r password
        printf '%s\n' "$user" >> "$dir/asked"
        [ "$password" = "s3cret pass" ] && exit 0
        exit 1

        """;

    // Never answers: it and a child it starts stay until killed.
    private const string Hanger = """
        #!/bin/sh
        echo $$ > "$1/pid"
        sleep 600 &
        echo $! > "$1/child"
        wait

        """;

    private static async Task<(TestSite Site, string Records)> SiteAsync(string script, string extraCrews = "", string crews = """{ "BannedLogins": ["bert"] }""")
    {
        var site = new TestSite();
        var records = Path.Combine(site.Root, "records");
        Directory.CreateDirectory(records);
        var program = Path.Combine(site.Root, "validator.sh");
        await File.WriteAllTextAsync(program, script);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), $$"""
            {
              "Crews": {{crews}},
              "SitePasswordValidator": ["{{program}}", "{{records}}"]{{extraCrews}}
            }
            """);
        return (site, records);
    }

    [Fact]
    public async Task ValidLoginsOfExternlogins_LetsInWhomTheValidatorAccepts_ButNotAUsersConfigAccountOutsideIt()
    {
        var (site, _) = await SiteAsync(Checker, crews: """{ "ValidLogins": ["@externlogins", "staff"], "staff": ["boss"] }""");
        await using var _ = site;
        var anaPassword = site.AddAccount("ana");
        var bossPassword = site.AddAccount("boss");
        await site.StartEngineAsync();

        Assert.NotEmpty(await site.LoginAsync("vic", Password));
        Assert.NotEmpty(await site.LoginAsync("boss", bossPassword));
        // ana's password is users.config's to check, so she is not one of the validator's logins, and not in ValidLogins.
        var refused = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("ana", anaPassword));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains("ana is not in crews.config's ValidLogins", refused.Message);
    }

    [Fact]
    public async Task APairTheValidatorAccepts_GetsAWorkingToken_AWrongPasswordIs401_AndLoginRulesStillApply()
    {
        var (site, records) = await SiteAsync(Checker);
        await using var _ = site;
        var anaPassword = site.AddAccount("ana");
        await site.StartEngineAsync();

        var token = await site.LoginAsync("vic", Password);
        using (var vic = new EngineClient(site.Engine, new HttpClient(), token: token))
        {
            Assert.Equal("vic", (await vic.WhoAmIAsync()).User);
            var jid = (await vic.SpoolAsync("Job -title {v} -paused 1 -subtasks { Task {a} -cmds { RemoteCmd {true} } }", new SpoolOptions("vic"))).Jid;
            Assert.Equal("vic", (await site.Client.JobsAsync($"jid={jid}")).Single().Owner);
        }
        Assert.Equal(["vic"], await File.ReadAllLinesAsync(Path.Combine(records, "asked")));

        var wrong = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("vic", Password + "x"));
        Assert.Equal(401, wrong.StatusCode);
        Assert.Contains("login as vic refused: neither users.config nor crews.config's SitePasswordValidator accepts", wrong.Message);
        var empty = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("vic", ""));
        Assert.Equal(401, empty.StatusCode);
        // An empty password never reaches the validator; the wrong one did, and earned nothing.
        Assert.Equal(["vic", "vic"], await File.ReadAllLinesAsync(Path.Combine(records, "asked")));
        using (var stillVic = new EngineClient(site.Engine, new HttpClient(), token: token))
            Assert.Equal("vic", (await stillVic.WhoAmIAsync()).User);

        // BannedLogins applies to what the validator accepts.
        var banned = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("bert", Password));
        Assert.Equal(403, banned.StatusCode);
        Assert.Contains("bert is in crews.config's BannedLogins", banned.Message);

        // A users.config account is checked against its own hash: the validator is not asked, and its password does not open it.
        Assert.Equal("ana", (await new EngineClient(site.Engine, new HttpClient()).LoginAsync("ana", anaPassword)).User);
        Assert.Equal(401, (await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("ana", Password))).StatusCode);
        Assert.DoesNotContain("ana", await File.ReadAllLinesAsync(Path.Combine(records, "asked")));

        // Without the validator, its logins end; users.config's go on.
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), """{ "Crews": {} }""");
        using var afterwards = new EngineClient(site.Engine, new HttpClient(), token: token);
        var ended = await Eventually.WaitForAsync(async () =>
        {
            try
            {
                await afterwards.JobsAsync();
                return null;
            }
            catch (EngineException error)
            {
                return error;
            }
        }, TimeSpan.FromSeconds(10), () => "vic's login to end with the validator removed");
        Assert.Equal(401, ended.StatusCode);
        Assert.Equal("ana", (await new EngineClient(site.Engine, new HttpClient()).LoginAsync("ana", anaPassword)).User);
    }

    [Fact]
    public async Task ThePassword_ReachesTheValidatorOnStandardInputOnly_NeverItsArgumentsOrEnvironment()
    {
        var (site, records) = await SiteAsync(Checker);
        await using var _ = site;
        await site.StartEngineAsync();

        await site.LoginAsync("vic", Password);

        var argv = await File.ReadAllLinesAsync(Path.Combine(records, "argv"));
        Assert.Equal([Path.Combine(site.Root, "validator.sh"), records], argv[^2..]);
        var environment = await File.ReadAllTextAsync(Path.Combine(records, "environ"));
        Assert.Contains("PATH=", environment);
        foreach (var secret in new[] { Password, "s3cret" })
        {
            Assert.DoesNotContain(secret, string.Join('\n', argv));
            Assert.DoesNotContain(secret, environment);
        }
    }

    [Fact]
    public async Task AValidatorThatHangs_IsKilledWithItsChildren_AndTheLoginRefusedAs503_NamingTheSetting()
    {
        var (site, records) = await SiteAsync(Hanger, """, "SitePasswordValidatorTimeout": 2""");
        await using var _ = site;
        await site.StartEngineAsync();

        var refused = await Assert.ThrowsAsync<EngineException>(() => site.LoginAsync("vic", Password));

        Assert.Equal(503, refused.StatusCode);
        Assert.Contains("login as vic could not be checked: crews.config's SitePasswordValidator", refused.Message);
        Assert.Contains("did not answer within 2 s (SitePasswordValidatorTimeout); the engine stopped it", refused.Message);
        var pids = new[] { "pid", "child" }.Select(f => int.Parse(File.ReadAllText(Path.Combine(records, f)).Trim())).ToArray();
        await Eventually.WaitUntilAsync(() => Task.FromResult(!pids.Any(Alive)), TimeSpan.FromSeconds(10),
            () => $"validator processes {string.Join(", ", pids)} to be gone");
        await Eventually.WaitUntilAsync(() => Task.FromResult(site.EngineProcess!.Output.Contains("did not answer vic's login within 2 s")),
            TimeSpan.FromSeconds(10), () => $"the engine to log the hung validator; its output:\n{site.EngineProcess!.Output}");
        // The engine itself goes on serving.
        Assert.NotNull(await site.Client.StatusAsync());
    }

    [Theory]
    [InlineData(false, "does not exist")]
    [InlineData(true, "is not executable: chmod +x")]
    public async Task AValidatorProgramMissingOrNotExecutable_StopsTheEngineAtStart_NamingSettingAndFile(bool present, string expected)
    {
        await using var site = new TestSite();
        var program = Path.Combine(site.Root, "no-such-validator.sh");
        if (present)
            await File.WriteAllTextAsync(program, Checker);
        await File.WriteAllTextAsync(Path.Combine(site.ConfigDir, "crews.config"), $$"""{ "SitePasswordValidator": "{{program}} --check" }""");

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");

        Assert.NotEqual(0, code);
        Assert.Contains($"crews.config:1:28: SitePasswordValidator: the program {program} {expected}", stdout + stderr);
    }

    // A zombie counts as gone: it is dead, and who reaps it is not the engine's business once it has been killed.
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }
}
