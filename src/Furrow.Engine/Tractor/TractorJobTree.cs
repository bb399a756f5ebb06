using System.Globalization;
using System.Text.Json;

namespace Furrow.Engine.Tractor;

/// <summary>
/// `monitor?q=jtree&amp;jid=N` (TRACTOR-PROTOCOL §5c):
/// `{"users": {OWNER: {"J&lt;jid&gt;": {"children": [NODE, ...], "data": JOBINFO}}}}`, each task a node
/// `{"#": "T&lt;tid&gt;", "children": [...], "data": {"tid", "title", "state", "cids", ...}}` under its parent. A task an
/// alfred Instance names has two parents in Tractor, and is listed under its first, the others naming it in their
/// "ants": Furrow keeps the Instance on the task it appears under (its InstanceOf), so those tids are that task's ants.
/// The job's cleanup and postscript commands are a task of Furrow's ("job cleanup", at the top of the job with no ants:
/// it waits for the top tasks without being their Instance), listed as one. Tasks, commands and services are each read in one pass of the native listings, a page at a time, so
/// a job of 10,000 tasks costs three reads and one walk of the tree.
/// </summary>
internal static class TractorJobTree
{
    private sealed class Node(int tid, int parent)
    {
        public int Tid { get; } = tid;
        public int Parent { get; } = parent;
        public string Title { get; set; } = "";
        public string? Id { get; set; }
        public string State { get; set; } = "blocked";
        public bool HasLog { get; set; }
        public int? Progress { get; set; }
        public string? Blade { get; set; }
        public bool SerialSubtasks { get; set; }
        public long StateTime { get; set; }
        public List<int>? InstanceOf { get; set; }
        public string? Service { get; set; }
        public List<long> Cids { get; } = [];
        public List<Node> Children { get; } = [];
    }

    private static readonly string[] CommandColumns = ["tid", "cid"];
    private static readonly string[] TaskColumns = ["tid", "service"];

    /// <summary>Answers monitor?q=jtree&amp;jid=N.</summary>
    public static async Task<TractorReply> JobTreeAsync(TractorCall call)
    {
        if (MonitorParams.Id(call, "jid", out var jid) is { } bad)
            return bad;
        var (job, error) = await JobInfo.ReadAsync(call, jid).ConfigureAwait(false);
        if (error is not null)
            return error;
        var nodes = new Dictionary<int, Node>();
        var order = new List<Node>();
        var jidText = jid.ToString(CultureInfo.InvariantCulture);
        error = await MonitorParams.EachListedAsync(call, "ListTasks", [new("jid", jidText)], row =>
        {
            var node = new Node(row.GetProperty("tid").GetInt32(), row.GetProperty("parentTid").GetInt32())
            {
                Title = row.GetProperty("title").GetString() ?? "",
                Id = row.TryGetProperty("id", out var id) ? id.GetString() : null,
                State = row.GetProperty("state").GetString() ?? "blocked",
                HasLog = row.GetProperty("hasLog").GetBoolean(),
                Progress = row.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null,
                Blade = row.TryGetProperty("blade", out var b) ? b.GetString() : null,
                SerialSubtasks = row.TryGetProperty("serialSubtasks", out var s) && s.ValueKind == JsonValueKind.True,
                StateTime = row.GetProperty("stateTime").GetInt64(),
                InstanceOf = row.TryGetProperty("instanceOf", out var i) && i.ValueKind == JsonValueKind.Array
                    ? i.EnumerateArray().Select(t => t.GetInt32()).ToList() : null,
            };
            nodes[node.Tid] = node;
            order.Add(node);
        }).ConfigureAwait(false);
        error ??= await MonitorParams.EachRowAsync(call, "commands", CommandColumns, $"jid={jidText}", row =>
        {
            if (nodes.TryGetValue(row["tid"].GetInt32(), out var node))
                node.Cids.Add(row["cid"].GetInt64());
        }).ConfigureAwait(false);
        error ??= await MonitorParams.EachRowAsync(call, "tasks", TaskColumns, $"jid={jidText}", row =>
        {
            if (row["service"].GetString() is { Length: > 0 } service && nodes.TryGetValue(row["tid"].GetInt32(), out var node))
                node.Service = service;
        }).ConfigureAwait(false);
        if (error is not null)
            return error;

        var roots = new List<Node>();
        foreach (var node in order)
            (nodes.GetValueOrDefault(node.Parent)?.Children ?? roots).Add(node);

        var now = call.Service<TimeProvider>().GetUtcNow();
        // Each level of tasks is two of JSON (a node and its children): a deep chain of tasks is deeper than the default allows.
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 2 * (order.Count + 8), Encoder = Api.TractorRowWriter.Encoder }))
        {
            w.WriteStartObject();
            w.WriteStartObject("users");
            w.WriteStartObject(job!.Owner);
            w.WriteStartObject("J" + jidText);
            WriteChildren(w, roots);
            w.WritePropertyName("data");
            job.Write(w, now);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return new TractorReply(200, buffer.ToArray());
    }

    private static void WriteChildren(Utf8JsonWriter w, List<Node> children)
    {
        w.WriteStartArray("children");
        foreach (var child in children)
            WriteNode(w, child);
        w.WriteEndArray();
    }

    private static void WriteNode(Utf8JsonWriter w, Node node)
    {
        w.WriteStartObject();
        w.WriteString("#", "T" + node.Tid.ToString(CultureInfo.InvariantCulture));
        WriteChildren(w, node.Children);
        w.WriteStartObject("data");
        w.WriteNumber("tid", node.Tid);
        w.WriteString("title", node.Title);
        w.WriteString("state", State(node));
        w.WriteStartArray("cids");
        foreach (var cid in node.Cids)
            w.WriteNumberValue(cid);
        w.WriteEndArray();
        if (node.Id is { } id)
            w.WriteString("id", id);
        if (node.InstanceOf is { Count: > 0 } ants)
        {
            w.WriteStartArray("ants");
            foreach (var tid in ants)
                w.WriteNumberValue(tid);
            w.WriteEndArray();
        }
        if (node.Service is { } service)
            w.WriteString("service", service);
        if (node.SerialSubtasks)
            w.WriteNumber("serialsubtasks", 1);
        w.WriteNumber("statetime", node.StateTime / 1000);
        if (node.Blade is { } blade)
            w.WriteString("blade", blade);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // "+" when the task has a log, then A active, B blocked or ready, D done, E error; a running task's progress after a comma.
    private static string State(Node node)
    {
        var letter = node.State switch
        {
            "active" => 'A',
            "done" => 'D',
            "error" => 'E',
            _ => 'B',
        };
        var state = $"{(node.HasLog ? '+' : '-')}{letter}";
        return letter == 'A' && node.Progress is { } progress ? state + "," + progress.ToString(CultureInfo.InvariantCulture) : state;
    }
}
