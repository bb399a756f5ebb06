namespace Furrow.Storage.Migrations;

/// <summary>
/// A command's `-id`, `-refersto`, `-msg` and `-metadata`, a task's `-metadata`, `-preview` and `-chaser`, and a job's `-metadata`,
/// as the script gave them (null or empty when it gave none), which Tractor's query columns of the same
/// names list; rows spooled before this version have none. An index over the tasks
/// that hold Instances, so a task's `ptids` (its parent and the tasks naming it in an Instance) is found without reading
/// every task of its job. Going down drops these columns and their values.
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
