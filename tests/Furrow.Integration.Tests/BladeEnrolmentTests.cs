using System.Net;
using System.Text;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Blade enrolment: a blade shows the site's secret once and is issued a key bound to its name; no one else can take the
/// name, or speak for the blade, without that key; an operator releases a name; the engine refuses a secret file others
/// may read.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes, as the engine and blade check them
public sealed class BladeEnrolmentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Impostor_UnderARunningBladesName_WithTheSecretOrNothing_IsRefused_AndTheBladesCommandFinishesWithItsLog()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("render01", slots: 1);
        var go = Path.Combine(site.Root, "go");
        // The command runs until the test lets it end, so every attempt below meets it running.
        var jid = await site.SpoolAsync($$"""
            Job -title {victim} -subtasks { Task {t} -cmds { RemoteCmd {sh -c "echo started; while [ ! -e {{go}} ]; do sleep 0.1; done; echo finished"} } }
            """);
        await Eventually.WaitUntilAsync(async () => File.Exists(site.LogPath("tester", jid, 1))
                && (await File.ReadAllTextAsync(site.LogPath("tester", jid, 1))).Contains("started"),
            Wait, () => "the command to start on render01");
        // The log is written before the start's row is committed, so the row may still say dispatched for a moment.
        var running = await Eventually.WaitForAsync(async () => (await site.Client.InvocationsAsync($"jid={jid}")).SingleOrDefault(i => i.Status == "running"),
            Wait, () => "the engine to record the command's start");

        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        var impostor = new BladeRegistration("render01", "impostor-host", 8, "evil", Guid.NewGuid().ToString("N"), 4242);
        await AssertRefusedAsync(await RegisterAsync(http, impostor, (BladeCredentialHeaders.EnrolmentSecret, site.Client.EnrolmentSecret!)),
            HttpStatusCode.Forbidden, "blade name render01 is enrolled to another blade's key", "tq releaseblade render01");
        var refused = await RegisterAsync(http, impostor);
        Assert.Equal(BladeCredentialHeaders.Key, refused.Headers.WwwAuthenticate.ToString());
        await AssertRefusedAsync(refused, HttpStatusCode.Unauthorized, "carries no blade key", BladeCredentialHeaders.Key);
        await AssertRefusedAsync(await RegisterAsync(http, impostor, (BladeCredentialHeaders.Key, "not-the-key")),
            HttpStatusCode.Forbidden, "enrolled to another blade's key");

        // Nor can anyone speak for the real blade: take its work, report for it, keep it alive or make it leave.
        var boot = impostor.BootId;
        foreach (var (path, body) in new (string, string)[]
        {
            ("work", $$"""{"bootId": "{{boot}}", "freeSlots": 8, "waitMs": 0}"""),
            ("report", $$"""{"bootId": "{{boot}}", "events": [{"seq": 1, "iid": {{running.Iid}}, "type": "exited", "timeMs": 1, "exitCode": 0}], "running": [], "freeSlots": 8}"""),
            ("heartbeat", $$"""{"bootId": "{{boot}}"}"""),
            ("leave", $$"""{"bootId": "{{boot}}"}"""),
        })
        {
            await AssertRefusedAsync(await PostAsync(http, $"api/v1/blades/render01/{path}", body), HttpStatusCode.Unauthorized, "carries no blade key");
            await AssertRefusedAsync(await PostAsync(http, $"api/v1/blades/render01/{path}", body, (BladeCredentialHeaders.Key, "guessed")),
                HttpStatusCode.Forbidden, "enrolled to another blade's key");
        }

        var still = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal((running.Iid, "render01", "running"), (still.Iid, still.Blade, still.Status));
        await File.WriteAllTextAsync(go, "");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Wait, "done on render01");
        var run = Assert.Single(await site.Client.InvocationsAsync($"jid={jid}"));
        Assert.Equal((running.Iid, "render01", 0), (run.Iid, run.Blade, run.ExitCode));
        var log = await File.ReadAllTextAsync(site.LogPath("tester", jid, 1));
        Assert.Contains("started\n", log);
        Assert.Contains("finished\n", log);
    }

    [Fact]
    public async Task WrongSecret_IsRefused401_AndABladeShowingIt_ExitsNamingWhy_InsteadOfRetrying()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        var stranger = new BladeRegistration("stranger", "h", 1, "t", "boot", 1);
        using (var refused = await RegisterAsync(http, stranger, (BladeCredentialHeaders.EnrolmentSecret, new string('x', 43))))
        {
            // Told to whoever asks, proof or none: it names no path of the engine's host.
            Assert.DoesNotContain(site.Root, await refused.Content.ReadAsStringAsync());
            await AssertRefusedAsync(refused, HttpStatusCode.Unauthorized, "the enrolment secret it showed is not this site's");
        }
        await AssertRefusedAsync(await RegisterAsync(http, stranger), HttpStatusCode.Unauthorized, "blade stranger is not enrolled with this engine");

        var wrong = Path.Combine(site.Root, "wrong.secret");
        File.WriteAllText(wrong, new string('y', 43));
        File.SetUnixFileMode(wrong, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var blade = FurrowProcess.Start("blade", "--engine", site.Engine, "--name", "stranger", "--state-dir", site.BladeStateDir("stranger"), "--run-as", "blade",
            "--enrolment-secret-file", wrong);
        Assert.Equal(1, await blade.WaitForExitAsync(Wait));
        Assert.Contains("the engine refused blade stranger (401)", blade.Output);
        Assert.Contains($"the secret was read from {wrong}", blade.Output);
        Assert.Empty(await site.Client.BladesAsync("name=stranger"));
    }

    [Fact]
    public async Task ReleasedName_IsEnrolledAgain_ByTheRebuiltBlade_AndTheOldKeyNoLongerWorks()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var first = await site.StartBladeAsync("rack1", slots: 1);
        var oldKey = await KeyAsync(site, "rack1");
        await first.TerminateAsync();

        // The machine is rebuilt: same name, its state directory gone.
        Directory.Delete(site.BladeStateDir("rack1"), recursive: true);
        await using (var rebuilt = FurrowProcess.Start("blade", "--engine", site.Engine, "--name", "rack1", "--state-dir", site.BladeStateDir("rack1"), "--run-as", "blade",
            "--configdir", site.ConfigDir))
        {
            Assert.Equal(1, await rebuilt.WaitForExitAsync(Wait));
            Assert.Contains("blade name rack1 is enrolled to another blade's key", rebuilt.Output);
            Assert.Contains("tq releaseblade rack1", rebuilt.Output);
        }

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "releaseblade", "rack1");
        Assert.True(code == 0, stderr);
        Assert.Contains("released blade name rack1", stdout);
        (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "releaseblade", "rack1");
        Assert.Equal(1, code);
        Assert.Contains("blade name rack1 is not enrolled", stderr);

        await site.StartBladeAsync("rack1", slots: 1);
        var newKey = await KeyAsync(site, "rack1");
        Assert.NotEqual(oldKey, newKey);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        await AssertRefusedAsync(await PostAsync(http, "api/v1/blades/rack1/heartbeat", """{"bootId": "old"}""", (BladeCredentialHeaders.Key, oldKey)),
            HttpStatusCode.Forbidden, "enrolled to another blade's key");
        var jid = await site.SpoolAsync("Job -title {after} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {echo rebuilt}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Wait, "done on the re-enrolled rack1");
    }

    [Fact]
    public async Task ABladeStoppedMidEnrolment_AfterTheEngineBoundItsName_ComesBackUnderItWithoutARelease()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        // Between the blade and the engine, a relay that takes the blade's registration, stops the blade for good, and only
        // then hands the registration on: the engine binds the name, the blade never hears the reply.
        using var relay = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        relay.Start();
        var relayAddress = $"127.0.0.1:{((IPEndPoint)relay.LocalEndpoint).Port}";
        var keyFile = Path.Combine(site.BladeStateDir("cut"), "blade.key");
        byte[] registration;
        await using (var blade = FurrowProcess.Start("blade", "--engine", relayAddress, "--name", "cut", "--state-dir", site.BladeStateDir("cut"),
            "--run-as", "blade", "--configdir", site.ConfigDir))
        {
            using var timeout = new CancellationTokenSource(Wait);
            using var connection = await relay.AcceptTcpClientAsync(timeout.Token);
            registration = await ReadRequestAsync(connection.GetStream(), timeout.Token);
            var head = Encoding.ASCII.GetString(registration);
            Assert.True(head.StartsWith("POST /api/v1/blades/register ", StringComparison.Ordinal), $"the blade's first call: {head}\n{blade.Output}");
            // The key it proposes is on its disk before the engine has heard of it.
            var kept = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.Contains($"{BladeCredentialHeaders.Key}: {kept}\r\n", head, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"{BladeCredentialHeaders.EnrolmentSecret}: ", head, StringComparison.OrdinalIgnoreCase);
            blade.KillHard();
        }
        var key = (await File.ReadAllTextAsync(keyFile)).Trim();
        using (var engine = new System.Net.Sockets.TcpClient())
        {
            await engine.ConnectAsync(IPAddress.Loopback, int.Parse(site.Engine.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
            var stream = engine.GetStream();
            // As sent, but asking the engine to close the connection after its reply, so the reply is read to its end.
            var lineEnd = Array.IndexOf(registration, (byte)'\n') + 1;
            await stream.WriteAsync(registration.AsMemory(0, lineEnd));
            await stream.WriteAsync("Connection: close\r\n"u8.ToArray());
            await stream.WriteAsync(registration.AsMemory(lineEnd));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var reply = await reader.ReadToEndAsync();
            Assert.True(reply.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), reply);
            Assert.DoesNotContain("\"key\"", reply);
        }

        // Started again, without the secret: the key it kept is the one its name is bound to.
        await using var again = FurrowProcess.Start("blade", "--engine", site.Engine, "--name", "cut", "--state-dir", site.BladeStateDir("cut"), "--run-as", "blade",
            "--configdir", Path.Combine(site.Root, "no-such-site"));
        await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=cut")).Any(b => b.Status == "up"),
            Wait, () => $"cut to register with the key it kept; its output:\n{again.Output}");
        var jid = await site.SpoolAsync("Job -title {after the cut} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {echo whole}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Wait, $"done on cut; its output:\n{again.Output}");
        Assert.Equal(key, (await File.ReadAllTextAsync(keyFile)).Trim());
    }

    [Fact]
    public async Task AProposedKey_WeakerThan32RandomBytes_IsRefused_AndBindsNothing()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{site.Engine}/") };
        var secret = (await File.ReadAllTextAsync(site.EnrolmentSecretFile)).Trim();
        foreach (var (weak, why) in new[] { ("c2hvcnQ", "at least 32 random bytes"), ("not base64!", "is not base64url"), (new string('A', 600), "longer than 512") })
        {
            await AssertRefusedAsync(await PostAsync(http, "api/v1/blades/register",
                """{"name": "weak", "host": "h", "slots": 1, "version": "t", "bootId": "b", "pid": 1}""",
                (BladeCredentialHeaders.Key, weak), (BladeCredentialHeaders.EnrolmentSecret, secret)), HttpStatusCode.BadRequest, why);
        }
        Assert.Empty(await site.Client.BladesAsync("name=weak"));
    }

    // A request as it came off the wire: the head, then its body by Content-Length or chunked to the last chunk.
    private static async Task<byte[]> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        int? end = null;
        while (true)
        {
            var text = Encoding.ASCII.GetString([.. bytes]);
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var head = text[..headEnd].ToLowerInvariant();
                if (head.Contains("transfer-encoding: chunked", StringComparison.Ordinal))
                    end = text.IndexOf("\r\n0\r\n\r\n", headEnd, StringComparison.Ordinal) is var last and >= 0 ? last + 7 : null;
                else
                {
                    var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.Ordinal)) is { } line
                        ? int.Parse(line["content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;
                    end = bytes.Count >= headEnd + 4 + length ? headEnd + 4 + length : null;
                }
                if (end is { } complete)
                    return [.. bytes.Take(complete)];
            }
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
                throw new EndOfStreamException($"the connection closed mid-request: {text}");
            bytes.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    [Fact]
    public async Task Key_IsKeptOwnerOnly_AndSurvivesBladeAndEngineRestarts()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var blade = await site.StartBladeAsync("keeper", slots: 1);
        var key = await KeyAsync(site, "keeper");
        var keyFile = Path.Combine(site.BladeStateDir("keeper"), "blade.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        await blade.TerminateAsync();

        // Restarted without the secret: its key alone lets it back in under its name.
        await using var again = FurrowProcess.Start("blade", "--engine", site.Engine, "--name", "keeper", "--state-dir", site.BladeStateDir("keeper"), "--run-as", "blade",
            "--configdir", Path.Combine(site.Root, "no-such-site"));
        await Eventually.WaitUntilAsync(async () => (await site.Client.BladesAsync("name=keeper")).Any(b => b.Status == "up"),
            Wait, () => $"keeper to register again with its key; its output:\n{again.Output}");
        // A new engine process knows the key from the job database alone.
        site.EngineProcess!.KillHard();
        await site.StartEngineAsync();
        var jid = await site.SpoolAsync("Job -title {later} -subtasks { Task {t} -cmds { RemoteCmd {sh -c {echo kept}} } }");
        await site.WaitForJobAsync(jid, j => j.NumDone == 1, Wait, $"done on keeper; its output:\n{again.Output}");
        Assert.Equal(key, (await File.ReadAllTextAsync(keyFile)).Trim());
    }

    [Fact]
    public async Task SecretFile_IsMadeOwnerOnly_WhereTractorConfigSays_AndOneOthersMayRead_StopsTheEngineNamingIt()
    {
        await using var site = new TestSite();
        await site.AddEngineSettingsAsync("\"BladeEnrolmentSecretFile\": \"secrets/enrolment\"");
        await site.StartEngineAsync();
        var secret = Path.Combine(site.ConfigDir, "secrets", "enrolment");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.True((await File.ReadAllTextAsync(secret)).Trim().Length >= 43, "256 bits, base64url");
        Assert.False(File.Exists(site.EnrolmentSecretFile));
        // A blade on the engine's host given the site's config directory finds it there.
        await site.StartBladeAsync("local", slots: 1);

        await site.EngineProcess!.TerminateAsync();
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var engine = FurrowProcess.Start("engine", "--configdir", site.ConfigDir, "--listen", "127.0.0.1");
        Assert.Equal(1, await engine.WaitForExitAsync(Wait));
        Assert.Contains($"{secret}: the blade enrolment secret may be read or changed by group or others (mode 644)", engine.Output);
        Assert.Contains($"chmod 600 {secret}", engine.Output);
    }

    // The engine shows the blade up as it answers the registration; the blade writes the key it was issued once the answer arrives.
    private static Task<string> KeyAsync(TestSite site, string blade)
    {
        var file = Path.Combine(site.BladeStateDir(blade), "blade.key");
        return Eventually.WaitForAsync(async () => File.Exists(file) && (await File.ReadAllTextAsync(file)).Trim() is { Length: > 0 } key ? key : null,
            Wait, () => $"{file} to hold {blade}'s key");
    }

    private static Task<HttpResponseMessage> RegisterAsync(HttpClient http, BladeRegistration registration, params (string Name, string Value)[] headers) =>
        PostAsync(http, "api/v1/blades/register", JsonSerializer.Serialize(registration, FurrowJsonContext.Default.BladeRegistration), headers);

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        return http.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, params string[] says)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize(body, FurrowJsonContext.Default.ErrorReply)!;
        Assert.Equal((int)status, problem.Rc);
        foreach (var text in says)
            Assert.Contains(text, problem.Msg);
    }
}
