using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Furrow.Client.Protocol;

namespace Furrow.Client;

/// <summary>A typed client for the engine's HTTP API, for the CLI, blades and pipeline tools. Thread-safe; keep one.</summary>
public sealed class EngineClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly EngineCertificateCheck? _certificateCheck;
    private readonly bool _ownTransport;
    private readonly SemaphoreSlim _settling = new(1, 1);
    private volatile bool _settled;
    private HttpClient? _local;

    /// <summary>A client of the engine at <paramref name="engine"/> (see <see cref="EngineAddress.Resolve"/>).</summary>
    /// <param name="engine"><c>HOST:PORT</c>, or null for <c>$TRACTOR_ENGINE</c>, else <c>localhost:5600</c>.</param>
    /// <param name="http">
    /// The HTTP client to send with (for tests or custom handlers); it is disposed with this client. Null makes one that keeps
    /// connections alive and has no timeout of its own, since work polls wait long on purpose: pass a token to bound a call.
    /// </param>
    /// <param name="caFile">
    /// For an <c>https://</c> engine: the CA certificate file (PEM or DER) its certificate must be issued by; null for
    /// <c>$FURROW_CA_FILE</c> (<see cref="EngineTls.CaFileVariable"/>), else this host's trust store. Not used with <paramref name="http"/>.
    /// </param>
    /// <param name="token">
    /// A login token to send (`Authorization: Bearer`). Null looks for one in <c>$FURROW_TOKEN</c>, then in the user's
    /// saved logins (<see cref="EngineLogins"/>); failing both, a client of an engine on this host (with no
    /// <paramref name="http"/> of its own) talks through the engine's unix socket, where the engine's own account and
    /// root need no login.
    /// </param>
    public EngineClient(string? engine = null, HttpClient? http = null, string? caFile = null, string? token = null)
    {
        BaseAddress = EngineAddress.Resolve(engine);
        _certificateCheck = http is null && BaseAddress.Scheme == Uri.UriSchemeHttps ? new EngineCertificateCheck(caFile) : null;
        _ownTransport = http is null;
        Token = token ?? (Environment.GetEnvironmentVariable("FURROW_TOKEN") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : EngineLogins.Find(BaseAddress) is { } saved && saved.ExpiresMs > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() ? saved.Token : null);
        _http = http ?? new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,
            SslOptions = _certificateCheck?.ClientOptions() ?? new(),
        }) { Timeout = Timeout.InfiniteTimeSpan };
        _http.BaseAddress ??= BaseAddress;
    }

    // A client of the engine's unix socket alone (ThroughLocalSocket): no token, no move to TCP.
    private EngineClient(Uri address, HttpClient local)
    {
        BaseAddress = address;
        _http = local;
        _settled = true;
    }

    /// <summary>
    /// A client that talks to the engine only through its unix socket <paramref name="socket"/>, sending no token, so the
    /// engine knows it by this process's account (its own account and root are known there). For `furrow up`, which runs
    /// the engine and asks it for things as the user who started it, whatever tokens that user keeps.
    /// </summary>
    /// <param name="socket">The socket's path (<c>&lt;TractorDataDirectory&gt;/engine.sock</c>).</param>
    /// <param name="engine">The engine's address, for the Host header and <see cref="BaseAddress"/>.</param>
    public static EngineClient ThroughLocalSocket(string socket, string engine)
    {
        var address = EngineAddress.Resolve(engine);
        return new EngineClient(address, LocalSocketClient(socket, address)) { UseLocalSocket = false };
    }

    /// <summary>The engine's base URL, such as <c>http://localhost:5600/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// Whether a client without a token may move to the engine's unix socket (default true). A blade says no: it proves
    /// itself with its blade key, and the engine matches blade profiles by the address it connects from.
    /// </summary>
    public bool UseLocalSocket { get; init; } = true;

    /// <summary>The login token this client sends, or null (then it is anonymous, or known by the local socket).</summary>
    public string? Token { get; private set; }

    /// <summary>
    /// Logs in as <paramref name="user"/> with an account's password (the engine's users.config), and from then on sends the
    /// token it gets. Saving it for later commands is the caller's choice (<see cref="EngineLogins.Save"/>).
    /// </summary>
    /// <exception cref="EngineException">Refused: 401 for a wrong user or password, 429 after too many tries.</exception>
    public async Task<LoginReply> LoginAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        var reply = await SendAsync(HttpMethod.Post, "api/v1/auth/login",
            JsonContent.Create(new LoginRequest(user, password), FurrowJsonContext.Default.LoginRequest), FurrowJsonContext.Default.LoginReply,
            cancellationToken).ConfigureAwait(false);
        Token = reply.Token;
        return reply;
    }

    /// <summary>Ends this client's login session on the engine (the token stops working everywhere).</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(HttpMethod.Post, "api/v1/auth/logout", null, FurrowJsonContext.Default.OperationReply, cancellationToken).ConfigureAwait(false);
        Token = null;
    }

    /// <summary>
    /// A one-time code that signs a browser in as this client's caller (the Dashboard's link, <c>/signin#code=CODE</c>):
    /// it works once, for 5 minutes. The caller must be known to the engine (a token, or the engine's socket).
    /// </summary>
    /// <exception cref="EngineException">401 for an anonymous caller.</exception>
    public Task<SignInLink> SignInLinkAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/auth/signin-link", null, FurrowJsonContext.Default.SignInLink, cancellationToken);

    /// <summary>The browser URL of <paramref name="link"/> on this client's engine (<c>http(s)://HOST:PORT/signin#code=CODE</c>).</summary>
    public Uri SignInUrl(SignInLink link) => new(BaseAddress, link.Path);

    /// <summary>Who the engine takes this client for (null user: anonymous), and whether it needs a login.</summary>
    public Task<AuthStatus> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/auth", null, FurrowJsonContext.Default.AuthStatus, cancellationToken);

    // Blade name → the key the engine issued it; read by every agent call, written at enrolment (any thread).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _bladeKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// The site's blade enrolment secret, shown when registering a blade this client holds no key for (see
    /// <see cref="BladeCredentialHeaders"/>). Set it before registering; null shows none.
    /// </summary>
    public string? EnrolmentSecret { get; set; }

    /// <summary>The key the engine issued <paramref name="blade"/> at its enrolment, if this client holds it.</summary>
    public string? BladeKey(string blade) => _bladeKeys.TryGetValue(blade, out var key) ? key : null;

    /// <summary>
    /// Gives this client the key of <paramref name="blade"/> (kept by the blade from an earlier enrolment), or forgets it
    /// (null). Registrations and agent calls under that name then carry it.
    /// </summary>
    public void SetBladeKey(string blade, string? key)
    {
        _proposedKeys.TryRemove(blade, out _);
        if (key is null)
            _bladeKeys.TryRemove(blade, out _);
        else
            _bladeKeys[blade] = key;
    }

    /// <summary>
    /// Proposes <paramref name="key"/> (at least 32 random bytes, base64url) as <paramref name="blade"/>'s key at its
    /// enrolment: the next registration carries it with <see cref="EnrolmentSecret"/>, and the engine binds the name to
    /// it. A blade keeps the key on its disk before proposing it, so whenever it stops, it holds the key its name may
    /// already be bound to. Once a registration is accepted the key is the blade's (<see cref="BladeKey"/>) and the secret
    /// is no longer sent. An engine that does not take proposals issues a key of its own in the reply, which replaces it.
    /// </summary>
    public void ProposeBladeKey(string blade, string key)
    {
        _bladeKeys[blade] = key;
        _proposedKeys[blade] = key;
    }

    /// <summary>Whether <paramref name="blade"/>'s key is a proposal no registration has been accepted with yet.</summary>
    public bool IsProposedBladeKey(string blade) => _proposedKeys.ContainsKey(blade);

    // Blade name → the key proposed for its enrolment, until a registration is accepted with it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _proposedKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// Submits a job script (alfred text, or the JSON job form when <see cref="SpoolOptions.IsJson"/>) as tractor-spool
    /// does, and returns the new job's id. The engine parses, checks and commits the job before it answers.
    /// </summary>
    /// <exception cref="EngineException">The engine refused the script; the message gives file, line and column for syntax errors.</exception>
    /// <exception cref="HttpRequestException">The engine could not be reached.</exception>
    public Task<SpoolReply> SpoolAsync(string script, SpoolOptions options, CancellationToken cancellationToken = default)
    {
        // Every value given is sent, an empty one too: an empty list empties the script's, and an empty single value is the
        // engine's to refuse by name, never dropped here as if not given.
        var query = QueryOfGiven(("user", options.User), ("file", options.FileName), ("host", options.Host), ("cwd", options.Cwd),
            ("priority", options.Priority is { } priority ? Core.Text.ValueText.Decimal(priority) : null),
            ("paused", options.Paused is { } p ? (p ? "1" : "0") : null), ("format", options.IsJson ? "json" : "alfred"),
            ("title", options.Title), ("tier", options.Tier), ("projects", options.Projects), ("svckey", options.Service),
            ("envkey", options.EnvKey), ("maxactive", options.MaxActive?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("after", options.After), ("afterjids", options.AfterJids));
        var content = new StringContent(script, Encoding.UTF8, options.IsJson ? "application/json" : "text/plain");
        // A large script asks first, so an engine that refuses its size answers before the body is sent.
        return SendAsync(HttpMethod.Post, "api/v1/jobs" + query, content, FurrowJsonContext.Default.SpoolReply, cancellationToken,
            expectContinue: script.Length > 1024 * 1024);
    }

    /// <summary>
    /// Jobs matching <paramref name="clause"/>, a search clause in Tractor's tq language (null: all), as seen by
    /// <paramref name="user"/> (for aliases such as <c>mine</c>); <paramref name="archived"/> includes deleted jobs.
    /// </summary>
    /// <exception cref="EngineException">The clause does not parse; the message says where.</exception>
    public Task<List<JobRow>> JobsAsync(string? clause = null, string? user = null, bool archived = false, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/jobs", [("q", clause), ("user", user)], new ListOptions(Archived: archived), FurrowJsonContext.Default.ListJobRow,
            cancellationToken);

    /// <summary>
    /// Jobs matching a search clause (Tractor's language), sorted, limited and paged by the engine as
    /// <paramref name="options"/> say. Comments are left out unless <see cref="ListOptions.WithComment"/>.
    /// </summary>
    public Task<List<JobRow>> JobsAsync(string? clause, string? user, ListOptions options, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/jobs", [("q", clause), ("user", user)], options, FurrowJsonContext.Default.ListJobRow, cancellationToken);

    /// <summary>Tasks matching a search clause; as <see cref="JobsAsync(string?, string?, ListOptions, CancellationToken)"/>.</summary>
    public Task<List<TaskRow>> TasksAsync(string? clause, string? user, ListOptions options, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/tasks", [("q", clause), ("user", user)], options, FurrowJsonContext.Default.ListTaskRow, cancellationToken);

    /// <summary>Commands matching a search clause; as <see cref="JobsAsync(string?, string?, ListOptions, CancellationToken)"/>.</summary>
    public Task<List<CommandRow>> CommandsAsync(string? clause, string? user, ListOptions options, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/commands", [("q", clause), ("user", user)], options, FurrowJsonContext.Default.ListCommandRow, cancellationToken);

    /// <summary>Invocations matching a search clause; as <see cref="JobsAsync(string?, string?, ListOptions, CancellationToken)"/>.</summary>
    public Task<List<InvocationRow>> InvocationsAsync(string? clause, string? user, ListOptions options, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/invocations", [("q", clause), ("user", user)], options, FurrowJsonContext.Default.ListInvocationRow, cancellationToken);

    /// <summary>Blades matching a search clause; as <see cref="JobsAsync(string?, string?, ListOptions, CancellationToken)"/>.</summary>
    public Task<List<BladeRow>> BladesAsync(string? clause, ListOptions options, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/blades", [("q", clause)], options, FurrowJsonContext.Default.ListBladeRow, cancellationToken);

    /// <summary>
    /// Chosen columns of a listing (tq's `-c`), by Tractor's names: <paramref name="table"/> is jobs, tasks, commands,
    /// invocations or blades; <paramref name="columns"/> names, aliases or `table.column`. Each row holds the values in the
    /// columns' order (times as Unix ms, lists as arrays, null where a row has none). <paramref name="distinct"/> keeps each
    /// different row once. Throws <see cref="EngineException"/> naming a bad column, clause or sort.
    /// </summary>
    public async Task<ColumnTable> QueryColumnsAsync(string table, IReadOnlyList<string> columns, string? clause, string? user, ListOptions options,
        bool distinct = false, CancellationToken cancellationToken = default)
    {
        var path = $"api/v1/query/{Uri.EscapeDataString(table)}";
        (string, string?)[] filters = [("cols", string.Join(',', columns)), ("q", clause), ("user", user), ("distinct", distinct ? "1" : null)];
        string? name = null;
        List<ColumnInfo>? header = null;
        var rows = new List<JsonElement[]>();
        while (true)
        {
            using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, path + Query([.. filters, .. options.PagePairs(rows.Count)])),
                HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
            // The engine sends the page's length, so the body arrives in one array of its size. The document reads that array in
            // place and the rows' elements point into it, so it outlives this method and is never disposed: its index then
            // goes to the garbage collector instead of back to the pool, which costs no more than the copy (Clone) that a
            // disposed document would need (and a copy per value cost more than the request).
            var body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
            var root = JsonDocument.Parse(body).RootElement;
            name ??= root.GetProperty("table").GetString()!;
            header ??= root.GetProperty("columns").EnumerateArray()
                .Select(c => new ColumnInfo(c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!)).ToList();
            var page = root.GetProperty("rows");
            rows.EnsureCapacity(rows.Count + page.GetArrayLength());
            foreach (var row in page.EnumerateArray())
            {
                var values = new JsonElement[row.GetArrayLength()];
                var at = 0;
                foreach (var value in row.EnumerateArray())
                    values[at++] = value;
                rows.Add(values);
            }
            if (!options.WantsMore(response, page.GetArrayLength(), rows.Count))
                return new ColumnTable(name, header, rows);
        }
    }

    /// <summary>Tasks matching a search clause (null: all); as <see cref="JobsAsync(string?, string?, bool, CancellationToken)"/>.</summary>
    public Task<List<TaskRow>> TasksAsync(string? clause = null, string? user = null, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/tasks", [("q", clause), ("user", user)], new ListOptions(), FurrowJsonContext.Default.ListTaskRow, cancellationToken);

    /// <summary>Commands matching a search clause (null: all); as <see cref="JobsAsync(string?, string?, bool, CancellationToken)"/>.</summary>
    public Task<List<CommandRow>> CommandsAsync(string? clause = null, string? user = null, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/commands", [("q", clause), ("user", user)], new ListOptions(), FurrowJsonContext.Default.ListCommandRow, cancellationToken);

    /// <summary>Invocations (runs of commands) matching a search clause (null: all); as <see cref="JobsAsync(string?, string?, bool, CancellationToken)"/>.</summary>
    public Task<List<InvocationRow>> InvocationsAsync(string? clause = null, string? user = null, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/invocations", [("q", clause), ("user", user)], new ListOptions(), FurrowJsonContext.Default.ListInvocationRow,
            cancellationToken);

    /// <summary>Blades matching a search clause (null: all), such as <c>name=rack1</c>.</summary>
    /// <exception cref="EngineException">The clause does not parse; the message says where.</exception>
    public Task<List<BladeRow>> BladesAsync(string? clause = null, CancellationToken cancellationToken = default) =>
        ListAsync("api/v1/blades", [("q", clause)], new ListOptions(), FurrowJsonContext.Default.ListBladeRow, cancellationToken);

    /// <summary>Runs retry, skip (on tasks) or pause, unpause, delete (on jobs) on everything the clause matches.</summary>
    public Task<OperationReply> OperateAsync(string operation, string clause, string user, bool force, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/operations/{Uri.EscapeDataString(operation)}" + Query(("q", clause), ("user", user), ("force", force ? "1" : null)),
            null, FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>
    /// Runs an operation that takes a value on every job the clause matches: `chpri` with <paramref name="priority"/>, `delay`
    /// with <paramref name="afterTime"/>; others (undelay, undelete, retryallerrs, skipallerrs) take none.
    /// </summary>
    public Task<OperationReply> OperateAsync(string operation, string clause, string user, bool force, double? priority, DateTimeOffset? afterTime,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/operations/{Uri.EscapeDataString(operation)}" + Query(("q", clause), ("user", user),
                ("force", force ? "1" : null), ("priority", priority is { } p ? Core.Text.ValueText.Decimal(p) : null),
                ("aftertime", afterTime?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture))),
            null, FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>
    /// Changes one attribute of everything the clause matches: `jattr` (jobs), `tattr` (tasks), `cattr` (commands) with
    /// <paramref name="key"/> and <paramref name="value"/>, or `chkeys` (tasks; <paramref name="key"/> ignored, the value a
    /// service key). Keys and value shapes: Furrow.Core.Jobs.AttributeEdit.Parse; a refused key or value is a 400.
    /// </summary>
    public Task<OperationReply> SetAttributeAsync(string operation, string clause, string user, bool force, string key, string value,
        CancellationToken cancellationToken = default) =>
        // The value goes even when empty (an empty comment or project list is a value), which Query leaves out.
        SendAsync(HttpMethod.Post, $"api/v1/operations/{Uri.EscapeDataString(operation)}" + Query(("q", clause), ("user", user),
                ("force", force ? "1" : null), ("key", operation == "chkeys" ? null : key)) + $"&value={Uri.EscapeDataString(value)}",
            null, FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>
    /// What the scheduler would do with a blade's next request for work, as plain text lines (`tq trace`, Tractor's blade
    /// tracer): the blade's state, then each job with work waiting and the task it would get or why not, for at most
    /// <paramref name="jobs"/> jobs. Throws <see cref="EngineException"/> (404) when no such blade has registered.
    /// </summary>
    public async Task<string> TraceAsync(string blade, int jobs = 50, CancellationToken cancellationToken = default)
    {
        using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get,
                $"api/v1/blades/{Uri.EscapeDataString(blade)}/trace?jobs={jobs.ToString(System.Globalization.CultureInfo.InvariantCulture)}"),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A task's log as text, decoded as UTF-8 by the engine (bytes that are not UTF-8 show as U+FFFD).</summary>
    public async Task<string> TaskLogAsync(long jid, int tid, CancellationToken cancellationToken = default) =>
        (await TaskLogTextAsync(jid, tid, null, cancellationToken).ConfigureAwait(false)).Text;

    /// <summary>A task's log decoded for display, in the named encoding (default UTF-8), saying which it assumed.</summary>
    public Task<TaskLogText> TaskLogTextAsync(long jid, int tid, string? encoding = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/jobs/{jid}/tasks/{tid}/log/text" + Query(("encoding", encoding)), null,
            FurrowJsonContext.Default.TaskLogText, cancellationToken);

    /// <summary>A task's log exactly as stored: the bytes its commands printed, and Furrow's own lines in UTF-8.</summary>
    public async Task<byte[]> TaskLogBytesAsync(long jid, int tid, CancellationToken cancellationToken = default)
    {
        using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/jobs/{jid}/tasks/{tid}/log"),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A job's script exactly as it was spooled (alfred text, or the JSON job form when <c>IsJson</c> was set), e.g. to see
    /// what produced a job or to spool it again elsewhere. Throws as every call does when the engine has no such job.
    /// </summary>
    public async Task<string> JobScriptAsync(long jid, CancellationToken cancellationToken = default)
    {
        using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/jobs/{jid}/script"),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops (or resumes) handing out new work; running commands go on. The switch survives engine restarts.</summary>
    public Task<EngineStatus> SetDispatchPausedAsync(bool paused, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, paused ? "api/v1/dispatch/pause" : "api/v1/dispatch/resume", null, FurrowJsonContext.Default.EngineStatus, cancellationToken);

    /// <summary>The farm summary: tasks by state, jobs, blades and dispatches a minute over the last hour, as far as the caller may see.</summary>
    public Task<FarmSummary> SummaryAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/summary", null, FurrowJsonContext.Default.FarmSummary, cancellationToken);

    /// <summary>
    /// Opens the live event stream (Server-Sent Events, GET /api/v1/events), replaying what followed
    /// <paramref name="lastEventId"/> when given. The reply's body is read a line at a time for as long as it is wanted;
    /// dispose the reply to close it. The HttpClient's Timeout bounds the whole stream, so give it an infinite one.
    /// </summary>
    public async Task<HttpResponseMessage> OpenEventStreamAsync(string? lastEventId = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/events");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await SendCoreAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
        return response;
    }

    /// <summary>Has the engine read its site config files again now (administrators only); says which it applied and which need a restart.</summary>
    public Task<ConfigReloadReply> ReloadConfigAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/config/reload", null, FurrowJsonContext.Default.ConfigReloadReply, cancellationToken);

    /// <summary>The engine's version, uptime, dispatch switch and queue sizes; also a cheap "is it up" probe.</summary>
    public Task<EngineStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/status", null, FurrowJsonContext.Default.EngineStatus, cancellationToken);

    /// <summary>
    /// For blades: announces a blade process to the engine, which answers with how often to report. It carries the
    /// blade's key when this client holds one, else <see cref="EnrolmentSecret"/>; a key issued in the answer is kept for
    /// the blade's later calls (<see cref="BladeKey"/>).
    /// </summary>
    /// <exception cref="EngineException">401: no key or secret the engine takes; 403: the name is enrolled to another key.</exception>
    public async Task<BladeWelcome> RegisterBladeAsync(BladeRegistration registration, CancellationToken cancellationToken = default)
    {
        var welcome = await SendAsync(HttpMethod.Post, "api/v1/blades/register", JsonContent.Create(registration, FurrowJsonContext.Default.BladeRegistration),
            FurrowJsonContext.Default.BladeWelcome, cancellationToken, blade: registration.Name, enrol: true).ConfigureAwait(false);
        _proposedKeys.TryRemove(registration.Name, out _);
        if (welcome.Key is { } issued)
            _bladeKeys[registration.Name] = issued;
        return welcome;
    }

    /// <summary>
    /// For blades: a long poll for commands to run. The engine holds it up to <see cref="WorkRequest.WaitMs"/> ms and
    /// answers with no assignments when nothing came.
    /// </summary>
    public Task<WorkReply> PollWorkAsync(string blade, WorkRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/blades/{Uri.EscapeDataString(blade)}/work", JsonContent.Create(request, FurrowJsonContext.Default.WorkRequest),
            FurrowJsonContext.Default.WorkReply, cancellationToken, blade: blade);

    /// <summary>Tells the engine this blade process is stopping (<see cref="BladeLeaving"/>).</summary>
    public Task<BladeLeft> LeaveAsync(string blade, BladeLeaving leaving, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/blades/{Uri.EscapeDataString(blade)}/leave", JsonContent.Create(leaving, FurrowJsonContext.Default.BladeLeaving),
            FurrowJsonContext.Default.BladeLeft, cancellationToken, blade: blade);

    /// <summary>Tells the engine the blade process is alive; answered without waiting for other work.</summary>
    public Task<BladeHeartbeat> HeartbeatAsync(string blade, BladeHeartbeat heartbeat, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/blades/{Uri.EscapeDataString(blade)}/heartbeat", JsonContent.Create(heartbeat, FurrowJsonContext.Default.BladeHeartbeat),
            FurrowJsonContext.Default.BladeHeartbeat, cancellationToken, blade: blade);

    /// <summary>
    /// Sends a blade's report. Its body goes with its length (serialized first, not streamed): the engine lets only a
    /// few reports carrying much output in at once and tells them from the rest by that length.
    /// </summary>
    public Task<ReportReply> ReportAsync(string blade, BladeReport report, CancellationToken cancellationToken = default)
    {
        var body = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(report, FurrowJsonContext.Default.BladeReport));
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return SendAsync(HttpMethod.Post, $"api/v1/blades/{Uri.EscapeDataString(blade)}/report", body, FurrowJsonContext.Default.ReportReply, cancellationToken, blade: blade);
    }

    /// <summary>Why a task is not running (`tq why JID TID`): its state and every reason, from the scheduler's own rules.</summary>
    public Task<WhyReply> WhyAsync(long jid, int tid, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/jobs/{jid}/tasks/{tid}/why", null, FurrowJsonContext.Default.WhyReply, cancellationToken);

    /// <summary>Why each unfinished task of a job is not running (`tq why JID`).</summary>
    public Task<List<WhyReply>> WhyJobAsync(long jid, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/jobs/{jid}/why", null, FurrowJsonContext.Default.ListWhyReply, cancellationToken);

    /// <summary>Nimby on (no new work) or off for a blade.</summary>
    public Task<OperationReply> SetNimbyAsync(string blade, bool nimby, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/blades/{Uri.EscapeDataString(blade)}/{(nimby ? "nimby" : "unnimby")}", null,
            FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>
    /// Releases a blade name from the key it was enrolled with (`tq releaseblade`): its machine was rebuilt or its state
    /// directory lost, and the blade now there enrols again with the site's secret.
    /// </summary>
    /// <exception cref="EngineException">404: the name is not enrolled.</exception>
    public Task<OperationReply> ReleaseBladeNameAsync(string blade, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/blades/{Uri.EscapeDataString(blade)}/key", null, FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>Blades that jobs' commands failed on (of one job, or all), and whether each is blocklisted.</summary>
    public Task<List<BlocklistRow>> BlocklistAsync(long? jid, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/blocklist" + Query(("jid", jid?.ToString(System.Globalization.CultureInfo.InvariantCulture))), null,
            FurrowJsonContext.Default.ListBlocklistRow, cancellationToken);

    /// <summary>Clears a job's blocklist for one blade, or every blade when <paramref name="blade"/> is null.</summary>
    public Task<OperationReply> UnblockAsync(long jid, string? blade, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/jobs/{jid}/unblock" + Query(("blade", blade)), null, FurrowJsonContext.Default.OperationReply, cancellationToken);

    /// <summary>
    /// A listing read a page at a time: the engine bounds each reply and links to the next page while rows remain, so this
    /// follows the links until it has <see cref="ListOptions.Limit"/> rows (all when none). Rows that change between two
    /// pages' requests may be missed or repeated.
    /// </summary>
    private async Task<List<T>> ListAsync<T>(string path, (string Key, string? Value)[] filters, ListOptions options, JsonTypeInfo<List<T>> type,
        CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (true)
        {
            using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, path + Query([.. filters, .. options.PagePairs(rows.Count)])),
                HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var page = await JsonSerializer.DeserializeAsync(body, type, cancellationToken).ConfigureAwait(false)
                ?? throw new EngineException((int)response.StatusCode, "the engine sent an empty reply");
            rows.AddRange(page);
            if (!options.WantsMore(response, page.Count, rows.Count))
                return rows;
        }
    }

    // A reply's body in one array of its length, read straight from the connection into it when the engine sent the length
    // (it does for every page). HttpClient's ReadAsByteArrayAsync buffers through a stream of its own and copies that into
    // the array it returns: for the 0.7 MB page of 10,000 jobs, a copy and a zeroed array more per page. A reply cut short
    // fails as HttpClient's own read does (HttpIOException, "the response ended prematurely").
    private static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is not { } length || length > Array.MaxLength)
            return await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var body = GC.AllocateUninitializedArray<byte>((int)length);
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    // blade: a blade's call carries that blade's key, or with none, when it enrols, the enrolment secret.
    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken,
        bool expectContinue = false, string? blade = null, bool enrol = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (expectContinue)
            request.Headers.ExpectContinue = true;
        if (blade is not null)
            AddBladeCredentials(request, blade, enrol);
        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken).ConfigureAwait(false)
            ?? throw new EngineException((int)response.StatusCode, "the engine sent an empty reply");
    }

    // The secret goes only with a registration that enrols (no key, or a key proposed): it is needed once per blade.
    private void AddBladeCredentials(HttpRequestMessage request, string blade, bool enrol)
    {
        var hasKey = _bladeKeys.TryGetValue(blade, out var key);
        if (hasKey)
            request.Headers.TryAddWithoutValidation(BladeCredentialHeaders.Key, key);
        if (enrol && (!hasKey || _proposedKeys.ContainsKey(blade)) && EnrolmentSecret is { } secret)
            request.Headers.TryAddWithoutValidation(BladeCredentialHeaders.EnrolmentSecret, secret);
    }

    /// <summary>Every request goes out here, so every caller meets one kind of "could not reach the engine".</summary>
    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            if (!_settled)
                await SettleTransportAsync(cancellationToken).ConfigureAwait(false);
            if (Token is { } token)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await (_local ?? _http).SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException error)
        {
            // HttpClient lets a connection reset between connect and the first read escape raw (seen while an engine starts).
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"could not reach the engine: {error.Message}", error);
        }
        catch (HttpRequestException error) when (error.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            // Say which certificate check failed and what fixes it, instead of the handshake's own words.
            throw EngineTls.Failed(BaseAddress, _certificateCheck?.LastRefusal, error);
        }
    }

    // Without a token, a client of an engine on this host asks it (once) for its unix socket and sends everything there:
    // the kernel tells the engine who connects, so the engine's own account and root need no login, and nothing that
    // could be replayed elsewhere is ever handed out. A socket that cannot be reached leaves the client on TCP.
    private async Task SettleTransportAsync(CancellationToken cancellationToken)
    {
        await _settling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_settled)
                return;
            if (Token is null && UseLocalSocket && _ownTransport && IsThisHost(BaseAddress))
            {
                using var ask = new HttpRequestMessage(HttpMethod.Get, "api/v1/auth");
                using var response = await _http.SendAsync(ask, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode
                    && await response.Content.ReadFromJsonAsync(FurrowJsonContext.Default.AuthStatus, cancellationToken).ConfigureAwait(false) is
                        { User: null, LocalSocket: { } socket } && File.Exists(socket))
                    _local = await KnownOnSocketAsync(socket, cancellationToken).ConfigureAwait(false);
            }
            _settled = true;
        }
        catch (JsonException)
        {
            // Not a Furrow engine's answer (an older engine has no /api/v1/auth): talk to it as it is.
            _settled = true;
        }
        finally
        {
            _settling.Release();
        }
    }

    // The socket is used only when the engine knows this process's account there; another account (or a socket it may
    // not open) stays on TCP, anonymous, where a login is asked for.
    private async Task<HttpClient?> KnownOnSocketAsync(string socket, CancellationToken cancellationToken)
    {
        var local = LocalSocketClient(socket, BaseAddress);
        try
        {
            using var response = await local.GetAsync("api/v1/auth", cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode
                && await response.Content.ReadFromJsonAsync(FurrowJsonContext.Default.AuthStatus, cancellationToken).ConfigureAwait(false) is { User: not null })
                return local;
        }
        catch (HttpRequestException)
        {
        }
        local.Dispose();
        return null;
    }

    private static bool IsThisHost(Uri address) =>
        address.IsLoopback || (System.Net.IPAddress.TryParse(address.Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    private static HttpClient LocalSocketClient(string socket, Uri engine) =>
        new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,
            ConnectCallback = async (_, ct) =>
            {
                var connection = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                    System.Net.Sockets.ProtocolType.Unspecified);
                try
                {
                    await connection.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct).ConfigureAwait(false);
                    return new System.Net.Sockets.NetworkStream(connection, ownsSocket: true);
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            // The socket speaks plain HTTP (the kernel keeps it to this host); the Host header stays the engine's name.
            BaseAddress = new Uri($"http://{engine.Authority}/"),
        };

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string message;
        try
        {
            message = JsonSerializer.Deserialize(text, FurrowJsonContext.Default.ErrorReply)?.Msg ?? text;
        }
        catch (JsonException)
        {
            message = string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase ?? "error" : text;
        }
        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null) : null;
        throw new EngineException((int)response.StatusCode, message, retryAfter is { Ticks: < 0 } ? TimeSpan.Zero : retryAfter);
    }

    // As Query, keeping an empty value (key=): only a null one is left out.
    private static string QueryOfGiven(params (string Key, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static string Query(params (string Key, string? Value)[] pairs) =>
        QueryOfGiven([.. pairs.Where(p => !string.IsNullOrEmpty(p.Value))]);

    /// <summary>Closes the client's connections, and the <see cref="HttpClient"/> it was given.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _local?.Dispose();
        _settling.Dispose();
    }
}

/// <summary>
/// How a listing is ordered and cut: <see cref="SortBy"/> is columns separated by commas, `-col` descending (Tractor's
/// names and aliases, as in clauses); <see cref="Limit"/> at most that many rows (null or 0: all); <see cref="Offset"/> rows
/// skipped first (a page); <see cref="Archived"/> searches deleted jobs too. The engine answers a page at a time; the
/// client asks for the next until it has the rows wanted.
/// </summary>
public sealed record ListOptions(string? SortBy = null, int? Limit = null, int Offset = 0, bool Archived = false)
{
    /// <summary>Jobs only: include each job's comment (left out by default; it may be megabytes).</summary>
    public bool WithComment { get; init; }

    /// <summary>
    /// Jobs only: each job's <see cref="Protocol.JobRow.Allowed"/>, the operations the caller may run on it with force
    /// (left out by default).
    /// </summary>
    public bool WithAllowed { get; init; }

    /// <summary>The query of the page after <paramref name="read"/> rows: the rows still wanted (0: as many as a reply holds).</summary>
    internal IEnumerable<(string Key, string? Value)> PagePairs(int read)
    {
        var wanted = Limit is > 0 and var limit ? limit - read : 0;
        var offset = Offset + read;
        return
        [
            ("sortby", SortBy), ("limit", wanted.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("offset", offset > 0 ? offset.ToString(System.Globalization.CultureInfo.InvariantCulture) : null), ("archived", Archived ? "1" : null),
            ("comment", WithComment ? "1" : null), ("allowed", WithAllowed ? "1" : null),
        ];
    }

    /// <summary>Whether to ask for another page: the engine linked one (<c>Link: &lt;…&gt;; rel="next"</c>) and rows are still wanted.</summary>
    internal bool WantsMore(HttpResponseMessage response, int pageRows, int read) =>
        pageRows > 0 && (Limit is not > 0 || read < Limit)
        && response.Headers.TryGetValues("Link", out var links) && links.Any(l => l.Contains("rel=\"next\"", StringComparison.Ordinal));
}

/// <summary>A column of a <see cref="ColumnTable"/>: its name as asked for, and its type (int, float, string, time, bool, stringlist, intlist).</summary>
public sealed record ColumnInfo(string Name, string Type);

/// <summary>Rows of chosen columns (<see cref="EngineClient.QueryColumnsAsync"/>): values in <see cref="Columns"/> order.</summary>
public sealed record ColumnTable(string Table, IReadOnlyList<ColumnInfo> Columns, IReadOnlyList<JsonElement[]> Rows);

/// <summary>
/// Who spools a job, from where, and with which overrides. The job-wide values (tractor-spool's --title, --tier,
/// --projects, --svckey, --envkey, --maxactive, --aftertime, --afterjid) replace the script's own when given, as
/// Tractor's spooler applies them; <see cref="Service"/> is ANDed with every service key the script gives.
/// <see cref="Projects"/>, <see cref="EnvKey"/> and <see cref="AfterJids"/> are words separated by spaces or commas;
/// <see cref="After"/> is the script's <c>-after</c> form (<c>MM DD HH:MM</c>, ...). A value given empty is sent so: an
/// empty list empties the script's, an empty single value (title, tier, ...) is refused by the engine, naming it.
/// </summary>
public sealed record SpoolOptions(string User, string? FileName = null, string? Host = null, string? Cwd = null,
    double? Priority = null, bool? Paused = null, bool IsJson = false)
{
    /// <summary>The job's title, over the script's (tractor-spool --title).</summary>
    public string? Title { get; init; }
    /// <summary>The job's dispatching tier, over the script's (--tier).</summary>
    public string? Tier { get; init; }
    /// <summary>The job's projects, words separated by spaces or commas, over the script's (--projects).</summary>
    public string? Projects { get; init; }
    /// <summary>A service key expression ANDed with every key the script gives, and the job's key where it gives none (--svckey).</summary>
    public string? Service { get; init; }
    /// <summary>The job's environment keys, words separated by spaces or commas, over the script's (--envkey).</summary>
    public string? EnvKey { get; init; }
    /// <summary>The most commands of the job active at once, 0 for no limit, over the script's (--maxactive).</summary>
    public int? MaxActive { get; init; }
    /// <summary>No command starts before this time, in the script's <c>-after</c> form (--aftertime).</summary>
    public string? After { get; init; }
    /// <summary>No command starts before these jobs are done: job ids separated by spaces or commas (--afterjid).</summary>
    public string? AfterJids { get; init; }
}
