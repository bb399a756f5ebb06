namespace Furrow.Storage.Migrations;

/// <summary>
/// Who holds a job's lock (`tq lock`, Tractor's `set_lock`): while set, only that user may act on the job; null when
/// the job is not locked.
/// </summary>
internal sealed class M0012_JobLocks : Migration
{
    public override int Version => 12;

    public override string Name => "job locks";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs ADD COLUMN lockedby TEXT",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs DROP COLUMN lockedby",
    ];
}
