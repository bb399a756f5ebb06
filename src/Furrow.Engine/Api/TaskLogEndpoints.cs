using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Furrow.Engine.Logs;
using Furrow.Storage;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Api;

/// <summary>A task's log, as stored (bytes) or decoded for display; mapped in the tasks group (<see cref="QueueEndpoints"/>).</summary>
internal static class TaskLogEndpoints
{
    // The log's bytes as stored: commands print in any encoding, so no charset is claimed (/log/text decodes). A Range
    // header (`bytes=N-`) gives what was appended since byte N: how a viewer follows a running task's log.
    internal static async Task<IResult> ReadLogAsync(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm, IJobStore store,
        CancellationToken ct) =>
        await QueueEndpoints.HiddenAsync(context, jid, store, ct) ? QueueEndpoints.NoJob(jid)
        : LogPath(jid, tid, context, logs, farm) is { } path ? TypedResults.PhysicalFile(path, "application/octet-stream", enableRangeProcessing: true)
        : await NoLogAsync(jid, tid, store, ct);

    internal static async Task<IResult> ReadLogTextAsync(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm, IJobStore store,
        CancellationToken ct)
    {
        var name = context.Request.Query["encoding"].FirstOrDefault();
        if (TaskLogDecoder.EncodingNamed(name) is not { } encoding)
            return ApiResults.BadRequest($"unknown encoding '{name}': try utf-8, latin1 or a code page such as windows-1251");
        // A job the caller may not see answers as one that does not exist.
        if (await QueueEndpoints.HiddenAsync(context, jid, store, ct))
            return QueueEndpoints.NoJob(jid);
        if (LogPath(jid, tid, context, logs, farm) is not { } path)
            return await NoLogAsync(jid, tid, store, ct);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var (text, lossless) = TaskLogDecoder.Decode(bytes, encoding);
        return TypedResults.Json(new TaskLogText(jid, tid, encoding.WebName, bytes.Length, lossless, text),
            FurrowJsonContext.Default.TaskLogText);
    }

    private static string? LogPath(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm)
    {
        // owner= (Tractor's URLs carry it) only says where to look first: a wrong one must not hide a log that is there.
        var owner = farm.OwnerOf(jid) ?? context.Request.Query["owner"].FirstOrDefault();
        return logs.ExistingPathOf(owner, jid, tid) ?? FindLog(logs.Root, jid, tid);
    }

    // Why there is no log, in the order a user would check: the job, then the task, then whether it has run.
    private static async Task<IResult> NoLogAsync(long jid, int tid, IJobStore store, CancellationToken ct)
    {
        var tasks = await store.ListTasksAsync(jid, ct);
        if (tasks.Count == 0)
            return QueueEndpoints.NoJob(jid);
        if (tasks.All(t => t.Tid != tid))
            return ApiResults.NotFound($"job {jid} has no task {tid}: its {tasks.Count} task(s) are numbered {tasks.Min(t => t.Tid)} to {tasks.Max(t => t.Tid)} (tq tasks jid={jid})");
        return ApiResults.NotFound($"no log for job {jid} task {tid}: the task has not run yet");
    }

    // Logs sit under the owner's name; when the caller does not say whose job it is, look in every owner's folder.
    private static string? FindLog(string root, long jid, int tid) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(d => Path.Combine(d, $"J{jid}", $"T{tid}.log")).FirstOrDefault(File.Exists)
            : null;
}
