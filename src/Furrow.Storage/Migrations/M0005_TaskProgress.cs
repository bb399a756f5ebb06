namespace Furrow.Storage.Migrations;

/// <summary>
/// A task's progress: the latest percentage (0 to 100) its running command reported with an output directive
/// (`TR_PROGRESS nn%`, `R90000 nn%` ...); null when none has been reported in its current run.
/// </summary>
internal sealed class M0005_TaskProgress : Migration
{
    public override int Version => 5;

    public override string Name => "task progress";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE tasks ADD COLUMN progress INTEGER",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE tasks DROP COLUMN progress",
    ];
}
