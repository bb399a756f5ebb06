using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Furrow.Engine.Api;
using Furrow.Engine.Site;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Furrow.Engine.Tractor;

/// <summary>
/// Makes a request to Tractor's URLs (`/Tractor/VERB`) look like one to the native API before authentication sees it
/// (TRACTOR-PROTOCOL §1, §2, §3c): parameters sent as a form body join those of the query string (Tractor's clients put
/// them in either, and append `\r\n` to a body); Tractor 1.x's `X-Tractor-*` spool headers become the parameters 2.x
/// sends; and the user a call acts as is named by `user=` as tq's `--user` names it. That user is `jobOwner` for a spool;
/// on an engine that serves anonymous calls (RequireAuthentication false), also the user a `tsid` was handed to
/// (<see cref="AnonymousSessions"/>), or else EngineClient's `TractorUser` cookie. On an engine that needs logins
/// the `tsid` alone says who calls (<see cref="Access.EngineAuthentication"/>), and naming another user takes an
/// administrator, as on the native API.
/// </summary>
internal static class TractorRequests
{
    /// <summary>The path every Tractor URL starts with.</summary>
    public const string Prefix = "/Tractor";

    /// <summary>The largest form body read as parameters, in bytes: Tractor's forms are a few hundred bytes; a list of jids a few KB.</summary>
    public const int MaxFormBytes = 1 << 20;

    /// <summary>True for a request to one of Tractor's URLs.</summary>
    public static bool IsTractor(HttpRequest request) => request.Path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a path that starts `/Tractor%2F`: meant for Tractor's URLs, with its slash escaped; answered as they answer.</summary>
    public static bool HasEscapedSlash(HttpRequest request) =>
        request.Path.Value is { } path && path.StartsWith(Prefix + "%2F", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the verbs whose body is a job script (never read as parameters, whatever its content type says).</summary>
    public static bool IsSpool(HttpRequest request) =>
        request.Path.Equals(Prefix + "/spool", StringComparison.OrdinalIgnoreCase) || request.Path.Equals(Prefix + "/jspool", StringComparison.OrdinalIgnoreCase);

    // Tractor 1.x sent the spool's settings as headers (§3c): each becomes the parameter 2.x sends in the URL.
    private static readonly (string Header, string Parameter)[] SpoolHeaders =
    [
        ("X-Tractor-User", "jobOwner"), ("X-Tractor-Spoolhost", "hnm"), ("X-Tractor-Dir", "jobcwd"),
        ("X-Tractor-Jobfile", "jobFile"), ("X-Tractor-Priority", "priority"),
    ];

    // The different values of a parameter given more than once, as a refusal quotes them: never a session's or a
    // password's (tsid=, c=, passwd=), which a refusal must not hand back into logs and proxies.
    private static string ShownValues(string key, IEnumerable<string> values) =>
        key.ToLowerInvariant() is "tsid" or "c" or "passwd" or "password" ? ""
            : $" ({string.Join(", ", values.Distinct(StringComparer.Ordinal).Take(5).Select(v => $"'{Shown(v)}'"))})";

    /// <summary>
    /// Rewrites a Tractor request's query string as described on the type; a refusal (status, why) for a form body that
    /// is too large, a parameter given twice with different values, or a 1.x spool header that is given twice with
    /// different values, holds a bad value, or disagrees with the parameter it stands for (each naming the header),
    /// else null. Other requests pass untouched.
    /// </summary>
    public static async ValueTask<(int Status, string Reason)?> NormaliseAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsTractor(request))
        {
            // `/Tractor%2Fmonitor` is one path segment to the framework, so it would reach the native API's 401 or 404.
            return HasEscapedSlash(request)
                ? (StatusCodes.Status404NotFound, $"{Shown(request.Path.Value)} is not a Tractor URL: its '/' after {Prefix} was sent escaped (%2F); they are {Prefix}/VERB?q=...")
                : null;
        }
        var sent = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (AddParameters(sent, request.QueryString.Value, "the URL sends") is { } tooManyInUrl)
            return (StatusCodes.Status400BadRequest, tooManyInUrl);
        // A form body is read whatever the method (§1): small scripts send one with GET as Tractor's clients do with POST.
        if (!IsSpool(request) && await ReadBodyAsync(context, sent).ConfigureAwait(false) is { } badBody)
            return badBody;
        // The URL's were refused before (RequestGuard); a form body's, sent escaped or as the byte itself, are refused here.
        foreach (var (key, values) in sent)
        {
            if (key.Contains('\0', StringComparison.Ordinal) || values.Exists(v => v.Contains('\0', StringComparison.Ordinal)))
                return (StatusCodes.Status400BadRequest, RequestGuard.NulMessage(key.Replace("\0", "", StringComparison.Ordinal)));
        }
        // The framework reads the query string's names without regard to case, and joins the values of every spelling of
        // one (set_title=x&set_TITLE=y read as "x,y"): spellings of one name are one parameter here too, kept under the
        // first spelling sent, and refused naming each spelling unless every value agrees.
        var parameters = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        var spelledBy = sent.Keys.GroupBy(k => k, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in sent)
        {
            if (spelledBy.TryGetValue(key, out var spellings))
            {
                if (parameters.ContainsKey(key))
                    continue;
                var all = spellings.SelectMany(k => sent[k]).ToList();
                if (!all.TrueForAll(v => v == all[0]))
                    return (StatusCodes.Status400BadRequest, $"{key}= is given {all.Count} times, as {string.Join(" and ", spellings.Select(k => Shown(k) + "="))} " +
                        $"(parameter names are read without regard to case), with different values{ShownValues(key, all)}: give it once");
                parameters[key] = all[0];
                continue;
            }
            if (Once(key, values) is not { } merged)
                return (StatusCodes.Status400BadRequest, $"{key}= is given {values.Count} times, with different values{ShownValues(key, values)}: give it once");
            parameters[key] = merged;
        }
        foreach (var (header, parameter) in SpoolHeaders)
        {
            if (request.Headers[header] is not { Count: > 0 } values)
                continue;
            if (Once(header, [.. values.Select(v => v ?? "")]) is not { } one)
                return (StatusCodes.Status400BadRequest, $"the {header} header is given {values.Count} times, with different values " +
                    $"({string.Join(", ", values.Select(v => $"'{Shown(v)}'"))}): give it once");
            var value = one.ToString();
            if (HeaderProblem(header, value) is { } problem)
                return (StatusCodes.Status400BadRequest, $"the {header} header '{Shown(value)}': {problem}");
            // A header and its parameter that disagree would leave one of them unread: which the caller meant is theirs to say.
            if (parameters.TryGetValue(parameter, out var given) && given.ToString() != value)
                return (StatusCodes.Status400BadRequest, $"the {header} header says '{Shown(value)}' and {parameter}= says '{Shown(given)}': " +
                    "give one of them, or both the same");
            parameters[parameter] = value;
        }
        if (!parameters.ContainsKey("user") && WhoFor(context, parameters) is { Length: > 0 } user)
            parameters["user"] = user;
        NativeCalls.SetQuery(context, parameters);
        return null;
    }

    /// <summary>
    /// Adds the parameters of a request's body to <paramref name="into"/>: an <c>application/x-www-form-urlencoded</c> body
    /// (what Tractor's clients send, §1), one sent with no Content-Type (a hand-written request's), or a
    /// <c>multipart/form-data</c> one (curl's <c>-F</c>) whose fields are name=value pairs. A body of another type is
    /// refused 415 naming its type rather than left unread, as is a file in a multipart body (400); a body of white
    /// space alone is nothing. A refusal (status, why), else null.
    /// </summary>
    private static async ValueTask<(int Status, string Reason)?> ReadBodyAsync(HttpContext context, Dictionary<string, List<string>> into)
    {
        var request = context.Request;
        if (request.ContentLength > MaxFormBytes)
            return (StatusCodes.Status413PayloadTooLarge, $"a form body of {request.ContentLength} bytes is more than the {MaxFormBytes} bytes Tractor's URLs take in one");
        if (request.HasFormContentType && !request.ContentType!.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            return await ReadMultipartAsync(context, into).ConfigureAwait(false);
        // Read from the request's own pipe, as it arrives: most requests (a GET, a query API POST with its parameters in the
        // URL) have no body at all, and a buffer of the most a body may be, made for each, cost every request a 1 MB
        // zeroed allocation on the large-object heap and the engine a full collection every few dozen requests.
        var reader = request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (result.Buffer.Length > MaxFormBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                return (StatusCodes.Status413PayloadTooLarge, $"a form body of more than {MaxFormBytes} bytes is more than Tractor's URLs take in one");
            }
            if (result.IsCompleted || result.IsCanceled)
                break;
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        // Tractor's transport ends every body with CRLF; it belongs to no value. A UTF-8 byte-order mark (an editor's, in a
        // body written to a file and sent with curl --data-binary @file) belongs to none either.
        var body = Latin1(result.Buffer).TrimEnd('\r', '\n', ' ', '\t');
        if (body.StartsWith("\u00EF\u00BB\u00BF", StringComparison.Ordinal))
            body = body[3..];
        reader.AdvanceTo(result.Buffer.End);
        if (body.Length == 0)
            return null;
        if (!request.HasFormContentType && !string.IsNullOrEmpty(request.ContentType))
            return (StatusCodes.Status415UnsupportedMediaType, $"a body sent to {Shown(request.Path.Value)} as {Shown(request.ContentType)} is not read: " +
                "its parameters go in the URL or in a form body (Content-Type: application/x-www-form-urlencoded, as Tractor's clients and curl -d send it)");
        return AddParameters(into, body, "the URL and the form body send", bytes: true) is { } tooMany ? (StatusCodes.Status400BadRequest, tooMany) : null;
    }

    // A body's bytes as Latin-1 text, one char per byte (nothing lost): each value is made text on its own once split
    // and unescaped (Unescape), so one Latin-1 value does not make every UTF-8 value beside it mojibake.
    private static string Latin1(in ReadOnlySequence<byte> bytes) => bytes.IsEmpty ? "" : Encoding.Latin1.GetString(bytes);

    // A multipart form's fields, read by the framework's reader within the same limits as a form body.
    private static async ValueTask<(int Status, string Reason)?> ReadMultipartAsync(HttpContext context, Dictionary<string, List<string>> into)
    {
        var request = context.Request;
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IFormFeature>(new Microsoft.AspNetCore.Http.Features.FormFeature(request,
            new Microsoft.AspNetCore.Http.Features.FormOptions
            {
                MultipartBodyLengthLimit = MaxFormBytes, ValueCountLimit = MaxParameters, ValueLengthLimit = MaxFormBytes, BufferBody = false,
            }));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException error)
        {
            return (StatusCodes.Status400BadRequest, $"the multipart form body could not be read ({error.Message}): " +
                "send the parameters in the URL or as a form body (Content-Type: application/x-www-form-urlencoded)");
        }
        if (form.Files.Count > 0)
            return (StatusCodes.Status400BadRequest, $"the form body sends a file ({Shown(form.Files[0].Name)}={Shown(form.Files[0].FileName)}): " +
                $"Tractor's URLs take name=value fields; a job script is spooled with {Prefix}/spool as the body");
        var count = into.Values.Sum(v => v.Count);
        foreach (var (key, values) in form)
        {
            count += values.Count;
            if (count > MaxParameters)
                return (StatusCodes.Status400BadRequest, $"the URL and the form body send more than {MaxParameters} parameters (name=value pairs): a list goes in one parameter, comma-joined (jid=1,3,5)");
            if (!into.TryGetValue(key, out var list))
                into[key] = list = [];
            list.AddRange(values.Select(v => v ?? ""));
        }
        return null;
    }

    /// <summary>The most parameters (name=value pairs, URL and form body together) one request may send.</summary>
    public const int MaxParameters = 20_000;

    /// <summary>
    /// Adds the parameters of a query string or form body (`a=1&b=x%20y`, `+` for a space) to <paramref name="into"/>,
    /// each name's values in the order sent, each name and value percent-decoded to bytes and read as text by
    /// <see cref="Core.Scripts.ScriptText.Utf8OrLatin1"/>: a Latin-1 `%E8` is è, as a Python 2 client that quotes a
    /// Latin-1 string sends it, where the framework's reader would keep the three characters "%E8". Linear in the text's
    /// length; a refusal that begins with <paramref name="where"/> (what sent them and its verb: "the URL sends") once more
    /// than <see cref="MaxParameters"/> pairs are held, else null. With <paramref name="bytes"/>, <paramref name="encoded"/>
    /// is a body's bytes one char each (Latin-1), and every name and value is read by that rule on its own, unescaped or not.
    /// </summary>
    public static string? AddParameters(Dictionary<string, List<string>> into, string? encoded, string where, bool bytes = false)
    {
        var count = into.Values.Sum(v => v.Count);
        foreach (var pair in (encoded ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (++count > MaxParameters)
                return $"{where} more than {MaxParameters} parameters (name=value pairs): a list goes in one parameter, comma-joined (jid=1,3,5)";
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Unescape(equals < 0 ? pair : pair[..equals], bytes);
            var value = equals < 0 ? "" : Unescape(pair[(equals + 1)..], bytes);
            if (into.TryGetValue(key, out var values))
                values.Add(value);
            else
                into[key] = [value];
        }
        return null;
    }

    // Percent escapes and `+` made bytes (WebUtility), the bytes made text by the job scripts' rule. A part that is a body's
    // bytes (Latin-1, one char each) is made text by that rule even with no escape in it.
    private static string Unescape(string part, bool isBytes)
    {
        var escaped = part.AsSpan().IndexOfAny('%', '+') >= 0;
        if (!escaped && (!isBytes || Ascii.IsValid(part)))
            return part;
        var raw = isBytes ? Encoding.Latin1.GetBytes(part) : Encoding.UTF8.GetBytes(part);
        return Core.Scripts.ScriptText.Utf8OrLatin1(escaped ? System.Net.WebUtility.UrlDecodeToBytes(raw, 0, raw.Length) : raw);
    }

    // Parameters that hold a comma-joined list of ids (§1): given more than once (in the URL and the body, or twice in
    // either), their lists are one list, in the order given.
    private static readonly string[] ListParameters = ["jid", "tid", "cid", "jids"];

    // A parameter's one value: a list parameter's values joined, another's value when every copy agrees, else null (the
    // request is refused naming it, never read by its first copy alone).
    private static StringValues? Once(string key, List<string> values)
    {
        if (values.Count <= 1)
            return new StringValues([.. values]);
        if (ListParameters.Contains(key, StringComparer.Ordinal))
            return new StringValues(string.Join(",", values));
        return values.TrueForAll(v => v == values[0]) ? new StringValues(values[0]) : (StringValues?)null;
    }

    // What is wrong with a spool header's value, checked here so the refusal names the header rather than the parameter
    // it becomes; null when nothing is. The parameters' own checks still apply to values sent as parameters.
    private static string? HeaderProblem(string header, string value) => header switch
    {
        "X-Tractor-Priority" => Core.Jobs.JobPriority.Parse(value, out var error) is null ? error : null,
        "X-Tractor-User" => Core.Config.AccountName.Problem(value),
        _ => null,
    };

    // A value as a refusal quotes it: short, whatever was sent.
    private static string Shown(string? value) => value is { Length: > 40 } ? value[..40] + "..." : value ?? "";

    // The user a Tractor call names when it sends no user=: see the type.
    private static string? WhoFor(HttpContext context, Dictionary<string, StringValues> parameters)
    {
        if (IsSpool(context.Request) && parameters.GetValueOrDefault("jobOwner").FirstOrDefault() is { Length: > 0 } owner)
            return owner;
        if (context.RequestServices.GetRequiredService<IOptions<EngineOptions>>().Value.RequireAuthentication)
            return null;
        if (parameters.GetValueOrDefault("tsid").FirstOrDefault() is { Length: > 0 } tsid
            && context.RequestServices.GetRequiredService<AnonymousSessions>().UserOf(tsid) is { } named)
            return named;
        return context.Request.Cookies["TractorUser"];
    }

    /// <summary>True for Tractor's login, `monitor?q=login` (rate-limited with the native login: <see cref="Api.AuthEndpoints.LimitLogins"/>).</summary>
    public static bool IsLogin(HttpRequest request) =>
        request.Path.Equals(Prefix + "/monitor", StringComparison.OrdinalIgnoreCase) && request.Query["q"] == "login";

    /// <summary>The `tsid` a Tractor request carries (in its query string or, once normalised, its form body), or null.</summary>
    public static string? Tsid(HttpRequest request) =>
        IsTractor(request) && request.Query["tsid"].FirstOrDefault() is { Length: > 0 } tsid ? tsid : null;
}

/// <summary>
/// The `tsid`s an engine that serves anonymous calls hands out at `monitor?q=login` without a password: kept in memory
/// only (so none outlives a restart, and none can stand for a login once the engine needs them), each naming the user
/// it was handed to for calls that name no other. At most <see cref="MaxSessions"/> are kept; the oldest go first.
/// </summary>
internal sealed class AnonymousSessions(TimeProvider clock)
{
    /// <summary>How many are kept at most.</summary>
    public const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, (string User, long StartedMs)> _sessions = new(StringComparer.Ordinal);

    /// <summary>A new tsid (a UUID, as Tractor's) for <paramref name="user"/>.</summary>
    public string Start(string user)
    {
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var old in _sessions.OrderBy(s => s.Value.StartedMs).Take(MaxSessions / 10))
                _sessions.TryRemove(old.Key, out _);
        }
        var tsid = Guid.NewGuid().ToString("D");
        _sessions[tsid] = (user, clock.GetUtcNow().ToUnixTimeMilliseconds());
        return tsid;
    }

    /// <summary>The user <paramref name="tsid"/> was handed to, or null.</summary>
    public string? UserOf(string tsid) => _sessions.TryGetValue(tsid, out var session) ? session.User : null;

    /// <summary>Forgets <paramref name="tsid"/>; true when it was known.</summary>
    public bool End(string tsid) => _sessions.TryRemove(tsid, out _);
}
