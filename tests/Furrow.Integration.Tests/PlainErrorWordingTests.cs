using System.Net;
using System.Text;
using System.Text.Json;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// What a user is told about a bad value names the value, where it is and what was expected, in plain words: never the
/// framework's wording or this code's type names, whether it came in a site config file, a JSON job (native spool and
/// Tractor's jspool) or on a command line.
/// </summary>
public sealed class PlainErrorWordingTests
{
    private static void AssertPlain(string message)
    {
        foreach (var internals in new[] { "System.", "Furrow.", ".NET", "LineNumber", "BytePositionInLine", "nullability" })
            Assert.DoesNotContain(internals, message);
    }

    [Fact]
    public async Task ABadValueInAConfigFileOrAJsonJob_IsSaidInPlainWords_AndJspoolKeepsA400ForFurrowsOwnForm()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        using var http = await site.HttpAsync();

        File.WriteAllText(Path.Combine(site.ConfigDir, "limits.config"), "{ \"Limits\": {\n  \"lic\": { \"SiteMax\": \"two\" }\n} }\n");
        using (var reload = await http.PostAsync("api/v1/config/reload", null))
        {
            var body = await reload.Content.ReadAsStringAsync();
            Assert.True(reload.StatusCode == HttpStatusCode.BadRequest, body);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.Contains("limits.config:2:23: at $.Limits.lic.SiteMax: expected a whole number, not \"two\"", message);
            AssertPlain(message);
        }

        const string badPriority = "{\"title\": \"a\", \"priority\": \"abc\"}";
        using (var spooled = await http.PostAsync("api/v1/jobs?user=tester", new StringContent(badPriority, Encoding.UTF8, "application/json")))
        {
            var body = await spooled.Content.ReadAsStringAsync();
            Assert.True(spooled.StatusCode == HttpStatusCode.BadRequest, body);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.Contains("1:28: at $.priority: expected a number, not \"abc\"", message);
            AssertPlain(message);
        }

        // What the alfred reader refuses, the JSON form refuses too, at its place: an empty command line, a key given
        // twice (not the last one winning), nesting past ScriptMaxDepth (not the reader's "maximum configured depth").
        const string level = "{\"kind\": \"task\", \"title\": \"t\", \"subtasks\": [";
        foreach (var (json, expected) in new (string, string)[]
        {
            ("{\"title\": \"a\", \"subtasks\": [{\"kind\": \"task\", \"title\": \"t\", \"commands\": [{\"kind\": \"remote\", \"argv\": []}]}]}",
                "1:92: a remote command has an empty command line: \"argv\" takes the program and its arguments, such as [\"prman\", \"frame.rib\"] (at $.subtasks[0].commands[0].argv)"),
            ("{\"title\": \"x\", \"title\": \"y\"}", "1:16: duplicate key \"title\": a key may be given once"),
            ("{\"title\": \"deep\", \"subtasks\": [" + string.Concat(Enumerable.Repeat(level, 260)) + string.Concat(Enumerable.Repeat("]}", 260)) + "]}",
                "braces and brackets nested more than 520 deep (the JSON form's limit for ScriptMaxDepth 256"),
        })
        {
            using var spooled = await http.PostAsync("api/v1/jobs?user=tester", new StringContent(json, Encoding.UTF8, "application/json"));
            var body = await spooled.Content.ReadAsStringAsync();
            Assert.True(spooled.StatusCode == HttpStatusCode.BadRequest, body);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.Contains(expected, message);
            AssertPlain(message);
        }

        // Furrow's own form with a bad value is an error to show (400), not a reason for tractor-spool to fall back.
        using (var jspool = await http.PostAsync("Tractor/jspool?q=newjob&hnm=h&jobOwner=tester&format=JSON",
            new StringContent("{\"title\": \"a\", \"subtasks\": [{\"title\": \"t\"}]}", Encoding.UTF8, "application/json")))
        {
            var body = await jspool.Content.ReadAsStringAsync();
            Assert.True(jspool.StatusCode == HttpStatusCode.BadRequest, body);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.Contains("at $.subtasks[0]: a task needs \"kind\" (one of: task, instance)", message);
            AssertPlain(message);
        }

        // Another JSON shape (Tractor's own job form) is one Furrow does not read: 501, so tractor-spool sends the alfred text.
        using (var jspool = await http.PostAsync("Tractor/jspool?q=newjob&hnm=h&jobOwner=tester&format=JSON",
            new StringContent("{\"Job\": {\"title\": \"a\"}}", Encoding.UTF8, "application/json")))
        {
            var body = await jspool.Content.ReadAsStringAsync();
            Assert.True(jspool.StatusCode == HttpStatusCode.NotImplemented, body);
            var message = JsonDocument.Parse(body).RootElement.GetProperty("msg").GetString()!;
            Assert.Contains("unknown key \"Job\"", message);
            AssertPlain(message);
        }
    }

    [Fact]
    public async Task ABadWordOnACommandLine_IsOneLineSayingWhatTheOptionTakes_ExitCode2()
    {
        foreach (var (shim, args, expected) in new (string, string[], string)[]
        {
            ("tq", ["jobs", "--limit", "abc"], "--limit takes a whole number from 0 up, not 'abc'"),
            ("tq", ["jobs", "--limit", "99999999999"], "--limit takes a whole number from 0 up, not '99999999999'"),
            ("tq", ["jobs", "--limit", "+1"], "--limit takes a whole number from 0 up, not '+1'"),
            ("tq", ["chpri", "jid=4", "--pri", "abc"], "takes a number such as 100 or -2.5, not 'abc'"),
            ("tq", ["chpri", "jid=4", "--pri", " 7"], "--pri takes a number such as 100 or -2.5, not ' 7'"),
            ("tq", ["chpri", "jid=4", "--pri", "1e2"], "--pri takes a number such as 100 or -2.5, not '1e2'"),
            ("tq", ["log", "30", " 1"], "tid takes a task id (a whole number from 1 up), not ' 1'"),
            ("tractor-spool", ["--maxactive", " 3", "job.alf"], "--maxactive takes a whole number from 0 up, not ' 3'"),
            ("tq", ["nimby"], "nimby needs a blade"),
            ("tractor-spool", ["--priority", "abc", "job.alf"], "--priority takes a number such as 100 or -2.5, not 'abc'"),
        })
        {
            var (code, stdout, stderr) = await Shims.RunAsync(shim, null, [.. args]);
            Assert.True(code == 2, $"{shim} {string.Join(' ', args)}: {code} {stdout} {stderr}");
            Assert.Contains(expected, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            AssertPlain(stderr);
        }

        foreach (var (args, expected) in new (string[], string)[]
        {
            (["engine", "--port", "abc"], "--port takes a whole number from 0 up, not 'abc'"),
            (["engine", "--port", " 80"], "--port takes a whole number from 0 up, not ' 80'"),
            (["up", "--port", "99999"], "--port takes a port number from 1 to 65535, not 99999"),
            (["blade", "--slots", "abc"], "--slots takes a whole number, not 'abc'"),
        })
        {
            var (code, stdout, stderr) = await FurrowProcess.RunAsync(args);
            Assert.True(code == 2, $"furrow {string.Join(' ', args)}: {code} {stdout} {stderr}");
            Assert.Contains(expected, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            AssertPlain(stderr);
        }
    }
}
