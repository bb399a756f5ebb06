using System.Diagnostics;
using System.Net;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Engine.Api;
using Furrow.Engine.Site;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// An engine serving TLS on 127.0.0.2 (routable on Linux's loopback without setup): with a site CA it makes itself, and
/// with a PEM pair the site provides. Clients that trust its CA are served over https; clients that do not, that call it
/// by a name its certificate lacks, or that speak plain http to its port, fail with a message saying what to fix; and an
/// engine whose TLS settings cannot serve refuses to start, naming the setting and the file.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes: key files readable by their owner only
public sealed class EngineTlsTests
{
    private const string ListenAddress = "127.0.0.2";
    private const string Script = "Job -title {over tls} -subtasks { Task {t1} -cmds { RemoteCmd {echo said-over-tls} } }";

    [Fact]
    public async Task ASiteCaEngine_ServesTqSpoolAndTheClientGivenItsCa_AndRefusesClientsWithoutIt_NamingTheSetting()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", \"Tls\": \"site-ca\"");
        var url = $"https://{ListenAddress}:{site.Port}";
        var caFile = Path.Combine(site.ConfigDir, "tls", "site-ca.crt");
        using var trusting = new EngineClient(url, caFile: caFile);
        await using var engine = await StartEngineAsync(site, trusting);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(site.ConfigDir, "tls", "site-ca.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(site.ConfigDir, "tls", "engine.key")));
        var jid = (await trusting.SpoolAsync(Script, new SpoolOptions("tester", "tls.alf"))).Jid;
        Assert.Equal([jid], (await trusting.JobsAsync()).Select(j => j.Jid));

        // tq and tractor-spool, given the CA in FURROW_CA_FILE.
        var withCa = new Dictionary<string, string> { ["TRACTOR_ENGINE"] = url, [EngineTls.CaFileVariable] = caFile };
        var scriptFile = Path.Combine(site.Root, "second.alf");
        await File.WriteAllTextAsync(scriptFile, Script.Replace("over tls", "spooled by tractor-spool", StringComparison.Ordinal));
        var spooled = await ShimAsync("tractor-spool", withCa, scriptFile);
        Assert.True(spooled.ExitCode == 0, spooled.Stderr);
        var listed = await ShimAsync("tq", withCa, "jobs");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Contains("spooled by tractor-spool", listed.Stdout);
        Assert.Contains("over tls", listed.Stdout);

        // Without the CA: refused, saying the issuer is not trusted and which setting gives the CA.
        var withoutCa = await ShimAsync("tq", new Dictionary<string, string> { ["TRACTOR_ENGINE"] = url }, "jobs");
        Assert.Equal(1, withoutCa.ExitCode);
        Assert.Contains($"{ListenAddress}:{site.Port}", withoutCa.Stderr);
        Assert.Contains("which this host's trust store does not trust", withoutCa.Stderr);
        Assert.Contains(EngineTls.CaFileVariable, withoutCa.Stderr);
        Assert.DoesNotContain("   at ", withoutCa.Stderr); // a message, not a stack
        using var untrusting = new EngineClient(url);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.JobsAsync());
        Assert.Contains("Furrow site CA", refused.Message);

        // Another CA in FURROW_CA_FILE: refused, naming that file.
        var otherCa = Path.Combine(site.Root, "other-ca.crt");
        using (var other = TestCertificates.MakeCa("Some other CA"))
            TestCertificates.WriteCertificate(other, otherCa);
        var wrongCa = await ShimAsync("tq", new Dictionary<string, string> { ["TRACTOR_ENGINE"] = url, [EngineTls.CaFileVariable] = otherCa }, "jobs");
        Assert.Equal(1, wrongCa.ExitCode);
        Assert.Contains($"not by the CA in {otherCa} ({EngineTls.CaFileVariable})", wrongCa.Stderr);

        // Plain http to the https port: told to use https, and nothing is served.
        using var plain = new EngineClient($"{ListenAddress}:{site.Port}");
        var told = await Assert.ThrowsAsync<EngineException>(() => plain.SpoolAsync(Script, new SpoolOptions("tester", "plain.alf")));
        Assert.Equal(400, told.StatusCode);
        Assert.Contains($"serves https only on port {site.Port}", told.Message);
        var plainTq = await ShimAsync("tq", new Dictionary<string, string> { ["TRACTOR_ENGINE"] = $"{ListenAddress}:{site.Port}" }, "jobs");
        Assert.Equal(1, plainTq.ExitCode);
        Assert.Contains("call it as https://", plainTq.Stderr);
        Assert.Equal(2, (await trusting.JobsAsync()).Count);
    }

    [Fact]
    public async Task ABrowserSessionOverTls_GetsASecureCookie_AndChangesWithItsCsrfToken()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", \"Tls\": \"site-ca\"");
        var url = $"https://{ListenAddress}:{site.Port}";
        var caFile = Path.Combine(site.ConfigDir, "tls", "site-ca.crt");
        using var client = new EngineClient(url, caFile: caFile);
        await using var engine = await StartEngineAsync(site, client);
        using var ca = X509CertificateLoaderFile(caFile);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 served && chain.Build(served);
        };

        var (browser, _, csrf) = await BrowserSessionTests.SignInAsync(site, url + "/", "ana", site.AddAccount("ana"), handler);
        using (browser)
        {
            // The Secure cookies go back over https: the session reads, and with its CSRF token logs out.
            Assert.Equal(System.Net.HttpStatusCode.OK, (await browser.GetAsync("api/v1/jobs")).StatusCode);
            using var logout = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/logout");
            logout.Headers.Add(Furrow.Engine.Access.BrowserSessions.HeaderName, csrf);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await browser.SendAsync(logout)).StatusCode);
        }

        // furrow dashboard finds the engine from the site's tractor.config: https, its address and port, its site CA.
        var (exit, stdout, stderr) = await FurrowProcess.RunAsync(
            new Dictionary<string, string> { ["FURROW_TOKENS_FILE"] = Path.Combine(site.Root, "home", "tokens.json") }, "dashboard", "--configdir", site.ConfigDir);
        Assert.True(exit == 0, stderr);
        var link = stdout.Trim();
        Assert.StartsWith($"{url}/signin#code=", link);
        var trusting = new SocketsHttpHandler();
        trusting.SslOptions.RemoteCertificateValidationCallback = handler.SslOptions.RemoteCertificateValidationCallback;
        using var linked = new HttpClient(trusting) { BaseAddress = new Uri(link) };
        using var signedIn = await linked.PostAsync("api/v1/auth/login", System.Net.Http.Json.JsonContent.Create(new { code = link[(link.IndexOf('=') + 1)..], cookie = true }));
        Assert.Equal(System.Net.HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Contains(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("furrow-session=", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ASiteCaEngine_KeepsItsCaAcrossRestarts_AndIssuesItsCertificateAgainWhenEngineHostNamesChange()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", \"Tls\": \"site-ca\"");
        var tls = Path.Combine(site.ConfigDir, "tls");
        using var client = new EngineClient($"https://{ListenAddress}:{site.Port}", caFile: Path.Combine(tls, "site-ca.crt"));
        await (await StartEngineAsync(site, client)).TerminateAsync();
        var ca = await File.ReadAllTextAsync(Path.Combine(tls, "site-ca.crt"));
        var first = await File.ReadAllTextAsync(Path.Combine(tls, "engine.crt"));

        await (await StartEngineAsync(site, client)).TerminateAsync();
        Assert.Equal(first, await File.ReadAllTextAsync(Path.Combine(tls, "engine.crt")));

        await site.AddEngineSettingsAsync("\"EngineHostNames\": [\"render-engine.farm.example\"]");
        await using var engine = await StartEngineAsync(site, client);
        Assert.Equal(ca, await File.ReadAllTextAsync(Path.Combine(tls, "site-ca.crt")));
        using var reissued = X509CertificateLoaderFile(Path.Combine(tls, "engine.crt"));
        Assert.Contains("render-engine.farm.example", reissued.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>()
            .Single().EnumerateDnsNames());
        Assert.Contains("the names changed", engine.Output);
    }

    [Fact]
    public async Task ABladeOverHttps_GivenTheCaFile_RunsAJobEndToEnd()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", \"Tls\": \"site-ca\"");
        var url = $"https://{ListenAddress}:{site.Port}";
        var caFile = Path.Combine(site.ConfigDir, "tls", "site-ca.crt");
        using var client = new EngineClient(url, caFile: caFile);
        await using var engine = await StartEngineAsync(site, client);
        await using var blade = FurrowProcess.Start("blade", "--engine", url, "--ca-file", caFile, "--name", "tls-blade", "--slots", "1",
            "--state-dir", site.BladeStateDir("tls-blade"), "--run-as", "blade", "--configdir", site.ConfigDir);
        await Eventually.WaitUntilAsync(async () => (await client.BladesAsync("name=tls-blade")).Any(b => b.Status == "up"), TimeSpan.FromSeconds(60),
            () => $"the blade to register over https; its output:\n{blade.Output}");

        var jid = (await client.SpoolAsync(Script, new SpoolOptions("tester", "tls.alf"))).Jid;

        await Eventually.WaitUntilAsync(async () => (await client.JobsAsync($"jid={jid}", archived: true)).Single() is var job && job.NumDone == job.NumTasks,
            TimeSpan.FromSeconds(60), () => $"J{jid} to be done; blade output:\n{blade.Output}\nengine output:\n{engine.Output}");
        Assert.Contains("said-over-tls", await client.TaskLogAsync(jid, 1));
    }

    [Fact]
    public async Task APemPairTheSiteMade_IsServed_AndACertificateNotNamingTheEngine_IsRefusedNamingTheNamesItHas()
    {
        await using var site = new TestSite();
        using var ca = TestCertificates.MakeCa("Studio CA");
        var caFile = Path.Combine(site.ConfigDir, "studio-ca.crt");
        TestCertificates.WriteCertificate(ca, caFile);
        var now = DateTimeOffset.UtcNow;
        using (var elsewhere = TestCertificates.Issue(ca, ["elsewhere.example"], [], now.AddDays(-1), now.AddDays(90)))
        {
            TestCertificates.WriteCertificate(elsewhere, Path.Combine(site.ConfigDir, "engine.pem"));
            TestCertificates.WriteKey(elsewhere, Path.Combine(site.ConfigDir, "engine.key"));
        }
        // Relative to the config directory; "Tls" left out: naming the files says "pem".
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", \"TlsCertificateFile\": \"engine.pem\", \"TlsKeyFile\": \"engine.key\"");
        using var client = new EngineClient($"https://{ListenAddress}:{site.Port}", caFile: caFile);
        var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir);
        await using (engine)
        {
            var refused = await Eventually.WaitForAsync(async () =>
            {
                try
                {
                    await client.StatusAsync();
                    return "served";
                }
                catch (HttpRequestException error) when (error.HttpRequestError == HttpRequestError.SecureConnectionError)
                {
                    return error.Message;
                }
            }, TimeSpan.FromSeconds(60), () => $"the engine to answer; its output:\n{engine.Output}");
            Assert.Contains($"it is for elsewhere.example, not for '{ListenAddress}'", refused);
            Assert.Contains("EngineHostNames", refused);
            await engine.TerminateAsync();
        }

        using (var named = TestCertificates.Issue(ca, ["render-engine.farm.example"], [IPAddress.Parse(ListenAddress)], now.AddDays(-1), now.AddDays(90)))
        {
            TestCertificates.WriteCertificate(named, Path.Combine(site.ConfigDir, "engine.pem"));
            TestCertificates.WriteKey(named, Path.Combine(site.ConfigDir, "engine.key"));
        }
        await using var served = await StartEngineAsync(site, client);
        var jid = (await client.SpoolAsync(Script, new SpoolOptions("tester", "pem.alf"))).Jid;
        Assert.Equal([jid], (await client.JobsAsync()).Select(j => j.Jid));
        Assert.Contains("Serving https only", served.Output);
    }

    public static TheoryData<string> BadTlsSettings() => ["missing certificate", "missing key", "key readable by others", "unreadable key",
        "key of another certificate", "expired certificate", "encrypted key", "site CA key readable by others"];

    [Theory]
    [MemberData(nameof(BadTlsSettings))]
    public async Task AnEngineWhoseTlsCannotServe_RefusesToStart_NamingTheSettingAndTheFile(string problem)
    {
        await using var site = new TestSite();
        using var ca = TestCertificates.MakeCa("Studio CA");
        var now = DateTimeOffset.UtcNow;
        var certificateFile = Path.Combine(site.ConfigDir, "engine.pem");
        var keyFile = Path.Combine(site.ConfigDir, "engine.key");
        using var good = TestCertificates.Issue(ca, ["render-engine.farm.example"], [IPAddress.Parse(ListenAddress)], now.AddDays(-1), now.AddDays(90));
        TestCertificates.WriteCertificate(good, certificateFile);
        TestCertificates.WriteKey(good, keyFile);
        var settings = "\"TlsCertificateFile\": \"engine.pem\", \"TlsKeyFile\": \"engine.key\"";
        string[] expected;
        switch (problem)
        {
            case "missing certificate":
                File.Delete(certificateFile);
                expected = [certificateFile, "TlsCertificateFile", "no such file"];
                break;
            case "missing key":
                File.Delete(keyFile);
                expected = [keyFile, "TlsKeyFile", "no such file"];
                break;
            case "key readable by others":
                File.SetUnixFileMode(keyFile, File.GetUnixFileMode(keyFile) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                expected = [keyFile, "TlsKeyFile", "may be read by other users", "chmod 600"];
                break;
            case "unreadable key":
                await File.WriteAllTextAsync(keyFile, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
                expected = [keyFile, "TlsKeyFile", "not a readable private key"];
                break;
            case "key of another certificate":
                using (var other = TestCertificates.Issue(ca, ["other.example"], [], now.AddDays(-1), now.AddDays(90)))
                    TestCertificates.WriteKey(other, keyFile);
                expected = [keyFile, "TlsKeyFile", "does not belong to the certificate", certificateFile];
                break;
            case "expired certificate":
                using (var expired = TestCertificates.Issue(ca, ["render-engine.farm.example"], [], now.AddDays(-90), now.AddDays(-1)))
                    TestCertificates.WriteCertificate(expired, certificateFile);
                expected = [certificateFile, "TlsCertificateFile", "expired on"];
                break;
            case "encrypted key":
                using (var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(good)!)
                {
                    await File.WriteAllTextAsync(keyFile, key.ExportEncryptedPkcs8PrivateKeyPem("secret",
                        new System.Security.Cryptography.PbeParameters(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc,
                            System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)));
                }
                expected = [keyFile, "TlsKeyFile", "encrypted"];
                break;
            case "site CA key readable by others":
                var tls = Directory.CreateDirectory(Path.Combine(site.ConfigDir, "tls")).FullName;
                TestCertificates.WriteCertificate(ca, Path.Combine(tls, "site-ca.crt"));
                TestCertificates.WriteKey(ca, Path.Combine(tls, "site-ca.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
                settings = "\"Tls\": \"site-ca\"";
                expected = [Path.Combine(tls, "site-ca.key"), "\"Tls\": \"site-ca\"", "chmod 600"];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(problem), problem, "no such case");
        }
        await site.AddEngineSettingsAsync($"\"ListenAddress\": \"{ListenAddress}\", {settings}");

        var (code, _, stderr) = await FurrowProcess.RunAsync("engine", "--configdir", site.ConfigDir);

        Assert.Equal(1, code);
        foreach (var text in expected)
            Assert.Contains(text, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(Path.Combine(site.DataDir, "db")), "a refused engine made a database");
    }

    [Fact]
    public void CheckListenAddress_AllowsAnAddressOtherHostsReach_OnlyWithTlsOrTheUnprotectedSetting()
    {
        RequestGuard.CheckListenAddress("192.0.2.10", allowUnprotected: false, tlsOn: true);
        RequestGuard.CheckListenAddress("192.0.2.10", allowUnprotected: true, tlsOn: false);
        RequestGuard.CheckListenAddress(ListenAddress, allowUnprotected: false, tlsOn: false);

        var refused = Assert.Throws<SiteConfigException>(() => RequestGuard.CheckListenAddress("192.0.2.10", allowUnprotected: false, tlsOn: false));

        Assert.Contains("\"Tls\": \"site-ca\"", refused.Message);
        Assert.Contains("AllowUnprotectedListen", refused.Message);
    }

    private static async Task<FurrowProcess> StartEngineAsync(TestSite site, EngineClient client)
    {
        var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir);
        try
        {
            await Eventually.WaitForAsync(async () => (object)await client.StatusAsync(), TimeSpan.FromSeconds(60),
                () => $"the engine to answer at {client.BaseAddress}; its output:\n{engine.Output}");
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
        return engine;
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> ShimAsync(string shim, IDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(Shims.BinDirectory, shim));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["FURROW_DLL"] = FurrowProcess.FurrowDll;
        info.Environment.Remove("TRACTOR_ENGINE");
        info.Environment.Remove(EngineTls.CaFileVariable);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return ProgramRun.RunAsync(info);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 X509CertificateLoaderFile(string path) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path));
}
