using Furrow.Core.Jobs;
using Furrow.Core.Scripts;
using Furrow.Engine.Logs;
using Furrow.Engine.Site;
using Furrow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Furrow.Engine.Dispatch;

/// <summary>A job script arriving at the engine, with who sent it and from where.</summary>
internal sealed record SpoolRequest(string Text, bool IsJson, string Owner, string? FileName, string? Host, string? Cwd,
    double? Priority, bool? Paused);

/// <summary>The new job's id, or why the script was refused (with file, line and column for syntax errors).</summary>
internal sealed record SpoolResult(long Jid, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>Parses, compiles and commits a spooled job, then hands its ready tasks to the scheduler.</summary>
internal sealed class SpoolService(FarmState farm, IJobStore store, ChangeCommitter committer, TaskLogStore logs, IOptions<EngineOptions> options,
    ILogger<SpoolService> logger)
{
    public async Task<SpoolResult> SpoolAsync(SpoolRequest request, CancellationToken cancellationToken)
    {
        var fileName = string.IsNullOrEmpty(request.FileName) ? "<spooled script>" : request.FileName;
        var limits = options.Value.ScriptLimits;
        if (request.Text.Length > limits.MaxBytes)
            return new SpoolResult(0, $"{fileName}: the script is larger than the engine's limit of {limits.MaxBytes} bytes (ScriptMaxBytes)");
        var parsed = request.IsJson ? JobJson.Deserialize(request.Text, fileName) : AlfredParser.Parse(request.Text, fileName, limits);
        if (parsed.Error is { } syntax)
            return new SpoolResult(0, syntax.ToString());
        var spec = parsed.Job!;
        if (request.Priority is { } priority)
            spec.Priority = priority;
        if (request.Paused is { } paused)
            spec.Paused = paused;
        var compiled = JobCompiler.Compile(spec);
        if (compiled.Error is { } logic)
            return new SpoolResult(0, $"{fileName}: {logic}");

        long jid;
        long now;
        lock (farm.Gate)
        {
            jid = ++farm.JobCounter;
            now = farm.NowMs;
        }
        var record = new JobRecord(jid, request.Owner, spec.Title, spec.Priority ?? 1, now, request.Host, request.FileName,
            request.Cwd ?? spec.SpoolCwd, spec.Paused ?? false, false, null, null, spec.Comment);
        await store.CommitAsync([new InsertJob(record, compiled.Job!, JobJson.Serialize(spec))], cancellationToken).ConfigureAwait(false);
        foreach (var aside in logs.MoveAsideReused(jid, DateTimeOffset.FromUnixTimeMilliseconds(now)))
            EngineLog.ReusedJobLogsMoved(logger, jid, aside);

        var changes = new ChangeSet();
        lock (farm.Gate)
        {
            var job = Build(record, compiled.Job!);
            farm.Jobs[jid] = job;
            for (var tid = 1; tid < job.Tasks.Length; tid++)
                farm.Settle(job, tid, changes);
        }
        await committer.CommitAsync(changes, cancellationToken).ConfigureAwait(false);
        EngineLog.JobSpooled(logger, jid, spec.Title, request.Owner, compiled.Job!.Tasks.Count);
        return new SpoolResult(jid, null);
    }

    private static LiveJobState Build(JobRecord record, CompiledJob compiled)
    {
        var tasks = new LiveTask[compiled.Tasks.Count + 1];
        tasks[0] = new LiveTask(0, "", []);
        foreach (var t in compiled.Tasks)
            tasks[t.Tid] = new LiveTask(t.Tid, t.Title, t.Commands
                .Select(c => new LiveCommand(c.Cid, c.Argv, c.Kind.ToString().ToLowerInvariant(), c.RetryRc)).ToList());
        var graph = new JobGraph(
            compiled.Tasks.Select(t => new TaskShape(t.Tid, t.ParentTid, t.SerialSubtasks, t.Children, t.InstanceOf)).ToList(),
            compiled.Spec.SerialSubtasks);
        return new LiveJobState(record, graph, tasks);
    }
}
