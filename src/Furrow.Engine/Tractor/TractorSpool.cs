using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Tractor;

/// <summary>
/// Spooling over Tractor's URLs (TRACTOR-PROTOCOL §3): `spool` with an alfred script (the 2.x author API's
/// `job.spool()`, tractor-spool's 1.x fallback, Tractor 1.x's header form) and `jspool` with a JSON job. Both run the
/// native spool (the same parser, limits, admission and crews.config's spool rules) and answer
/// `{"rc": 0, "msg": ..., "jid": N}`, which is what the author API, tractor-spool and pipeline scripts read. The native
/// spool always parses the whole script before it answers, so `blocking=spool` is how every spool behaves.
/// </summary>
internal static class TractorSpool
{
    /// <summary>`/Tractor/spool`: an alfred script, or the JSON job form when its content type says JSON.</summary>
    public static Task<TractorReply> SpoolAsync(TractorCall call)
    {
        if (call.Get("expanded") is { Length: > 0 } and not "0")
            return Task.FromResult(TractorReply.Error(StatusCodes.Status501NotImplemented,
                "spool?expanded=1 is a Tractor blade delivering an expand command's output; Furrow's blades deliver it themselves (`furrow blade`)"));
        if (Refusal(call, "spool") is { } bad)
            return Task.FromResult(bad);
        var json = call.Context.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true || call.Get("format") is "JSON" or "json";
        return SpoolAsync(call, json);
    }

    /// <summary>
    /// `/Tractor/jspool`: Tractor's JSON job form, which tractor-spool 2.x writes (<see cref="Core.Scripts.TractorJobJson"/>),
    /// or Furrow's. A body in neither (JSON that is no object, or keys of neither form) is answered 501 with why:
    /// tractor-spool then sends the alfred text to `spool` by itself (§3b). A body in either form with a bad value is
    /// answered 400 with the error, as the native spool does (the forms are told apart by their top-level keys).
    /// </summary>
    public static async Task<TractorReply> JsonSpoolAsync(TractorCall call)
    {
        if (Refusal(call, "jspool") is { } bad)
            return bad;
        var request = call.Context.Request;
        // Kept so a refused body can be looked at again after the native spool has read it.
        request.EnableBuffering();
        var reply = await SpoolAsync(call, json: true).ConfigureAwait(false);
        if (reply.Status != StatusCodes.Status400BadRequest)
            return reply;
        request.Body.Position = 0;
        // The top-level keys decide, and they come first enough: a prefix spares reading a large body twice. Its bytes are
        // text by the one rule for scripts (a byte-order mark decides: a UTF-16 job is judged as the spool read it).
        var prefix = new byte[1 << 20];
        var read = await request.Body.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, call.Context.RequestAborted).ConfigureAwait(false);
        var start = Core.Scripts.ScriptText.Decode(prefix.AsSpan(0, read));
        // An empty body is no alfred script either: its 400 stands, rather than a 501 that sends tractor-spool to spool it again.
        return string.IsNullOrWhiteSpace(start) || Core.Scripts.JobJson.IsJobForm(start) || Core.Scripts.TractorJobJson.IsTractorForm(start)
            ? reply
            : TractorReply.Error(StatusCodes.Status501NotImplemented,
                $"this is a job in neither Tractor's JSON job form nor Furrow's ({reply.Message}): " +
                "spool the alfred script to /Tractor/spool (tractor-spool does so by itself after this reply)");
    }

    /// <summary>
    /// Why a spool's parameters cannot be taken as sent, or null: a q= other than newjob (501), a spvers= other than 1.x
    /// or 2.x (501), a blocking= other than spool (400), a paused= other than 0, 1, true or false (400), or jobcwd= and cwd=
    /// (or X-Tractor-Dir) that disagree (400).
    /// </summary>
    private static TractorReply? Refusal(TractorCall call, string verb)
    {
        if (call.Get("q") is { } q && q != "newjob")
            return TractorReply.Error(StatusCodes.Status501NotImplemented,
                $"Furrow does not serve the Tractor query {verb}?q={TractorCall.Shown(q)}: {verb} takes q=newjob or no q= (queue?q=jretire and the other job operations are queue's)");
        foreach (var same in TractorParameters.SpoolOverrides.GroupBy(o => o.Value))
        {
            var given = same.Where(o => call.Get(o.Key) is not null).Select(o => o.Key).ToList();
            if (given.Select(call.Get).Distinct().Count() > 1)
                return TractorReply.Error(StatusCodes.Status400BadRequest,
                    $"{string.Join(" and ", given.Select(g => g + "="))} both give the job's {same.Key} and disagree: give one of them");
        }
        if (call.Get("spvers") is { } spvers && !System.Text.RegularExpressions.Regex.IsMatch(spvers, @"^[12](\.[0-9]+){0,2}$"))
            return TractorReply.Error(StatusCodes.Status501NotImplemented,
                $"Furrow does not speak spool protocol version spvers={TractorCall.Shown(spvers)} (not supported): it speaks Tractor's 1.x and 2.x (spvers=2.0)");
        if (call.Get("blocking") is { } blocking && blocking != "spool")
            return TractorReply.Error(StatusCodes.Status400BadRequest,
                $"bad blocking '{TractorCall.Shown(blocking)}': {verb} takes blocking=spool (how every spool behaves: the reply comes once the job is committed)");
        if (call.Get("format") is { } format && format is not ("JSON" or "json"))
            return TractorReply.Error(StatusCodes.Status400BadRequest, $"bad format '{TractorCall.Shown(format)}': {verb} takes format=JSON (a JSON job) or no format= (an alfred script)");
        // The native spool reads these by the same rule; read here too, its refusals name the parameters as Tractor's
        // clients sent them (jtier=, afterjid=).
        _ = Core.Scripts.JobWideValues.Read(key => TractorParameters.SpoolOverrides.Where(o => o.Value == key).Select(o => o.Key).Append(key)
            .FirstOrDefault(name => call.Get(name) is not null) is { } name ? (name, call.Get(name)!) : null, out var badValue);
        if (badValue is not null)
            return TractorReply.Error(StatusCodes.Status400BadRequest, badValue);
        if (call.Get("hnm") is { } hnm && Core.Scripts.SpoolPlace.HostProblem(hnm) is { } badHost)
            return TractorReply.Error(StatusCodes.Status400BadRequest, $"hnm '{TractorCall.Shown(hnm)}' is no host name: {badHost}");
        if ((call.Get("jobcwd") ?? call.Get("cwd")) is { } whole && !Core.Scripts.SpoolPlace.IsWholeDirectory(whole))
            return TractorReply.Error(StatusCodes.Status400BadRequest, $"{(call.Get("jobcwd") is null ? "cwd" : "jobcwd")} '{TractorCall.Shown(whole)}' is " +
                $"{(whole.Length == 0 ? "empty" : "a relative directory")}: give it whole (/show/shot010), as the blades start the job's commands there");
        if (call.Get("jobcwd") is { } jobcwd && call.Get("cwd") is { } cwd && jobcwd != cwd)
            return TractorReply.Error(StatusCodes.Status400BadRequest, $"jobcwd= (or the X-Tractor-Dir header) says '{TractorCall.Shown(jobcwd)}' and " +
                $"cwd= says '{TractorCall.Shown(cwd)}': give one of them, or both the same");
        return null;
    }

    private static async Task<TractorReply> SpoolAsync(TractorCall call, bool json)
    {
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        var file = call.Get("jobFile") is { Length: > 0 } f && f != "no filename specified" ? f : null;
        var query = new List<KeyValuePair<string, string?>>();
        // An empty value is passed on to be refused (Refusal did), never dropped as if not given.
        void Add(string key, string? value)
        {
            if (value is not null && !query.Exists(q => q.Key == key))
                query.Add(KeyValuePair.Create<string, string?>(key, value));
        }
        Add("file", file);
        Add("host", call.Get("hnm"));
        // tractor-spool 2.0 and the older author API send jobcwd=, the newer one cwd= (§3a).
        Add("cwd", call.Get("jobcwd") ?? call.Get("cwd"));
        Add("priority", call.Get("priority"));
        Add("paused", call.Get("paused"));
        // tractor-spool's job-wide overrides (§3b), as the native spool takes them.
        foreach (var (tractor, nativeName) in TractorParameters.SpoolOverrides)
            Add(nativeName, call.Get(tractor));
        if (json)
            Add("format", "json");
        var request = call.Context.Request;
        var native = await call.NativeAsync("SpoolJob", query,
            body: (json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8", request.Body, request.ContentLength)).ConfigureAwait(false);
        return TractorCall.From(native, root =>
        {
            var jid = root.GetProperty("jid").GetInt64();
            return TractorReply.Ok(root.GetProperty("msg").GetString() ?? $"job {jid} spooled", w => w.WriteNumber("jid", jid));
        });
    }
}
