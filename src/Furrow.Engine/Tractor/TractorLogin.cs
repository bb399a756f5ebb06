using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Furrow.Client.Protocol;
using Furrow.Core.Config;
using Furrow.Engine.Access;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Tractor;

/// <summary>
/// Tractor's login (TRACTOR-PROTOCOL §2): `monitor?q=loginscheme`, `gentoken`, `login` and `logout`. On an engine that
/// needs logins the scheme is "internal:" (so Tractor's clients send a password), and `login` checks it with the native
/// login (users.config, crews.config's SitePasswordValidator, the rate limit and the log lines are the native login's):
/// the `tsid` it gives is a Furrow login token, good on the native API as `Authorization: Bearer TSID` too. On an engine
/// that serves anonymous calls no password is asked for, and the tsid only names the user for later calls
/// (<see cref="AnonymousSessions"/>).
/// </summary>
internal static class TractorLogin
{
    /// <summary>The monitor queries this class answers.</summary>
    public static readonly string[] Queries = ["loginscheme", "gentoken", "login", "logout"];

    /// <summary>Answers monitor?q=loginscheme, gentoken, login or logout.</summary>
    public static Task<TractorReply> HandleAsync(TractorCall call) => call.Q switch
    {
        "loginscheme" => Task.FromResult(Scheme(call)),
        "gentoken" => Task.FromResult(TractorReply.Ok("", w => w.WriteString("challenge", call.Service<TractorChallenges>().Issue()))),
        "login" => LoginAsync(call),
        _ => LogoutAsync(call),
    };

    // A scheme starting "internal:" tells Tractor's clients to send a password, masked with a challenge (§2 step 2).
    private static TractorReply Scheme(TractorCall call) => TractorReply.Ok("", w =>
    {
        w.WriteString("validation", call.LoginsRequired ? "internal:furrow" : "none");
        w.WriteBoolean("passwordRequired", call.LoginsRequired);
    });

    private static async Task<TractorReply> LoginAsync(TractorCall call)
    {
        var user = call.Get("user") ?? "";
        if (AccountName.Problem(user) is { } problem)
            return Refused(StatusCodes.Status400BadRequest, $"bad user {AccountName.Quote(user)}: {problem}");
        if (call.Get("c") is not { Length: > 0 } masked)
        {
            if (call.LoginsRequired)
                return Refused(StatusCodes.Status401Unauthorized,
                    $"login as {user} refused: this engine needs a password (monitor?q=loginscheme says internal:); send it masked as c= with a challenge from monitor?q=gentoken");
            var tsid = call.Service<AnonymousSessions>().Start(user);
            return TractorReply.Ok($"logged in as {user}", w => { w.WriteString("tsid", tsid); w.WriteString("user", user); });
        }
        if (Unmask(masked, call.Service<TractorChallenges>(), out var maskProblem) is not { } password)
            return Refused(StatusCodes.Status401Unauthorized, $"login as {user} refused: {maskProblem}");
        var body = JsonSerializer.SerializeToUtf8Bytes(new LoginRequest(user, password), FurrowJsonContext.Default.LoginRequest);
        var native = await call.NativeAsync("Login", [], body: ("application/json", new MemoryStream(body), body.Length)).ConfigureAwait(false);
        if (!native.Ok)
            return Refused(native.Status, native.Message);
        var reply = JsonSerializer.Deserialize(native.Body, FurrowJsonContext.Default.LoginReply)!;
        return TractorReply.Ok(reply.Msg, w =>
        {
            w.WriteString("tsid", reply.Token);
            w.WriteString("user", reply.User);
            w.WriteNumber("expires", reply.ExpiresMs / 1000);
        });
    }

    /// <summary>
    /// A refused login, `{"rc": STATUS, "msg": WHY, "tsid": null}` with that status: Tractor's clients take a null tsid for
    /// a failed login, whatever the status (§2 step 5), whichever part of the engine refused it (the rate limit, a banned name).
    /// </summary>
    public static TractorReply Refused(int status, string message) => TractorReply.Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("rc", status);
        w.WriteString("msg", message);
        w.WriteNull("tsid");
        w.WriteEndObject();
    }, status);

    private static async Task<TractorReply> LogoutAsync(TractorCall call)
    {
        if (TractorRequests.Tsid(call.Context.Request) is not { } tsid)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "logout needs the tsid= of the session to end");
        call.Service<AnonymousSessions>().End(tsid);
        await call.Service<LoginSessions>().EndAsync(tsid, call.Context.RequestAborted).ConfigureAwait(false);
        return TractorReply.Ok("logged out");
    }

    /// <summary>
    /// The password in Tractor's masked login value (§2 step 3), or why there is none (<paramref name="problem"/>): the
    /// value is the hex of the UTF-8 text `CHALLENGE|1MASK`, where MASK is the hex of each password byte XOR the
    /// challenge's byte at the same place, and CHALLENGE one this engine gave out and has not yet taken back (a
    /// well-formed value uses its challenge up, right password or not).
    /// </summary>
    public static string? Unmask(string masked, TractorChallenges challenges, out string problem)
    {
        static bool IsHex(string text) => text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit);
        problem = "c= is not Tractor's masked password (the hex of CHALLENGE|1MASK)";
        if (!IsHex(masked))
            return null;
        var text = Convert.FromHexString(masked);
        var bar = Array.IndexOf(text, (byte)'|');
        if (bar <= 0 || bar + 1 >= text.Length || text[bar + 1] != (byte)'1')
            return null;
        var hex = Encoding.ASCII.GetString(text, bar + 2, text.Length - bar - 2);
        if (!IsHex(hex))
            return null;
        var challenge = Encoding.ASCII.GetString(text, 0, bar);
        if (!challenges.Take(challenge))
        {
            problem = $"c= is masked with a challenge this engine did not give out in the last {(int)TractorChallenges.Lifetime.TotalSeconds} s " +
                "or that was used already (monitor?q=gentoken gives one; each works once)";
            return null;
        }
        var mask = Convert.FromHexString(hex);
        problem = "c= masks more bytes than its challenge has";
        if (mask.Length > challenge.Length)
            return null;
        var password = new byte[mask.Length];
        for (var i = 0; i < mask.Length; i++)
            password[i] = (byte)(mask[i] ^ (byte)challenge[i]);
        try
        {
            return new UTF8Encoding(false, true).GetString(password);
        }
        catch (DecoderFallbackException)
        {
            problem = "the password in c= is not UTF-8 text";
            return null;
        }
    }
}

/// <summary>
/// The challenges `monitor?q=gentoken` gives out: random hex, long enough that Tractor's mask (which covers as many
/// password bytes as the challenge has) never cuts a password short; each works once, for <see cref="Lifetime"/>, and
/// is kept in memory only (at most <see cref="MaxOutstanding"/>; the oldest go first).
/// </summary>
internal sealed class TractorChallenges(TimeProvider clock)
{
    /// <summary>How long a challenge may be used.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>How many unused challenges are kept at most.</summary>
    public const int MaxOutstanding = 10_000;

    private readonly ConcurrentDictionary<string, long> _issued = new(StringComparer.Ordinal);

    /// <summary>A new challenge: 256 hex digits.</summary>
    public string Issue()
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_issued.Count >= MaxOutstanding)
        {
            foreach (var old in _issued.Where(c => c.Value <= now).Select(c => c.Key).ToList())
                _issued.TryRemove(old, out _);
            foreach (var old in _issued.OrderBy(c => c.Value).Take(_issued.Count - MaxOutstanding + 1).Select(c => c.Key).ToList())
                _issued.TryRemove(old, out _);
        }
        var challenge = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(128));
        _issued[challenge] = now + (long)Lifetime.TotalMilliseconds;
        return challenge;
    }

    /// <summary>True, once, for a challenge given out and not yet expired.</summary>
    public bool Take(string challenge) =>
        _issued.TryRemove(challenge, out var expires) && expires > clock.GetUtcNow().ToUnixTimeMilliseconds();
}
