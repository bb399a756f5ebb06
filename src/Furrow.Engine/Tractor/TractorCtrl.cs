using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `/Tractor/ctrl` (TRACTOR-PROTOCOL §4d): `status` (a ping, and how Tractor's clients check a saved tsid still
/// stands: it needs a login on an engine that needs them), `reconfigure` (the native config reload), `battribute`
/// (nimby and unnimby a blade), `tracer` (tq trace's plain text) and `dbreconnect`. Each needs a login on an engine that
/// needs them; who may reload the config or switch a blade is the native endpoint's to say.
/// </summary>
internal static class TractorCtrl
{
    private static readonly string[] Queries = ["status", "reconfigure", "battribute", "tracer", "dbreconnect"];

    // The files Tractor's clients name in reconfigure's file=.
    private static readonly string[] ConfigFiles = ["limits.config", "crews.config", "blade.config", "tractor.config", "users.config", "db.config"];

    /// <summary>Answers ctrl?q=....</summary>
    public static async Task<TractorReply> HandleAsync(TractorCall call)
    {
        if (!Queries.Contains(call.Q))
            return call.UnknownQuery("ctrl", Queries);
        if (await call.RefuseAnonymousAsync().ConfigureAwait(false) is { } refused)
            return refused;
        return call.Q switch
        {
            "reconfigure" => await ReconfigureAsync(call).ConfigureAwait(false),
            "battribute" => await BladeAttributeAsync(call).ConfigureAwait(false),
            "tracer" => await TraceAsync(call).ConfigureAwait(false),
            "dbreconnect" => await DbReconnectAsync(call).ConfigureAwait(false),
            _ => await StatusAsync(call).ConfigureAwait(false),
        };
    }

    // The native reload reads every site file together (a bad one changes nothing), so file= names the one the reply
    // speaks of first: applied now, changed and so needing a restart, read and unchanged since the start, or not there.
    private static async Task<TractorReply> ReconfigureAsync(TractorCall call)
    {
        var file = call.Get("file") is { Length: > 0 } f ? f : null;
        if (file is not null && !ConfigFiles.Contains(file))
            return TractorReply.Error(StatusCodes.Status400BadRequest,
                $"bad file '{file}': ctrl?q=reconfigure reloads one of {string.Join(", ", ConfigFiles)}, or every one without file=");
        var native = await call.NativeAsync("ReloadConfig", []).ConfigureAwait(false);
        return TractorCall.From(native, root =>
        {
            var applied = Names(root, "applied");
            var read = Names(root, "read");
            var absent = root.TryGetProperty("absent", out var none) ? [.. none.EnumerateArray().Select(e => e.GetString() ?? "")] : new List<string>();
            var notes = root.GetProperty("restartNeeded").EnumerateArray()
                .ToDictionary(n => n.GetProperty("file").GetString() ?? "", n => n.GetProperty("reason").GetString() ?? "");
            var all = $"applied {(applied.Count == 0 ? "none" : string.Join(", ", applied))}" +
                string.Concat(notes.Select(n => $"; {n.Key}: {n.Value}"));
            var message = file is null ? $"config reloaded: {all}"
                : applied.Contains(file) ? $"{file} reloaded and applied ({all})"
                : notes.TryGetValue(file, out var why) ? $"{file}: {why}"
                : read.Contains(file) ? $"{file} read and checked; its settings are those the engine started with ({all})"
                : absent.Contains(file) ? $"{file}: there is no such file in the engine's config directory, so none is in force now ({all})"
                : $"{file}: there is no such file in the engine's config directory, so nothing of it changed ({all})";
            return TractorReply.Ok(message, w =>
            {
                foreach (var property in root.EnumerateObject())
                    property.WriteTo(w);
            });
        });
    }

    private static List<string> Names(JsonElement root, string name) =>
        [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetString() ?? "")];

    // b=NAME/IPADDR, NAME or IPADDR (BladeNameAsync). nimby=1 or 0; Tractor's nimby=USER (only that user's jobs) has no
    // Furrow counterpart.
    private static async Task<TractorReply> BladeAttributeAsync(TractorCall call)
    {
        if (await BladeNameAsync(call, "b").ConfigureAwait(false) is not { } name)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "ctrl?q=battribute needs b=NAME/IPADDR (the blade)");
        var nimby = call.Get("nimby");
        if (nimby is not ("1" or "0"))
            return TractorReply.Error(StatusCodes.Status400BadRequest, nimby is { Length: > 0 }
                ? $"bad nimby '{nimby}': Furrow's nimby is on (nimby=1) or off (nimby=0); it cannot keep a blade for one user's jobs"
                : "ctrl?q=battribute needs nimby=1 or nimby=0 (the only blade attribute it sets)");
        var native = await call.NativeAsync(nimby == "1" ? "NimbyBlade" : "UnnimbyBlade", [], new RouteValueDictionary { ["name"] = name })
            .ConfigureAwait(false);
        return TractorCall.From(native, _ => TractorReply.Ok(nimby == "1" ? $"blade {name} is nimby: it takes no new work" : $"blade {name} takes work again"));
    }

    private static async Task<TractorReply> TraceAsync(TractorCall call)
    {
        if (await BladeNameAsync(call, "t").ConfigureAwait(false) is not { } name)
            return TractorReply.Error(StatusCodes.Status400BadRequest, "ctrl?q=tracer needs t=NAME/IPADDR (the blade)");
        if (call.Get("fmt") is { Length: > 0 } fmt && fmt != "plain")
            return TractorReply.Error(StatusCodes.Status501NotImplemented, $"ctrl?q=tracer answers fmt=plain only, not fmt={fmt}");
        var native = await call.NativeAsync("TraceBlade", [], new RouteValueDictionary { ["name"] = name }).ConfigureAwait(false);
        return native.Ok ? TractorReply.Text(System.Text.Encoding.UTF8.GetString(native.Body)) : TractorReply.Error(native.Status, native.Message);
    }

    // Tractor's clients send NAME/IPADDR, NAME, or an address alone. A blade is found by its name, else by the address the
    // engine saw it register from (the native listing's address), so "10.0.0.5" or "oldname/10.0.0.5" reach the blade
    // there; a value that names neither is passed on as a name, and the native endpoint's 404 names it.
    private static async Task<string?> BladeNameAsync(TractorCall call, string parameter)
    {
        if (call.Get(parameter)?.Trim() is not { Length: > 0 } value)
            return null;
        var parts = value.Split('/', 2, StringSplitOptions.TrimEntries);
        var name = parts[0];
        var address = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : System.Net.IPAddress.TryParse(name, out _) ? name : null;
        if (address is null)
            return name.Length > 0 ? name : null;
        string? byName = null, byAddress = null;
        var refused = await MonitorParams.EachListedAsync(call, "ListBlades", [], blade =>
        {
            var listed = blade.GetProperty("name").GetString();
            if (listed == name)
                byName = listed;
            else if (blade.TryGetProperty("address", out var seen) && seen.GetString() == address)
                byAddress ??= listed;
        }).ConfigureAwait(false);
        return refused is null ? byName ?? byAddress ?? (name.Length > 0 ? name : address) : name.Length > 0 ? name : address;
    }

    // Furrow's store hands out a pooled connection per call, so there is no standing connection to remake: the reply
    // says whether the store answers now (the native status reads its schema version).
    private static async Task<TractorReply> DbReconnectAsync(TractorCall call)
    {
        var native = await call.NativeAsync("EngineStatus", []).ConfigureAwait(false);
        return TractorCall.From(native, root => TractorReply.Ok(
            $"the store answers ({root.GetProperty("store").GetString()}, schema version {root.GetProperty("schemaVersion")}); " +
            "Furrow opens a pooled connection for each call, so there is no connection to remake"));
    }

    // The native status, under Tractor's rc/msg. qlen=1 adds `qlen`, the dispatch queue's length: ready tasks of jobs that
    // may run now (the native status's queuedTasks; its readyTasks also counts paused and waiting jobs' ready tasks). enumq=1 would list the queue itself, which Furrow does not here: it is
    // refused naming the param, with the listing that gives it, rather than answered without it.
    private static async Task<TractorReply> StatusAsync(TractorCall call)
    {
        // Both are switches by the one rule (Core.Text.ValueText.Switch): qlen=true is qlen=1.
        var qlenText = call.Get("qlen");
        var qlen = qlenText is null ? false : Core.Text.ValueText.Switch(qlenText);
        if (qlen is null)
            return TractorReply.Error(StatusCodes.Status400BadRequest,
                $"bad qlen '{TractorCall.Shown(qlenText!)}': ctrl?q=status takes qlen=1 (add the queue's length) or qlen=0 (or another of {Core.Text.ValueText.SwitchWords})");
        var enumqText = call.Get("enumq");
        var enumq = enumqText is null ? false : Core.Text.ValueText.Switch(enumqText);
        if (enumq != false)
            return TractorReply.Error(enumq == true ? StatusCodes.Status501NotImplemented : StatusCodes.Status400BadRequest, enumq == true
                ? "ctrl?q=status does not list the queue (enumq=1): qlen=1 gives its length, and `tq tasks ready` or db?q=tractorselect('task', 'ready', ...) lists it"
                : $"bad enumq '{TractorCall.Shown(enumqText!)}': ctrl?q=status takes enumq=0 only (Furrow does not list the queue here)");
        var native = await call.NativeAsync("EngineStatus", []).ConfigureAwait(false);
        return TractorCall.From(native, root => TractorReply.Ok("engine running", w =>
        {
            foreach (var property in root.EnumerateObject())
                property.WriteTo(w);
            w.WriteString("user", call.User);
            if (qlen == true)
                w.WriteNumber("qlen", root.GetProperty("queuedTasks").GetInt32());
        }));
    }
}
