namespace Furrow.Storage.Migrations;

/// <summary>
/// A command's `-id` and `-refersto` as the script gave them (null when it gave none), which Tractor's query columns
/// `command.id` and `command.refersto` list; commands spooled before this version have neither. An index over the tasks
/// that hold Instances, so a task's `ptids` (its parent and the tasks naming it in an Instance) is found without reading
/// every task of its job. Going down drops both columns and their values.
/// </summary>
internal sealed class M0016_CommandIdsAndTaskParents : Migration
{
    public override int Version => 16;

    public override string Name => "command ids and task parents";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE commands ADD COLUMN cmd_id TEXT",
        "ALTER TABLE commands ADD COLUMN refersto TEXT",
        "CREATE INDEX tasks_with_instances ON tasks (jid) WHERE instance_of <> '[]'",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "DROP INDEX tasks_with_instances",
        "ALTER TABLE commands DROP COLUMN refersto",
        "ALTER TABLE commands DROP COLUMN cmd_id",
    ];
}
