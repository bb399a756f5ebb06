using System.Collections.Frozen;
using System.Text.Json;
using Furrow.Engine.Api;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Tractor;

/// <summary>
/// Tractor's own URLs, `/Tractor/VERB?q=...` (TRACTOR-PROTOCOL §1-§5), so Tractor's tq, tractor-spool, author and query
/// APIs and scripts written against them work unchanged. Each verb is translated onto the native API
/// (<see cref="NativeCalls"/>) and its reply reshaped into what Tractor's clients parse: JSON, `{"rc": 0, ...}` on
/// success, `{"rc": STATUS, "msg": WHY}` with that HTTP status on failure, a `Server: Pixar_tractor/...` header (the
/// clients read the version from it), and a Content-Length (hand-written HTTP/1.0 clients read to it or to the close).
/// A verb or query Furrow does not serve answers 501 naming it. docs/tractor-compatibility.md lists them all.
/// </summary>
internal static class TractorEndpoints
{
    /// <summary>The Server header of every Tractor reply: a 2.x engine to Tractor's clients, and which Furrow it is.</summary>
    public static string ServerHeader { get; } = $"Pixar_tractor/2.2 (Furrow {EngineVersion.Current})";

    private static readonly FrozenDictionary<string, Func<TractorCall, Task<TractorReply>>> Verbs =
        new Dictionary<string, Func<TractorCall, Task<TractorReply>>>(StringComparer.OrdinalIgnoreCase)
        {
            ["monitor"] = TractorMonitor.HandleAsync,
            ["spool"] = TractorSpool.SpoolAsync,
            ["jspool"] = TractorSpool.JsonSpoolAsync,
            ["db"] = TractorDb.HandleAsync,
            ["queue"] = TractorQueue.HandleAsync,
            ["ctrl"] = TractorCtrl.HandleAsync,
            ["config"] = TractorConfig.HandleAsync,
            ["task"] = BladeVerb,
            ["btrack"] = BladeVerb,
        }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The verbs served (each may still refuse some of its queries, naming them).</summary>
    public static IEnumerable<string> VerbNames => Verbs.Keys;

    /// <summary>Maps `/Tractor/{verb}` for GET and POST. Who may do what is each verb's to check (<see cref="TractorCall.RefuseAnonymousAsync"/>).</summary>
    public static void MapTractor(this IEndpointRouteBuilder app)
    {
        app.MapMethods(TractorRequests.Prefix + "/{verb}", [HttpMethods.Get, HttpMethods.Post], HandleAsync)
            .AllowAnonymous().ExcludeFromDescription().RequireRateLimiting(AuthEndpoints.Logins);
        // Anything else under /Tractor (no verb, or more path after it) is answered as Tractor's clients read a failure.
        app.MapMethods(TractorRequests.Prefix + "/{**rest}", [HttpMethods.Get, HttpMethods.Post], (HttpContext context) =>
            TractorReply.Error(StatusCodes.Status404NotFound,
                $"{ShownPath(context.Request.Path.Value ?? "")} is not a Tractor URL{EscapedQueryHint(context.Request.Path.Value ?? "")}: they are /Tractor/VERB?q=..., VERB one of {string.Join(", ", Verbs.Keys.Order())}")
                .WriteAsync(context))
            .AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task HandleAsync(string verb, HttpContext context)
    {
        var call = new TractorCall(context);
        TractorReply reply;
        if (!Verbs.TryGetValue(verb, out var handle))
        {
            reply = TractorReply.Error(StatusCodes.Status501NotImplemented,
                $"Furrow does not serve the Tractor verb '{ShownPath(verb)}'{EscapedQueryHint(verb)} (it serves {string.Join(", ", Verbs.Keys.Order())}; see docs/tractor-compatibility.md)");
        }
        else
        {
            reply = TractorParameters.Refusal(verb, call) ?? await handle(call).ConfigureAwait(false);
        }
        await reply.WriteAsync(context).ConfigureAwait(false);
    }

    // A path as a refusal quotes it: cut at an escaped query (`monitor%3Fq=...&tsid=...` reaches here decoded, and a
    // refusal must not hand a caller's session or password back into logs and proxies), and at 60 characters.
    private static string ShownPath(string path)
    {
        var cut = path.IndexOfAny(['?', '&', '=']);
        var shown = cut < 0 ? path : path[..cut] + "...";
        return shown.Length > 60 ? shown[..60] + "..." : shown;
    }

    private static string EscapedQueryHint(string path) =>
        path.Contains('?', StringComparison.Ordinal) ? " (its '?' was sent escaped, as %3F, so the parameters became part of the path)" : "";

    // Tractor's own blades speak task?q=nextcmd and btrack?q=bpulse; Furrow's blades are `furrow blade`.
    private static Task<TractorReply> BladeVerb(TractorCall call) => Task.FromResult(TractorReply.Error(StatusCodes.Status501NotImplemented,
        $"Furrow does not serve Tractor's blade protocol ({call.Context.Request.Path}?q={call.Q}): run Furrow's blade (`furrow blade`) on render nodes"));
}

/// <summary>One Tractor request: its parameters (query string and form body, as one), its caller, and the services it uses.</summary>
internal sealed class TractorCall(HttpContext context)
{
    /// <summary>The request.</summary>
    public HttpContext Context { get; } = context;

    /// <summary>The `q` parameter (which query of a verb), or "".</summary>
    public string Q => Get("q") ?? "";

    /// <summary>A parameter's first value, or null.</summary>
    public string? Get(string name) => Context.Request.Query[name].FirstOrDefault();

    /// <summary>A service.</summary>
    public T Service<T>() where T : notnull => Context.RequestServices.GetRequiredService<T>();

    /// <summary>The native API, run as this call's caller (<see cref="NativeCalls"/>).</summary>
    public Task<NativeReply> NativeAsync(string endpoint, IEnumerable<KeyValuePair<string, string?>> query, RouteValueDictionary? route = null,
        (string ContentType, Stream Body, long? Length)? body = null) =>
        Service<NativeCalls>().CallAsync(Context, endpoint, query, route, body);

    /// <summary>The user the call acts as (<see cref="Access.Caller.User"/>), or null for an anonymous one.</summary>
    public string? User => Access.Caller.User(Context);

    /// <summary>
    /// A 401 when the engine needs a login (RequireAuthentication, the same policy as the native API's) and this call
    /// has none, saying how Tractor's clients log in; else null. On an engine that serves anonymous calls, a call is
    /// refused the same way when its `tsid` names no session (logged out, forged, or handed out before a restart), so
    /// that Tractor's clients, which check a saved tsid with `ctrl?q=status`, log in again instead of acting as nobody.
    /// </summary>
    public async Task<TractorReply?> RefuseAnonymousAsync()
    {
        if (!LoginsRequired && TractorRequests.Tsid(Context.Request) is { } given && Context.User.Identity?.IsAuthenticated != true
            && Service<AnonymousSessions>().UserOf(given) is null)
        {
            return TractorReply.Error(StatusCodes.Status401Unauthorized,
                $"the tsid {Shown(given)} is unknown, ended or expired: log in again (monitor?q=login)");
        }
        var policy = await Service<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync().ConfigureAwait(false);
        if (policy is null || (await Service<IAuthorizationService>().AuthorizeAsync(Context.User, null, policy).ConfigureAwait(false)).Succeeded)
            return null;
        return TractorReply.Error(StatusCodes.Status401Unauthorized, TractorRequests.Tsid(Context.Request) is { } tsid
            ? $"the tsid {Shown(tsid)} is unknown, ended or expired: log in again (monitor?q=login)"
            : "this engine needs a login: log in with monitor?q=login (tq --login) and send the tsid it gives");
    }

    /// <summary>Whether the engine needs logins (tractor.config RequireAuthentication).</summary>
    public bool LoginsRequired => Service<IOptions<EngineOptions>>().Value.RequireAuthentication;

    /// <summary>A 501 naming a query of <paramref name="verb"/> Furrow does not serve, and those it does.</summary>
    /// <remarks>A call without q= is a bad request (400) rather than one Furrow does not serve.</remarks>
    public TractorReply UnknownQuery(string verb, IEnumerable<string> served) => Q.Length == 0
        ? TractorReply.Error(StatusCodes.Status400BadRequest, $"{verb} needs q= (one of {string.Join(", ", served)})")
        : TractorReply.Error(StatusCodes.Status501NotImplemented,
            $"Furrow does not serve the Tractor query {verb}?q={Shown(Q)} (it serves {string.Join(", ", served.Select(s => $"q={s}"))}; see docs/tractor-compatibility.md)");

    /// <summary>A value a caller sent, as a message quotes it (<see cref="Core.Text.TerminalText.Shown"/>: cut at 60 characters, escaped).</summary>
    public static string Shown(string value) => Core.Text.TerminalText.Shown(value);

    /// <summary>
    /// A native reply as Tractor's: a failure keeps its status and message (`{"rc", "msg"}`); a success is what
    /// <paramref name="shape"/> makes of its JSON body.
    /// </summary>
    public static TractorReply From(NativeReply native, Func<JsonElement, TractorReply> shape)
    {
        if (!native.Ok)
            return TractorReply.Error(native.Status, native.Message);
        using var json = native.Json();
        return shape(json.RootElement);
    }
}

/// <summary>A Tractor reply: its HTTP status and JSON body (or plain text for the verbs that answer text).</summary>
internal sealed record TractorReply(int Status, byte[] Body, string ContentType = "application/json")
{
    /// <summary>A JSON reply written by <paramref name="write"/> (an object or array; the writer is positioned at the start).</summary>
    public static TractorReply Json(Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Api.TractorRowWriter.Encoder }))
            write(writer);
        return new TractorReply(status, buffer.ToArray());
    }

    /// <summary>`{"rc": 0, "msg": MESSAGE}` plus what <paramref name="more"/> writes into the object.</summary>
    public static TractorReply Ok(string message, Action<Utf8JsonWriter>? more = null) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("rc", 0);
        w.WriteString("msg", message);
        more?.Invoke(w);
        w.WriteEndObject();
    });

    /// <summary>`{"rc": STATUS, "msg": MESSAGE}` with that HTTP status: what Tractor's clients read from a failure (§1).</summary>
    public static TractorReply Error(int status, string message) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("rc", status);
        w.WriteString("msg", message);
        w.WriteEndObject();
    }, status);

    /// <summary>The reply's `msg` (its JSON body's), else its body as text: what a verb that passes a failure on quotes.</summary>
    public string Message => NativeReply.MessageOf(Body);

    /// <summary>A plain-text reply.</summary>
    public static TractorReply Text(string text) => new(StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8");

    /// <summary>
    /// A 200 JSON reply whose body is <paramref name="pieces"/> sent one after another, from memory the reply does not own:
    /// <paramref name="release"/> is called once they are sent, or not (<see cref="WriteAsync"/> calls it in any case).
    /// For a large body already written elsewhere (a db select's pages), which is sent without being copied into one array.
    /// <see cref="Body"/> is empty.
    /// </summary>
    public static TractorReply Pieces(IReadOnlyList<System.Buffers.ReadOnlySequence<byte>> pieces, Action release) =>
        new(StatusCodes.Status200OK, []) { _pieces = pieces, _release = release };

    private IReadOnlyList<System.Buffers.ReadOnlySequence<byte>>? _pieces;
    private Action? _release;

    /// <summary>Sends the reply with its length and Tractor's Server header.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        try
        {
            var response = context.Response;
            response.StatusCode = Status;
            response.ContentType = ContentType;
            response.ContentLength = _pieces?.Sum(p => p.Length) ?? Body.Length;
            response.Headers.Server = TractorEndpoints.ServerHeader;
            response.Headers.CacheControl = "no-store";
            if (HttpMethods.IsHead(context.Request.Method))
                return;
            if (_pieces is null)
            {
                await response.Body.WriteAsync(Body, context.RequestAborted).ConfigureAwait(false);
                return;
            }
            await Api.ResponseBodies.WriteAsync(response, _pieces, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            var release = _release;
            _release = null;
            release?.Invoke();
        }
    }
}
