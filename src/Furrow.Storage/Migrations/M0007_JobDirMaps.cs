namespace Furrow.Storage.Migrations;

/// <summary>A job's `-dirmaps` (Tractor's `dirmap` column: a JSON list of {From, To, Zone}), for `%D(path)` in its commands.</summary>
internal sealed class M0007_JobDirMaps : Migration
{
    public override int Version => 7;

    public override string Name => "job dirmaps";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs ADD COLUMN dirmap TEXT NOT NULL DEFAULT '[]'",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs DROP COLUMN dirmap",
    ];
}
