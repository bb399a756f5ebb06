using Furrow.Client.Protocol;
using Furrow.Engine.Access;
using Furrow.Engine.Api;
using Furrow.Engine.Tractor;
using Furrow.Engine.Blades;
using Furrow.Engine.Dashboard;
using Furrow.Engine.Dispatch;
using Furrow.Engine.Farm;
using Furrow.Engine.Jobs;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine;

/// <summary>Builds and runs the engine: the job database, the scheduler's view rebuilt from it, and the HTTP API.</summary>
public static class EngineHost
{
    /// <summary>Takes the data dir and port, checks the database and returns the engine; it migrates and loads once started.</summary>
    public static async Task<WebApplication> BuildAsync(EngineOptions options, string listenAddress, CancellationToken cancellationToken)
    {
        RequestGuard.CheckListenAddress(listenAddress, options.AllowUnprotectedListen, tlsOn: options.Tls.IsOn, options.RequireAuthentication);
        await PortCheck.EnsureFreeAsync(listenAddress, options.Port, cancellationToken).ConfigureAwait(false);
        var locks = new List<EngineLock> { EngineLock.Acquire(options.DataDirectory, options.Port, options.ConfigDirectory) };
        try
        {
            // Before the database: a TLS setting that cannot serve stops the engine without touching it.
            var certificate = EngineCertificates.Load(options.Tls, options.ConfigDirectory, listenAddress, options.EngineHostNames, DateTimeOffset.UtcNow);
            // The engine starts its database server if it manages one (Tractor's engine does the same).
            var site = JobStores.Site(options.Database, options.DatabaseDirectory);
            await site.StartAsync(forEngine: true, cancellationToken).ConfigureAwait(false);
            // A DBDataDir outside the data directory is claimed too: two engines must never share a database.
            if (!IsInside(options.DatabaseDirectory, options.DataDirectory))
                locks.Add(EngineLock.Acquire(options.DatabaseDirectory, options.Port, options.ConfigDirectory, "database directory"));
            return await BuildLockedAsync(options, listenAddress, certificate, site, locks, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var held in locks)
                held.Dispose();
            throw;
        }
    }

    private static bool IsInside(string path, string directory)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(directory), Path.GetFullPath(path));
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    private static async Task<WebApplication> BuildLockedAsync(EngineOptions options, string listenAddress, EngineCertificate? certificate, ISiteDatabase site,
        List<EngineLock> locks, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            // Uncoloured: `furrow engine` escapes every control character it writes (user text in log lines), colour codes too.
            o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // This category only logs each request's start and end (Information and Debug), but while it is enabled at all
        // ASP.NET Core makes an Activity and a log scope for every request: a cost on every blade poll and report.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // The authentication handler's base class logs every anonymous request twice ("not authenticated", "challenged") at
        // Information: noise on every call an engine refuses, which the reply already explains.
        builder.Logging.AddFilter(typeof(EngineAuthentication).FullName, LogLevel.Warning);
        var host = System.Net.IPAddress.TryParse(listenAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{listenAddress}]" : listenAddress;
        // The unix socket beside the port is where the engine's own account and root are known without a login (LocalPeer).
        // The engine lock is held on the data directory, so a socket file left there is a dead engine's.
        var socketPath = options.LocalSocketPath;
        if (socketPath is not null)
            File.Delete(socketPath);
        if (certificate is null)
            builder.WebHost.UseUrls(socketPath is null ? [$"http://{host}:{options.Port}"] : [$"http://{host}:{options.Port}", $"http://unix:{socketPath}"]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.ScriptLimits.MaxBytes + 1024;
            // Slow clients are cut (tractor.config, SlowClientLimits): a connection trickling its headers, its body or
            // reading its reply a byte at a time would otherwise hold its buffers and a connection slot for as long as it
            // likes. These are server-wide, so the local socket is held to them too.
            var slow = options.SlowClients;
            k.Limits.RequestHeadersTimeout = slow.RequestHeadersTimeout;
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(slow.MinBytesPerSecond, slow.MinRateGrace);
            k.Limits.MinResponseDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(slow.MinBytesPerSecond, slow.MinRateGrace);
            k.Limits.MaxConcurrentConnections = slow.MaxConnections;
            // Longer than the 60 s clients keep an idle pooled connection, so the client, not the engine, closes it and
            // never sends a request on a connection the engine is closing.
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
            // Login tokens and blade keys are short: 32 KB of headers is far more than any client of ours sends.
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            // Tractor's clients put an operation's whole jid list in the URL (TRACTOR-PROTOCOL §1), and tq its clause: room for
            // the 20,000 ids a search clause's list may hold (TractorQuery.MaxListItems), each up to 19 digits with its
            // URL-encoded separator (`%2C%20`), where Kestrel's default of 8 KB is about a thousand.
            k.Limits.MaxRequestLineSize = 512 * 1024;
            // With TLS, https only on the port: a plain http client is told to use https, never served (PlainHttpRefusal).
            if (certificate is not null)
            {
                k.Listen(System.Net.IPAddress.Parse(listenAddress), options.Port, listen =>
                {
                    listen.Use(PlainHttpRefusal.On(options.Port));
                    listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate.Certificate,
                        ServerCertificateChain = certificate.Chain,
                    });
                });
                // The socket stays plain HTTP: it never leaves this host, and the kernel says who is on it.
                if (socketPath is not null)
                    k.ListenUnixSocket(socketPath);
            }
        });

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, FurrowJsonContext.Default));
        services.AddSingleton(Options.Create(options));
        services.AddRateLimiter(BladeEndpoints.LimitOutputReports);
        services.AddRateLimiter(AuthEndpoints.LimitLogins);
        services.AddRateLimiter(limiter => RequestRateLimiting.Configure(limiter, options.RequestRates));
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<LoginSessions>();
        // Sign-in links' codes live in memory only: a restart forgets them, which costs a user no more than a new link.
        services.AddSingleton(new Core.Access.SignInCodes());
        services.AddAntiforgery(BrowserSessions.Configure);
        // Browsers' CSRF tokens are sealed with keys kept beside the job database, so they outlive an engine restart as
        // their sessions do. The keys are files of the engine's account alone (0600 in a 0700 directory), as the blade
        // enrolment secret is; made here so the directory never exists with wider rights.
        var keys = Path.Combine(options.DataDirectory, "data-protection-keys");
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(keys);
        else
            Directory.CreateDirectory(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddDataProtection().SetApplicationName("furrow-engine").PersistKeysToFileSystem(new DirectoryInfo(keys));
        services.AddAuthentication(EngineAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, EngineAuthentication>(EngineAuthentication.SchemeName, null);
        // Every endpoint needs an authenticated caller unless it says otherwise (blades' own calls, login, the OpenAPI document).
        services.AddAuthorization(o => o.FallbackPolicy = options.RequireAuthentication
            ? new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(EngineAuthentication.SchemeName).RequireAuthenticatedUser().Build()
            : null);
        // The API's OpenAPI document, served by the engine at /api/v1/openapi.json (what clients and tools build from).
        services.AddOpenApi("v1", openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Furrow engine API";
            document.Info.Version = EngineVersion.Current;
            document.Info.Description = "What tq, tractor-spool, the blades and pipeline tools call. Errors are RFC 7807 problem documents " +
                "that also carry Tractor's rc and msg. Listings come a page at a time (limit, offset; a Link rel=\"next\" header names " +
                "the next page) and carry a weak ETag: sent back in If-None-Match, it gets 304 Not Modified while nothing they show has changed. " +
                "Calls need a login token (POST /api/v1/auth/login, then `Authorization: Bearer TOKEN`), except /api/v1/auth and blades' own " +
                "calls, which carry their blade key; the engine's own account and root are known without one on its unix socket " +
                "(GET /api/v1/auth names it). A browser may sign in for a session cookie instead of a token (with a password, or with a " +
                "one-time code from POST /api/v1/auth/signin-link that any known caller may ask for); its changes then need " +
                $"the session's CSRF token in the {BrowserSessions.HeaderName} header.";
            ApiDocs.AddSecuritySchemes(document);
            return Task.CompletedTask;
        }).AddOperationTransformer(QueryParameters.DocumentAsync).AddOperationTransformer(ApiDocs.DocumentAsync));
        // A body that cannot be bound (malformed JSON, a missing one) throws, so the middleware below can name the problem.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // Nothing in the engine needs long to stop (blades keep their commands); do not let a stuck client hold it.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new EngineClock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        services.AddSingleton(site);
        services.AddSingleton<IJobStore>(_ => site.OpenStore());
        services.AddSingleton(sp => new TaskLogStore(options.LogDirectory, sp.GetRequiredService<ILogger<TaskLogStore>>()));
        services.AddSingleton(new SiteStateStore(options.DataDirectory));
        services.AddSingleton<TaskLogWriter>();
        services.AddSingleton<Events.DispatchCounter>();
        services.AddSingleton<Events.EventFeed>();
        services.AddSingleton<CommitQueue>();
        services.AddSingleton(new DispatchPolicy(options.DispatchTiers, options.ProjectShares));
        services.AddSingleton<LiveFarm>();
        services.AddSingleton<WorkSignal>();
        services.AddSingleton<FarmLoader>();
        services.AddSingleton<ChangeCommitter>();
        services.AddSingleton<SpoolService>();
        services.AddSingleton<SpoolAdmission>();
        services.AddSingleton<WorkDispatcher>();
        services.AddSingleton<ReportProcessor>();
        services.AddSingleton<TaskOperations>();
        services.AddSingleton<BladeRegistry>();
        services.AddSingleton<BladeHeartbeats>();
        services.AddSingleton(EnrolmentSecret.LoadOrCreate(options.EnrolmentSecretPath));
        services.AddSingleton<BladeKeys>();
        services.AddSingleton<QueueRows>();
        services.AddSingleton<Tractor.NativeCalls>();
        services.AddSingleton<Tractor.AnonymousSessions>();
        services.AddSingleton<Tractor.TractorChallenges>();
        services.AddSingleton<ListingETags>();
        services.AddSingleton<DispatchSwitch>();
        services.AddSingleton<StoreRecovery>();
        services.AddSingleton<EngineReadiness>();
        services.AddHostedService<EngineInitializer>();
        services.AddHostedService<BladeSweeper>();
        services.AddHostedService<StartTimeReleaser>();
        services.AddHostedService<ArchivePurger>();
        services.AddHostedService<MemoryReturner>();
        services.AddHostedService<Events.BladeFiguresWatcher>();

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Furrow.Engine");
        foreach (var stale in locks.Select(l => l.TookOverFrom).OfType<EngineLockHolder>())
            EngineLog.StaleLockTaken(logger, stale.ToString());
        if (certificate is not null)
            TlsLog.Serving(logger, certificate, options.Port);
        // A users.config others may read, or an account or crew file that does not parse, stops the engine here, naming it.
        app.Services.GetRequiredService<UserAccounts>();
        var store = app.Services.GetRequiredService<IJobStore>();
        // A database newer than this build is refused before listening; migrating up happens after, with requests held.
        await store.EnsureNotNewerAsync(cancellationToken).ConfigureAwait(false);
        var readiness = app.Services.GetRequiredService<EngineReadiness>();
        var recovery = app.Services.GetRequiredService<StoreRecovery>();

        // An error the framework answers itself (no such endpoint, wrong method, wrong content type) gets a problem body
        // naming what was asked, never an empty one.
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            await ApiResults.Error(http.Response.StatusCode, http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such endpoint: {http.Request.Method} {http.Request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}",
                StatusCodes.Status415UnsupportedMediaType => ApiResults.NotJsonMessage(http.Request),
                var code => $"{http.Request.Method} {http.Request.Path} failed with status {code}",
            }).ExecuteAsync(http).ConfigureAwait(false);
        });
        // No reply is to be read as anything but what it says it is: a task log (bytes a user's command printed) opened
        // in a browser is never taken for a page.
        app.Use((context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            // Tractor's clients read the engine's version from the Server header of every reply, refusals included.
            if (TractorRequests.IsTractor(context.Request))
                context.Response.Headers.Server = TractorEndpoints.ServerHeader;
            return next(context);
        });
        var allowedHosts = RequestGuard.AllowedHosts(listenAddress, options.EngineHostNames);
        UseRefusal(app, context => ValueTask.FromResult(RequestGuard.Check(context.Request, allowedHosts)));
        app.Use(async (context, next) =>
        {
            try
            {
                await readiness.WaitAsync(context.RequestAborted).ConfigureAwait(false);
                await recovery.EnsureFreshAsync(context.RequestAborted).ConfigureAwait(false);
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException error) when (!context.Response.HasStarted)
            {
                // A body that is not the JSON an endpoint takes: say why, as the parser saw it (line, position).
                await ApiResults.Error(error.StatusCode, ApiResults.BindingMessage(context.Request, error)).ExecuteAsync(context).ConfigureAwait(false);
            }
            // A search the database refuses (a pattern PostgreSQL does not take, a column it does not keep) or gives up on.
            catch (Storage.Queries.QueryRejectedException rejected) when (!context.Response.HasStarted)
            {
                await ApiResults.BadRequest($"bad query: {rejected.Message}").ExecuteAsync(context).ConfigureAwait(false);
            }
            // A like pattern that took too long on one value (matched in memory): the clause has no answer, as the store says too.
            catch (Core.Query.QueryMatchTimeoutException slow) when (!context.Response.HasStarted)
            {
                await ApiResults.BadRequest($"bad query: {slow.Message}").ExecuteAsync(context).ConfigureAwait(false);
            }
            catch (Storage.Queries.QueryTimeoutException timeout) when (!context.Response.HasStarted)
            {
                await ApiResults.Unavailable(timeout.Message).ExecuteAsync(context).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException error) when (!context.Response.HasStarted)
            {
                await ApiResults.BadRequest(ApiResults.NotTheJsonMessage(context.Request, error)).ExecuteAsync(context).ConfigureAwait(false);
            }
            catch (StoreUnavailableException error) when (!context.Response.HasStarted)
            {
                // Whatever failed, the next request first checks the database is back and reloads from it.
                if (error.IsTransient)
                    recovery.MarkSuspect();
                await ApiResults.Unavailable(error.Message).ExecuteAsync(context).ConfigureAwait(false);
            }
        });
        // Tractor's URLs take parameters in a form body too, and name their user their own ways: made the native API's before authentication.
        UseRefusal(app, Tractor.TractorRequests.NormaliseAsync);
        // Routing's own refusals (a method or Content-Type no endpoint of the path takes) come as endpoints that are not
        // routes; they are answered as they are (405, 415), before a login is asked for: an anonymous caller sending
        // text/plain to the login endpoint is told its body is wrong, not that it must log in first.
        app.Use((context, next) => context.GetEndpoint() is { RequestDelegate: { } refuse } endpoint and not RouteEndpoint
            ? refuse(context) : next(context));
        app.Use(async (context, next) =>
        {
            if (!await DashboardEndpoints.NoSuchPageAsync(context).ConfigureAwait(false))
                await next(context).ConfigureAwait(false);
        });
        app.UseAuthentication();
        // A browser sends its cookie by itself: a change asked with it must prove it came from a page that was given the token.
        var antiforgery = app.Services.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>();
        UseRefusal(app, async context => await BrowserSessions.CheckAsync(context, antiforgery).ConfigureAwait(false) is { } refusal
            ? (StatusCodes.Status403Forbidden, refusal) : null);
        app.UseAuthorization();
        UseRefusal(app, context => ValueTask.FromResult(Caller.Settle(context) ?? LoginRefusal(context)));
        app.UseRateLimiter();
        var v1 = app.MapGroup("/api/v1");
        v1.AddEndpointFilter(QueryParameters.RefuseUnknownAsync);
        // Whatever needs a caller says so in the OpenAPI document: 401 without a login, 403 when the caller may not; and
        // every call may be answered 429.
        ((Microsoft.AspNetCore.Builder.IEndpointConventionBuilder)v1).Finally(endpoint =>
        {
            if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any())
            {
                foreach (var status in new[] { StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden })
                    endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ErrorReply), [ApiResults.ProblemJson]));
            }
            if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Any(m => m.StatusCode == StatusCodes.Status429TooManyRequests))
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(ErrorReply), [ApiResults.ProblemJson]));
        });
        v1.MapAuthApi();
        v1.MapQueueApi();
        v1.MapBladeApi();
        v1.MapColumnQueryApi();
        v1.MapLiveApi();
        app.MapOpenApi("/api/{documentName}/openapi.json").AllowAnonymous();
        app.MapDashboard();
        app.MapTractor();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            EngineLog.Listening(logger, EngineVersion.Current, options.Port, options.DataDirectory);
            if (options.IgnoredSettings.Count > 0)
                EngineLog.SettingsIgnored(logger, string.Join("; ", options.IgnoredSettings));
            if (options.LocalSocketPath is null)
                EngineLog.NoLocalSocket(logger, Path.Combine(options.DataDirectory, "engine.sock"));
        });
        if (app.Services.GetRequiredService<EnrolmentSecret>() is { Created: true } secret)
            BladeKeyLog.SecretCreated(logger, secret.Path);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // As Tractor's engine: stop the database server at shutdown unless db.config says DBShutdown false.
            if (options.Database.DBShutdown)
                site.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            foreach (var held in locks)
                held.Dispose();
        });
        return app;
    }

    // A check made on every request before its endpoint: a refusal (status, why) is answered as a problem document and
    // the request goes no further.
    private static void UseRefusal(WebApplication app, Func<HttpContext, ValueTask<(int Status, string Reason)?>> check) =>
        app.Use(async (context, next) =>
        {
            if (await check(context).ConfigureAwait(false) is var (status, reason))
            {
                await ApiResults.Error(status, reason).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });

    // crews.config's ValidLogins and BannedLogins hold for every call, a token made before the file changed included; the
    // engine's own account and root on its socket are always let in, so a site cannot lock itself out.
    private static (int Status, string Reason)? LoginRefusal(HttpContext context)
    {
        var caller = context.User.Identity is { IsAuthenticated: true } identity ? identity.AuthenticationType == EngineAuthentication.ByLocalSocket ? null : identity.Name
            : Caller.User(context);
        return caller is not null && context.RequestServices.GetRequiredService<UserAccounts>().Crews.LoginRefusal(caller) is { } refusal
            ? (StatusCodes.Status403Forbidden, $"calls as {caller} are refused: {refusal}")
            : null;
    }
}
