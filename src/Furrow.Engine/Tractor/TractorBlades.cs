using System.Text.Json;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `monitor?q=blades` (TRACTOR-PROTOCOL §5a): `{"blades": [ROW, ...]}`, one row per blade the native ListBlades gives,
/// with Tractor's keys: hnm (name), addr (the IP address it registered from; its host name until it has registered with
/// this engine process), profile ("" when none matched), nimby ("1"
/// or ""), ns (slots), siu (slots in use), as (slots free for new work: 0 while nimby or not up), numcmd and owners
/// (commands running there and their owners, from the native invocations; owners null when none), note (why it takes
/// no work, else ""), t (last contact) and t0 (registered), in epoch seconds, mem and disk (free GB), ncpu, cpu (the
/// 1-minute load average), vers, osname, osversion. Furrow has no value for lp (its blades listen on no port), udi,
/// provides (the service keys a blade.config profile provides are not in the native listing), gpulabel and bladeid:
/// those are null, gpulabel "".
/// </summary>
internal static class TractorBlades
{
    private static readonly string[] RunColumns = ["blade", "owner"];

    /// <summary>Answers monitor?q=blades.</summary>
    public static async Task<TractorReply> BladesAsync(TractorCall call)
    {
        if (MonitorParams.RefuseFilter(call) is { } refused)
            return refused;
        var running = new Dictionary<string, (int Commands, SortedSet<string> Owners)>(StringComparer.Ordinal);
        var error = await MonitorParams.EachRowAsync(call, "invocations", RunColumns, "current and not stoptime", row =>
        {
            if (row["blade"].GetString() is not { } blade)
                return;
            var (commands, owners) = running.TryGetValue(blade, out var seen) ? seen : (0, new SortedSet<string>(StringComparer.Ordinal));
            if (row["owner"].GetString() is { } owner)
                owners.Add(owner);
            running[blade] = (commands + 1, owners);
        }).ConfigureAwait(false);
        if (error is not null)
            return error;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Api.TractorRowWriter.Encoder }))
        {
            w.WriteStartObject();
            w.WriteStartArray("blades");
            error = await MonitorParams.EachListedAsync(call, "ListBlades", [], blade => WriteBlade(w, blade, running)).ConfigureAwait(false);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return error ?? new TractorReply(200, buffer.ToArray());
    }

    private static void WriteBlade(Utf8JsonWriter w, JsonElement blade, Dictionary<string, (int Commands, SortedSet<string> Owners)> running)
    {
        var name = blade.GetProperty("name").GetString()!;
        var slots = blade.GetProperty("slots").GetInt32();
        var inUse = blade.GetProperty("slotsInUse").GetInt32();
        var status = blade.GetProperty("status").GetString();
        var nimby = blade.TryGetProperty("nimby", out var n) && n.ValueKind == JsonValueKind.True;
        var figures = blade.TryGetProperty("figures", out var f) && f.ValueKind == JsonValueKind.Object ? f : (JsonElement?)null;
        running.TryGetValue(name, out var runs);
        var free = status == "up" && !nimby ? Math.Max(0, slots - inUse) : 0;

        w.WriteStartObject();
        w.WriteString("hnm", name);
        w.WriteString("addr", blade.TryGetProperty("address", out var address) && address.GetString() is { } seen ? seen : blade.GetProperty("host").GetString());
        w.WriteString("profile", blade.TryGetProperty("profile", out var p) ? p.GetString() : "");
        w.WriteString("nimby", nimby ? "1" : "");
        w.WriteNumber("as", free);
        w.WriteNumber("ns", slots);
        w.WriteNumber("siu", inUse);
        w.WriteNumber("numcmd", runs.Commands);
        if (runs.Owners is { Count: > 0 } owners)
        {
            w.WriteStartArray("owners");
            foreach (var owner in owners)
                w.WriteStringValue(owner);
            w.WriteEndArray();
        }
        else
        {
            w.WriteNull("owners");
        }
        w.WriteNull("provides");
        w.WriteString("note", status != "up" ? $"blade {status}" : nimby ? "nimby" : free == 0 ? $"no free slots ({slots})" : "");
        w.WriteNumber("t", blade.GetProperty("lastContact").GetInt64() / 1000);
        w.WriteNumber("t0", blade.GetProperty("registeredTime").GetInt64() / 1000);
        w.WriteNull("lp");
        Figure(w, "mem", figures, "freeMemoryGB");
        Figure(w, "disk", figures, "freeDiskGB");
        Figure(w, "ncpu", figures, "cores");
        Figure(w, "cpu", figures, "load");
        w.WriteNull("udi");
        w.WriteString("vers", blade.GetProperty("version").GetString());
        Figure(w, "osname", figures, "platform");
        Figure(w, "osversion", figures, "osInfo");
        w.WriteString("gpulabel", "");
        w.WriteNull("bladeid");
        w.WriteEndObject();
    }

    // A figure the blade reported, null until it has reported any.
    private static void Figure(Utf8JsonWriter w, string key, JsonElement? figures, string name)
    {
        w.WritePropertyName(key);
        if (figures is { } f && f.TryGetProperty(name, out var value))
            value.WriteTo(w);
        else
            w.WriteNullValue();
    }
}
