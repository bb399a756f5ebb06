namespace Furrow.Storage.Migrations;

/// <summary>Blades remember which blade.config profile they matched (for profile-based scheduling).</summary>
internal sealed class M0002_BladeProfile : Migration
{
    public override int Version => 2;

    public override string Name => "blade profile";

    public override IReadOnlyList<string> Up(SqlDialect dialect) => ["ALTER TABLE blades ADD COLUMN profile TEXT"];

    public override IReadOnlyList<string> Down(SqlDialect dialect) => ["ALTER TABLE blades DROP COLUMN profile"];
}
