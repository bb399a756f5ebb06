namespace Furrow.Storage.Migrations;

/// <summary>
/// Jobs spooled before version 16 stored their "job cleanup" task (the one holding the job's <c>-cleanup</c> and
/// <c>-postscript</c> commands) as an Instance of every top task; since 16 it waits for them by being the job's cleanup
/// (<see cref="Core.Jobs.JobCompiler.RunsLastOf"/>). Going up clears those old Instance lists, so the top tasks' <c>ptids</c>
/// and the Dashboard's tree no longer name the cleanup task as theirs. Going down changes nothing: version 16's own
/// way down gives the lists back for the versions before it (<see cref="M0016_CommandIdsAndTaskParents"/>).
/// <para>
/// On PostgreSQL it also rewrites the trigger function that keeps each job's task counts
/// (<see cref="M0011_JobTaskCounts"/>). It joined the statement's new and old rows, and PL/pgSQL keeps the plan of a
/// function's statement for the session: a plan made when the trigger first ran over a few rows (a nested loop) was used
/// again for a run of 40,000, which then took minutes. It now adds up the new rows' states and takes away the old rows',
/// which needs no join and is linear whatever plan is kept. Going down puts the joined one back.
/// </para>
/// </summary>
internal sealed class M0018_JobCleanupWithoutInstances : Migration
{
    public override int Version => 18;

    public override string Name => "job cleanup without instances";

    public override IReadOnlyList<string> Up(SqlDialect dialect)
    {
        var clear = "UPDATE tasks SET instance_of = '[]' WHERE instance_of <> '[]' AND " + JobCleanupTask.Condition("tasks");
        return dialect == SqlDialect.Postgres ? [SummedCountsFunction(), clear] : [clear];
    }

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
        dialect == SqlDialect.Postgres ? ["CREATE OR REPLACE " + M0011_JobTaskCounts.JoinedCountsFunction()] : [];

    private static string SummedCountsFunction()
    {
        var states = M0011_JobTaskCounts.States;
        var sums = string.Join(", ", states.Select(st => $"SUM((r.state = '{st}')::int * r.sign) AS d{st}"));
        var changed = string.Join(" OR ", states.Select(st => $"SUM((r.state = '{st}')::int * r.sign) <> 0"));
        var applies = string.Join(", ", states.Select(st => $"num{st} = j.num{st} + d.d{st}"));
        return $"""
            CREATE OR REPLACE FUNCTION furrow_task_state_counts() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE jobs j SET {applies}
                FROM (SELECT r.jid, {sums}
                      FROM (SELECT jid, state, 1 AS sign FROM new_rows UNION ALL SELECT jid, state, -1 FROM old_rows) r
                      GROUP BY r.jid
                      HAVING {changed}) d
                WHERE j.jid = d.jid;
                RETURN NULL;
            END $$
            """;
    }
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
