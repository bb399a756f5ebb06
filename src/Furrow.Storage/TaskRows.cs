using Furrow.Core.Jobs;

namespace Furrow.Storage;

/// <summary>
/// Where a bulk insert's values go, column by column in <see cref="TaskRows"/>' order: SQLite binds them to a prepared
/// statement, PostgreSQL writes them to a binary COPY. Each method is the column's SQL type (BIGINT, INTEGER, TEXT).
/// </summary>
internal interface IRowSink
{
    void BigInt(long value);

    void Integer(int? value);

    void Text(string? value);

    /// <summary>The row is complete.</summary>
    void EndRow();
}

/// <summary>
/// The rows a job's tasks and commands make, described once for both stores' bulk inserts (a spool of 100,000 tasks is
/// 200,000 rows: one prepared statement or one COPY each, not one parameterised statement per row).
/// </summary>
internal static class TaskRows
{
    public const string TaskTable = "tasks";

    public static readonly string[] TaskColumns =
        ["jid", "tid", "parent_tid", "title", "task_id", "service", "serialsubtasks", "instance_of", "state", "statetime", "metadata", "preview", "chaser"];

    public const string CommandTable = "commands";

    public static readonly string[] CommandColumns =
        ["jid", "cid", "tid", "argv", "kind", "runtype", "service", "expand", "retryrc", "state", "tags", "atleast", "atmost", "envkey", "cmd_id", "refersto", "msg", "metadata", "samehost"];

    /// <summary>
    /// Writes every task of <paramref name="tasks"/> to <paramref name="sink"/>, in its state since
    /// <paramref name="timeMs"/>: ready if <paramref name="readyTids"/> holds it, otherwise blocked.
    /// </summary>
    public static void WriteTasks(IRowSink sink, long jid, IReadOnlyList<CompiledTask> tasks, long timeMs, IReadOnlySet<int>? readyTids)
    {
        var blocked = TaskState.Blocked.ToName();
        var ready = TaskState.Ready.ToName();
        foreach (var task in tasks)
        {
            sink.BigInt(jid);
            sink.Integer(task.Tid);
            sink.Integer(task.ParentTid);
            sink.Text(task.Title);
            sink.Text(task.Id);
            sink.Text(task.Service);
            sink.Integer(task.SerialSubtasks ? 1 : 0);
            sink.Text(JsonColumns.Write(task.InstanceOf, StorageJsonContext.Default.ListInt32));
            sink.Text(readyTids is not null && readyTids.Contains(task.Tid) ? ready : blocked);
            sink.BigInt(timeMs);
            sink.Text(task.Metadata);
            sink.Text(JsonColumns.Write(task.Preview, StorageJsonContext.Default.ListString));
            sink.Text(JsonColumns.Write(task.Chaser, StorageJsonContext.Default.ListString));
            sink.EndRow();
        }
    }

    /// <summary>Writes every command of <paramref name="tasks"/> to <paramref name="sink"/>, blocked.</summary>
    public static void WriteCommands(IRowSink sink, long jid, IReadOnlyList<CompiledTask> tasks)
    {
        var blocked = CommandState.Blocked.ToName();
        foreach (var task in tasks)
        {
            foreach (var cmd in task.Commands)
            {
                sink.BigInt(jid);
                sink.Integer(cmd.Cid);
                sink.Integer(cmd.Tid);
                sink.Text(JsonColumns.Write(cmd.Argv, StorageJsonContext.Default.ListString));
                sink.Text(cmd.Kind.ToName());
                sink.Text(cmd.RunType.ToName());
                sink.Text(cmd.Service);
                sink.Integer(cmd.Expand ? 1 : 0);
                sink.Text(JsonColumns.Write(cmd.RetryRc, StorageJsonContext.Default.ListInt32));
                sink.Text(blocked);
                sink.Text(JsonColumns.Write(cmd.Tags, StorageJsonContext.Default.ListString));
                sink.Integer(cmd.AtLeast);
                sink.Integer(cmd.AtMost);
                sink.Text(JsonColumns.Write(cmd.EnvKey, StorageJsonContext.Default.ListString));
                sink.Text(cmd.Id);
                sink.Text(cmd.RefersTo);
                sink.Text(cmd.Msg);
                sink.Text(cmd.Metadata);
                sink.Integer(cmd.SameHost ? 1 : 0);
                sink.EndRow();
            }
        }
    }

    /// <summary>Whether <paramref name="tasks"/> hold any command (an empty table needs no statement).</summary>
    public static bool AnyCommands(IReadOnlyList<CompiledTask> tasks) => tasks.Any(t => t.Commands.Count > 0);
}
