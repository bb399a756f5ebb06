using Furrow.Client.Protocol;
using Furrow.Engine.Farm;
using Furrow.Engine.Logs;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Api;

/// <summary>A task's log, as stored (bytes) or decoded for display; mapped in the tasks group (<see cref="QueueEndpoints"/>).</summary>
internal static class TaskLogEndpoints
{
    // The log's bytes as stored: commands print in any encoding, so no charset is claimed (/log/text decodes).
    internal static IResult ReadLog(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm) =>
        LogPath(jid, tid, context, logs, farm) is { } path
            ? TypedResults.PhysicalFile(path, "application/octet-stream")
            : NoLog(jid, tid);

    internal static async Task<IResult> ReadLogTextAsync(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm, CancellationToken ct)
    {
        var name = context.Request.Query["encoding"].FirstOrDefault();
        if (TaskLogDecoder.EncodingNamed(name) is not { } encoding)
            return ApiResults.BadRequest($"unknown encoding '{name}': try utf-8, latin1 or a code page such as windows-1251");
        if (LogPath(jid, tid, context, logs, farm) is not { } path)
            return NoLog(jid, tid);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var (text, lossless) = TaskLogDecoder.Decode(bytes, encoding);
        return TypedResults.Json(new TaskLogText(jid, tid, encoding.WebName, bytes.Length, lossless, text),
            FurrowJsonContext.Default.TaskLogText);
    }

    private static string? LogPath(long jid, int tid, HttpContext context, TaskLogStore logs, LiveFarm farm)
    {
        var owner = context.Request.Query["owner"].FirstOrDefault() ?? farm.OwnerOf(jid);
        return (owner is null ? FindLog(logs.Root, jid, tid) : null) ?? logs.ExistingPathOf(owner, jid, tid);
    }

    private static IResult NoLog(long jid, int tid) => ApiResults.NotFound($"no log for J{jid} T{tid} (the task has not run yet?)");

    // Logs sit under the owner's name; when the caller does not say whose job it is, look in every owner's folder.
    private static string? FindLog(string root, long jid, int tid) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(d => Path.Combine(d, $"J{jid}", $"T{tid}.log")).FirstOrDefault(File.Exists)
            : null;
}
