namespace Furrow.Storage.Migrations;

/// <summary>Finished jobs can be archived: kept for history but out of the live tables' way.</summary>
internal sealed class M0003_JobArchiveFlag : Migration
{
    public override int Version => 3;

    public override string Name => "job archive flag";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX jobs_archived ON jobs (archived)",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "DROP INDEX jobs_archived",
        "ALTER TABLE jobs DROP COLUMN archived",
    ];
}
