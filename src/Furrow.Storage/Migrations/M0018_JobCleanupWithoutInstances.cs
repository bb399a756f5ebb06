namespace Furrow.Storage.Migrations;

/// <summary>
/// Jobs spooled before version 16 stored their "job cleanup" task (the one holding the job's <c>-cleanup</c> and
/// <c>-postscript</c> commands) as an Instance of every top task; since 16 it waits for them by being the job's cleanup
/// (<see cref="Core.Jobs.JobCompiler.RunsLastOf"/>). Going up clears those old Instance lists, so the top tasks' <c>ptids</c>
/// and the Dashboard's tree no longer name the cleanup task as theirs. Going down changes nothing: version 16's own
/// way down gives the lists back for the versions before it (<see cref="M0016_CommandIdsAndTaskParents"/>).
/// </summary>
internal sealed class M0018_JobCleanupWithoutInstances : Migration
{
    public override int Version => 18;

    public override string Name => "job cleanup without instances";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
        ["UPDATE tasks SET instance_of = '[]' WHERE instance_of <> '[]' AND " + JobCleanupTask.Condition("tasks")];

    public override IReadOnlyList<string> Down(SqlDialect dialect) => [];
}

/// <summary>
/// The SQL form of <see cref="Core.Jobs.JobCompiler.RunsLastOf"/> for stored rows: a top task titled "job cleanup" with no
/// subtasks, with commands, none of them a regular one.
/// </summary>
internal static class JobCleanupTask
{
    /// <summary>A condition on the tasks row named <paramref name="alias"/>.</summary>
    public static string Condition(string alias) =>
        $"{alias}.title = '{Core.Jobs.JobCompiler.JobCleanupTitle}' AND {alias}.parent_tid = 0 " +
        $"AND NOT EXISTS (SELECT 1 FROM tasks c WHERE c.jid = {alias}.jid AND c.parent_tid = {alias}.tid) " +
        $"AND EXISTS (SELECT 1 FROM commands m WHERE m.jid = {alias}.jid AND m.tid = {alias}.tid) " +
        $"AND NOT EXISTS (SELECT 1 FROM commands m WHERE m.jid = {alias}.jid AND m.tid = {alias}.tid AND m.runtype = 'regular')";
}
