namespace Furrow.Storage.Migrations;

/// <summary>
/// A command's `-id`, `-refersto`, `-msg` and `-metadata`, a task's `-metadata`, `-preview` and `-chaser`, and a job's `-metadata`,
/// as the script gave them (null or empty when it gave none), which Tractor's query columns of the same
/// names list; rows spooled before this version have none. An index over the tasks
/// that hold Instances, so a task's `ptids` (its parent and the tasks naming it in an Instance) is found without reading
/// every task of its job. Going down drops these columns and their values, and gives each "job cleanup" task the
/// Instance list of its job's other top tasks, which the versions before 16 make it wait by (since 16 the engine knows
/// the task for what it is and stores no list, <see cref="M0018_JobCleanupWithoutInstances"/>); without it an older
/// engine would run a job's cleanup and postscript commands first.
/// </summary>
internal sealed class M0016_CommandIdsAndTaskParents : Migration
{
    public override int Version => 16;

    public override string Name => "command ids and task parents";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE commands ADD COLUMN cmd_id TEXT",
        "ALTER TABLE commands ADD COLUMN refersto TEXT",
        "ALTER TABLE commands ADD COLUMN msg TEXT",
        "ALTER TABLE commands ADD COLUMN metadata TEXT",
        "ALTER TABLE tasks ADD COLUMN metadata TEXT",
        "ALTER TABLE tasks ADD COLUMN preview TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE tasks ADD COLUMN chaser TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE jobs ADD COLUMN metadata TEXT",
        "CREATE INDEX tasks_with_instances ON tasks (jid) WHERE instance_of <> '[]'",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "UPDATE tasks SET instance_of = " + (dialect == SqlDialect.Postgres
            ? "'[' || COALESCE((SELECT string_agg(CAST(o.tid AS TEXT), ',' ORDER BY o.tid) FROM tasks o " +
              "WHERE o.jid = tasks.jid AND o.parent_tid = 0 AND o.tid <> tasks.tid), '') || ']'"
            : "(SELECT json_group_array(s.tid) FROM (SELECT o.tid FROM tasks o " +
              "WHERE o.jid = tasks.jid AND o.parent_tid = 0 AND o.tid <> tasks.tid ORDER BY o.tid) s)") +
        " WHERE instance_of = '[]' AND " + JobCleanupTask.Condition("tasks"),
        "DROP INDEX tasks_with_instances",
        "ALTER TABLE jobs DROP COLUMN metadata",
        "ALTER TABLE tasks DROP COLUMN chaser",
        "ALTER TABLE tasks DROP COLUMN preview",
        "ALTER TABLE tasks DROP COLUMN metadata",
        "ALTER TABLE commands DROP COLUMN metadata",
        "ALTER TABLE commands DROP COLUMN msg",
        "ALTER TABLE commands DROP COLUMN refersto",
        "ALTER TABLE commands DROP COLUMN cmd_id",
    ];
}
