namespace Furrow.Storage.Migrations;

/// <summary>
/// A command's `-samehost` (1 when the script gave `-samehost 1`, else 0), so an engine started again still sends such a
/// command to the blade that ran its task's previous command; rows spooled before this version have 0. Going down drops
/// the column: a build of version 16 or older refuses such scripts, and its engine would hand those commands to any blade.
/// </summary>
internal sealed class M0017_CommandSameHost : Migration
{
    public override int Version => 17;

    public override string Name => "command samehost";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE commands ADD COLUMN samehost INTEGER NOT NULL DEFAULT 0",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE commands DROP COLUMN samehost",
    ];
}
